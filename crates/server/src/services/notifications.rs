//! E-mail notifications (PRODUCT §7): events become e-mails in the outbox, for
//! the people whose choices ask for them and who may read the record now.
//!
//! Every node runs [`spawn`]'s loop. For each organization with events not yet
//! mailed about, it works out each event's recipients, then writes their
//! e-mails and moves the organization's cursor in one transaction: a node that
//! stops half-way loses nothing, and two nodes never write the same e-mail
//! (the cursor moves once; `notifications_sent` holds one row per event and
//! person besides).
//!
//! A recipient is an active user of the event's organization who:
//! - has the permission behind the record's scope and account access that
//!   includes the record (the API's rule, [`events::person_may_read`]);
//! - has a topic on (or on by default) that mails about the event type, and for
//!   "my cases" opened the case or is its contact;
//! - did not cause the event (nobody is mailed about their own reply).
//!
//! One e-mail per event and person, however many of their topics match.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use oneportal_domain::UserStatus;
use oneportal_domain::case::CaseOrigin;
use oneportal_domain::event::{EventSubject, EventType};
use oneportal_domain::ids::IdKind;
use oneportal_domain::notification::{Preferences, Reach, Topic};
use oneportal_store::cases::{self, CaseRow};
use oneportal_store::events::{self, EventRow};
use oneportal_store::outbox::MailAttachment;
use oneportal_store::{StoreError, notifications, now_ms, outbox};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::audit::{self, Actor, Event};
use crate::directory::UserEntry;
use crate::http::ApiError;
use crate::models::maintenance::window;
use crate::services::{events as event_rules, mail, maintenance};
use crate::state::AppState;

/// Events turned into e-mails per organization and round.
const BATCH: i64 = 200;
/// The longest reply quoted in an e-mail; the rest is on the case's page.
const MAX_QUOTED_CHARS: usize = 4_000;

/// Writes due notification e-mails until shutdown.
pub fn spawn(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            let woken = state.event_wakeups.any();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match write_due(&state).await {
                Ok(0) => {}
                Ok(_) => mail::deliver_soon(&state),
                Err(error) => {
                    tracing::warn!(%error, "could not write notification e-mails; retrying")
                }
            }
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    });
}

/// Turns every organization's new events into e-mails, every organization in
/// one transaction; answers how many were written.
pub async fn write_due(state: &AppState) -> Result<usize, StoreError> {
    let behind = notifications::behind(&state.db).await?;
    if behind.is_empty() {
        return Ok(0);
    }
    let mut plans = Vec::with_capacity(behind.len());
    for (org_id, from, latest) in behind {
        plans.push(plan_for_org(state, org_id, (from, latest)).await?);
    }
    let tx = state.db.begin().await?;
    let at = now_ms();
    let mut written = 0;
    for plan in &plans {
        if !notifications::advance_cursor(&tx, plan.org_id, plan.from, plan.to).await? {
            continue; // another node wrote them
        }
        for mail in &plan.mails {
            if notifications::was_sent(&tx, mail.event_row_id, mail.user_id).await? {
                continue;
            }
            let outbox_id = mail::enqueue(
                &tx,
                state,
                &mail.to,
                &mail.subject,
                &mail.body,
                None,
                mail.attachment.as_ref(),
            )
            .await?;
            notifications::record_sent(&tx, mail.event_row_id, mail.user_id, outbox_id, at).await?;
            written += 1;
        }
    }
    tx.commit().await?;
    if written > 0 {
        metrics::counter!("oneportal_notification_emails_total").increment(written as u64);
    }
    Ok(written)
}

/// An organization's cursor move and the e-mails that go with it.
struct Plan {
    org_id: i64,
    from: i64,
    to: i64,
    mails: Vec<Mail>,
}

/// One e-mail to write.
struct Mail {
    event_row_id: i64,
    user_id: i64,
    to: String,
    subject: String,
    body: String,
    /// A maintenance notice's calendar entry, with the services this person may see.
    attachment: Option<MailAttachment>,
}

/// Reads the organization's events after `from` up to `latest` and works out their e-mails.
async fn plan_for_org(
    state: &AppState,
    org_id: i64,
    (from, latest): (i64, i64),
) -> Result<Plan, StoreError> {
    let new = events::between(&state.db, org_id, (from, latest), EventType::ALL, BATCH).await?;
    // Everything up to `latest` has committed (sequences commit in order).
    let to = match new.last() {
        Some(last) if new.len() as i64 == BATCH => last.sequence,
        _ => latest,
    };
    let mailable = |event: &&EventRow| Topic::for_event(event.event_type).next().is_some();
    let mut mails = Vec::new();
    if new.iter().any(|event| mailable(&event)) {
        let people = Audience::of(state, org_id).await?;
        for event in new.iter().filter(mailable) {
            mails.extend(mails_for(state, &people, event).await?);
        }
    }
    Ok(Plan {
        org_id,
        from,
        to,
        mails,
    })
}

/// The organization's active users with their choices.
struct Audience {
    people: Vec<(Arc<UserEntry>, Preferences)>,
}

impl Audience {
    async fn of(state: &AppState, org_id: i64) -> Result<Audience, StoreError> {
        let mut stored: HashMap<i64, Vec<(String, bool)>> = HashMap::new();
        for (user_id, topic, on) in notifications::preferences_of_org(&state.db, org_id).await? {
            stored.entry(user_id).or_default().push((topic, on));
        }
        let mut people = Vec::new();
        for row in outbox::users_of(&state.db, org_id).await? {
            if row.status != UserStatus::Active {
                continue;
            }
            let Some(user) = state.directory.user(&state.db, row.id).await? else {
                continue;
            };
            let chosen = stored.get(&row.id).map(Vec::as_slice).unwrap_or_default();
            let preferences =
                Preferences::from_stored(chosen.iter().map(|(k, on)| (k.as_str(), *on)));
            people.push((user, preferences));
        }
        Ok(Audience { people })
    }
}

/// The e-mails one event makes.
async fn mails_for(
    state: &AppState,
    audience: &Audience,
    event: &EventRow,
) -> Result<Vec<Mail>, StoreError> {
    let topics: Vec<Topic> = Topic::for_event(event.event_type).collect();
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
    let case = match event.event_type.subject() {
        EventSubject::Case => cases::find_case_anywhere(&state.db, event.subject_id).await?,
        _ => None,
    };
    let caused_by = caused_by(event.event_type, &data, case.as_ref());
    let Some(message) = Message::compose(state, event, &data, case.as_ref()).await? else {
        return Ok(Vec::new());
    };
    let mut mails = Vec::new();
    for (person, preferences) in &audience.people {
        if caused_by.is_some_and(|who| who.eq_ignore_ascii_case(&person.email)) {
            continue;
        }
        let Some(topic) = topics.iter().copied().find(|topic| {
            preferences.wants(*topic)
                && (topic.reach() == Reach::All || is_own_case(case.as_ref(), &person.email))
        }) else {
            continue;
        };
        if !event_rules::person_may_read(state, person, event).await? {
            continue;
        }
        let attachment = match event.event_type.subject() {
            EventSubject::Maintenance => {
                let scope = person.access_scope();
                maintenance::notice_attachment(state, &scope, event.subject_id).await?
            }
            _ => None,
        };
        mails.push(Mail {
            event_row_id: event.id,
            user_id: person.id,
            to: person.email.clone(),
            subject: message.subject.clone(),
            body: message.body_for(state, topic),
            attachment,
        });
    }
    Ok(mails)
}

/// Whether the person opened the case or is its named contact. A case the
/// provider's monitoring opened belongs to everyone who may see its service:
/// nobody opened it, and telling them is its point.
fn is_own_case(case: Option<&CaseRow>, email: &str) -> bool {
    case.is_some_and(|case| {
        case.origin == CaseOrigin::Monitoring
            || case.created_by.eq_ignore_ascii_case(email)
            || case.contact_email.eq_ignore_ascii_case(email)
    })
}

/// Who caused the event, where the event says (a user's e-mail, for persons).
fn caused_by<'a>(
    event_type: EventType,
    data: &'a Value,
    case: Option<&'a CaseRow>,
) -> Option<&'a str> {
    match event_type {
        EventType::CaseCreated => case.map(|case| case.created_by.as_str()),
        EventType::CaseStatusChanged => data["changedBy"].as_str(),
        EventType::CaseCommunicationAdded => data["sentBy"].as_str(),
        t if matches!(
            t.subject(),
            EventSubject::DeactivationRequest | EventSubject::Quote
        ) =>
        {
            data["changedBy"].as_str()
        }
        _ => None,
    }
}

/// An event's e-mail, the same for every recipient but for the reason they get it.
struct Message {
    subject: String,
    /// What happened, and the page to open.
    text: String,
}

impl Message {
    async fn compose(
        state: &AppState,
        event: &EventRow,
        data: &Value,
        case: Option<&CaseRow>,
    ) -> Result<Option<Message>, StoreError> {
        let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
        let portal = |path: String| format!("{}/portal/{path}", state.public_url);
        let message = match (event.event_type, case) {
            (EventType::CaseCreated, Some(case)) if case.origin == CaseOrigin::Monitoring => {
                let id = IdKind::Case.format(case.id);
                let seen = cases::communications(&state.db, case.id)
                    .await?
                    .first()
                    .map(|first| quote(&first.message))
                    .unwrap_or_default();
                Message {
                    subject: format!("[{id}] Incident detected: {}", case.subject.as_str()),
                    text: format!(
                        "The provider's monitoring opened incident {id} on service {service} (priority {priority}):\n\n\
                         {seen}\n\nFollow the case:\n{link}\n",
                        service = IdKind::Service.format(case.service_id),
                        priority = case.priority.as_str(),
                        link = portal(format!("support/cases/{id}")),
                    ),
                }
            }
            (EventType::CaseCreated, Some(case)) => {
                let id = IdKind::Case.format(case.id);
                Message {
                    subject: format!("[{id}] New case: {}", case.subject.as_str()),
                    text: format!(
                        "Case {id} was opened by {by}.\n\n\
                         Type: {kind}\nSubject: {subject}\nPriority: {priority}\nService: {service}\n\n\
                         Open the case:\n{link}\n",
                        by = case.created_by,
                        kind = case.case_type.as_str(),
                        subject = case.subject.as_str(),
                        priority = case.priority.as_str(),
                        service = IdKind::Service.format(case.service_id),
                        link = portal(format!("support/cases/{id}")),
                    ),
                }
            }
            (EventType::CaseStatusChanged, Some(case)) => {
                let id = IdKind::Case.format(case.id);
                let reason = match data["reason"].as_str() {
                    Some(reason) => format!("\nReason: {reason}\n"),
                    None => String::new(),
                };
                Message {
                    subject: format!("[{id}] Status changed to {}", text("status")),
                    text: format!(
                        "Case {id} ({subject}) moved from {from} to {to}, by {by}.\n{reason}\n\
                         Open the case:\n{link}\n",
                        subject = case.subject.as_str(),
                        from = text("previousStatus"),
                        to = text("status"),
                        by = text("changedBy"),
                        link = portal(format!("support/cases/{id}")),
                    ),
                }
            }
            (EventType::CaseCommunicationAdded, Some(case)) => {
                let id = IdKind::Case.format(case.id);
                let number = IdKind::Communication
                    .parse(&text("communicationId"))
                    .unwrap_or_default();
                let quoted = cases::find_communication(&state.db, case.id, number)
                    .await?
                    .map(|c| quote(&c.message))
                    .unwrap_or_default();
                Message {
                    subject: format!("[{id}] New reply from {}", text("sentBy")),
                    text: format!(
                        "{by} wrote on case {id} ({subject}):\n\n{quoted}\n\n\
                         Answer on the case's page:\n{link}\n",
                        by = text("sentBy"),
                        subject = case.subject.as_str(),
                        link = portal(format!("support/cases/{id}")),
                    ),
                }
            }
            (EventType::RfoPublished, Some(case)) => {
                let id = IdKind::Case.format(case.id);
                let revised = data["version"].as_i64().unwrap_or(1) > 1;
                Message {
                    subject: format!(
                        "[{id}] Reason for outage {}",
                        if revised { "revised" } else { "published" }
                    ),
                    text: format!(
                        "The reason for outage of case {id} ({subject}) was {what}.\n\n\
                         Read it:\n{link}\n",
                        subject = case.subject.as_str(),
                        what = if revised { "revised" } else { "published" },
                        link = portal(format!("support/cases/{id}/rfo")),
                    ),
                }
            }
            (EventType::InvoiceIssued, _) => {
                let id = IdKind::Invoice.format(event.subject_id);
                Message {
                    subject: format!("Invoice {} issued", text("invoiceNumber")),
                    text: format!(
                        "{kind} {number} was issued: {currency} {total}, due {due}.\n\n\
                         See it, with its PDF:\n{link}\n",
                        kind = if text("type") == "CreditNote" {
                            "Credit note"
                        } else {
                            "Invoice"
                        },
                        number = text("invoiceNumber"),
                        currency = text("currency"),
                        total = text("totalAmount"),
                        due = text("dueDate"),
                        link = portal(format!("billing/invoices/{id}")),
                    ),
                }
            }
            (
                event_type @ (EventType::MaintenanceScheduled
                | EventType::MaintenanceUpdated
                | EventType::MaintenanceCancelled
                | EventType::MaintenanceStarted
                | EventType::MaintenanceCompleted),
                _,
            ) => {
                let id = IdKind::Maintenance.format(event.subject_id);
                let title = text("title");
                let (subject, what) = match event_type {
                    EventType::MaintenanceScheduled => (
                        format!("Planned maintenance: {title}"),
                        "Your provider announced maintenance on services you use.",
                    ),
                    EventType::MaintenanceCancelled => (
                        format!("Maintenance cancelled: {title}"),
                        "This maintenance was cancelled: it will not take place.",
                    ),
                    EventType::MaintenanceStarted => (
                        format!("Maintenance started: {title}"),
                        "The work of this maintenance has started.",
                    ),
                    EventType::MaintenanceCompleted => (
                        format!("Maintenance completed: {title}"),
                        "The work of this maintenance is done.",
                    ),
                    _ => (
                        format!("Maintenance changed: {title} ({})", text("status")),
                        "This maintenance changed.",
                    ),
                };
                let short_notice = if data["shortNotice"].as_bool() == Some(true) {
                    "Short notice: announced less than 14 days before it starts.\n"
                } else {
                    ""
                };
                Message {
                    subject: format!("[{id}] {subject}"),
                    text: format!(
                        "{what}\n\n{title}\nWindow: {window}\nStatus: {status}\n\
                         Provider reference: {reference}\n{short_notice}\n\
                         The calendar entry is attached: add it to your calendar, and the next \
                         notice's entry updates it.\n\n\
                         See the maintenance and which of your services it affects:\n{link}\n",
                        window = window(&text("startDate"), &text("endDate")),
                        status = text("status"),
                        reference = text("providerReference"),
                        link = portal(format!("support/maintenance/{id}")),
                    ),
                }
            }
            (event_type, _) if event_type.subject() == EventSubject::DeactivationRequest => {
                let id = IdKind::DeactivationRequest.format(event.subject_id);
                let service = text("serviceId");
                let (headline, what) = deactivation_words(event_type, &text("billingEndDate"));
                Message {
                    subject: format!("[{id}] Deactivation of {service}: {headline}"),
                    text: format!(
                        "{what}\n\nService: {service}\nRequested end date: {end}\nBy: {by}\n\n\
                         See the request:\n{link}\n",
                        end = text("requestedEndDate"),
                        by = text("changedBy"),
                        link = portal(format!("deactivation-requests/{id}")),
                    ),
                }
            }
            (event_type, _) if event_type.subject() == EventSubject::Order => {
                let id = IdKind::Order.format(event.subject_id);
                let reference = text("orderReference");
                let milestone = data["milestone"]
                    .as_str()
                    .and_then(oneportal_domain::order::Milestone::parse)
                    .map_or("", |m| m.label());
                let (headline, what) = match event_type {
                    EventType::OrderCreated => (
                        "placed".to_owned(),
                        "Your order was placed; its delivery starts.".to_owned(),
                    ),
                    EventType::OrderMilestoneReached => (
                        format!("{milestone} reached"),
                        format!(
                            "{} reached {milestone} on {}.",
                            text("serviceId"),
                            text("date")
                        ),
                    ),
                    EventType::OrderMilestoneDelayed => (
                        format!("{milestone} delayed"),
                        format!(
                            "{milestone} of {} is now planned for {}. The reason: {}",
                            text("serviceId"),
                            text("date"),
                            text("reason")
                        ),
                    ),
                    EventType::OrderDelivered => (
                        "delivered".to_owned(),
                        "Every service of the order is ready for service.".to_owned(),
                    ),
                    _ => (
                        "cancelled".to_owned(),
                        "The order was cancelled.".to_owned(),
                    ),
                };
                Message {
                    subject: format!("[{id}] Order {reference}: {headline}"),
                    text: format!(
                        "{what}\n\nYour purchase order: {po}\n\nFollow the order:\n{link}\n",
                        po = text("purchaseOrder"),
                        link = portal(format!("orders/{id}")),
                    ),
                }
            }
            (event_type, _) if event_type.subject() == EventSubject::Quote => {
                let id = IdKind::Quote.format(event.subject_id);
                let (headline, what) = match event_type {
                    EventType::QuoteSent => (
                        "waiting for your answer".to_owned(),
                        format!(
                            "The provider sent version {} of this quote. Read it and accept or decline it by {}.",
                            data["version"],
                            text("validUntil")
                        ),
                    ),
                    EventType::QuoteAccepted => (
                        "accepted".to_owned(),
                        format!(
                            "{} accepted version {} of this quote; order {} is placed.",
                            text("changedBy"),
                            data["version"],
                            text("orderId")
                        ),
                    ),
                    EventType::QuoteDeclined => (
                        "declined".to_owned(),
                        format!(
                            "{} declined this quote. The reason: {}",
                            text("changedBy"),
                            text("reason")
                        ),
                    ),
                    EventType::QuoteExpired => (
                        "expired".to_owned(),
                        format!(
                            "Nobody answered this quote by {}: it expired. Ask the provider to re-issue it if you still want it.",
                            text("validUntil")
                        ),
                    ),
                    _ => (
                        "withdrawn".to_owned(),
                        format!(
                            "The provider withdrew this quote. The reason: {}",
                            text("reason")
                        ),
                    ),
                };
                Message {
                    subject: format!("[{id}] Quote {}: {headline}", text("quoteReference")),
                    text: format!(
                        "{what}\n\n{title}\n\nSee the quote:\n{link}\n",
                        title = text("title"),
                        link = portal(format!("orders/quotes/{id}")),
                    ),
                }
            }
            // The case is gone, or the type mails nobody.
            _ => return Ok(None),
        };
        Ok(Some(message))
    }

    fn body_for(&self, state: &AppState, topic: Topic) -> String {
        format!(
            "{}\n--\nYou get this e-mail because \"{}\" is on in your notification settings. \
             Choose which e-mails you get:\n{}/portal/account\n",
            self.text,
            topic.label(),
            state.public_url
        )
    }
}

/// The headline and first sentence of a deactivation request's e-mail.
fn deactivation_words(event_type: EventType, billing_end_date: &str) -> (&'static str, String) {
    match event_type {
        EventType::DeactivationSubmitted => (
            "requested",
            "A request to deactivate this service was sent to your provider, who will review it and state the terms.".into(),
        ),
        EventType::DeactivationInReview => (
            "in review",
            "Your provider is reviewing the request; its account manager may contact you about it.".into(),
        ),
        EventType::DeactivationPendingConfirmation => (
            "your confirmation is needed",
            "Your provider stated the terms of the deactivation (fees, earliest end date). Read them and confirm (binding and irreversible) or withdraw the request.".into(),
        ),
        EventType::DeactivationConfirmed => (
            "confirmed",
            "The deactivation was confirmed. Your provider sets the billing end date within 5 business days.".into(),
        ),
        EventType::DeactivationScheduled => (
            "billing end date set",
            format!("The billing end date is {billing_end_date}. The service is pending deactivation."),
        ),
        EventType::DeactivationCompleted => (
            "deactivated",
            "The service is deactivated.".into(),
        ),
        EventType::DeactivationWithdrawn => (
            "withdrawn",
            "The request was withdrawn: the service stays.".into(),
        ),
        _ => (
            "declined",
            "Your provider declined the request; the page says why.".into(),
        ),
    }
}

/// A reply as the e-mail quotes it.
fn quote(message: &str) -> String {
    let mut quoted: String = message.chars().take(MAX_QUOTED_CHARS).collect();
    if quoted.len() < message.len() {
        quoted.push_str(" […]");
    }
    quoted
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The person's choices.
pub async fn preferences(state: &AppState, user: &UserEntry) -> Result<Preferences, ApiError> {
    let stored = notifications::preferences(&state.db, user.id).await?;
    Ok(Preferences::from_stored(
        stored.iter().map(|(key, on)| (key.as_str(), *on)),
    ))
}

/// Saves the person's choices: exactly the topics in `on` are on.
pub async fn save_preferences(
    state: &AppState,
    user: &UserEntry,
    on: &[Topic],
) -> Result<(), ApiError> {
    let chosen = Preferences::only(on);
    let rows: Vec<(&str, bool)> = chosen.all().map(|(t, on)| (t.key(), on)).collect();
    let tx = state.db.begin().await?;
    notifications::save_preferences(&tx, user.id, &rows, now_ms()).await?;
    audit::record(
        &tx,
        Event::new(Actor::user(user), "user.notifications_changed")
            .org(Some(user.org_id))
            .target("user", IdKind::User.format(user.id))
            .details(json!({
                "on": on.iter().map(|t| t.key()).collect::<Vec<_>>(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn a_long_reply_is_quoted_in_part() {
        assert_eq!(quote("one\ntwo"), "> one\n> two");
        let long = "x".repeat(5_000);
        let quoted = quote(&long);
        assert!(quoted.ends_with(" […]"));
        assert_eq!(quoted.chars().filter(|c| *c == 'x').count(), 4_000);
    }
}

//! Planned maintenance (PRODUCT §8): staff announce, change, reschedule,
//! confirm, start, complete and cancel it; every step is audited, kept in the
//! maintenance's history, and an event to each organization whose services it
//! affects, in the transaction of the change. Customers read it through the
//! services they may see.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::{
    Impact, MaintenanceStatus, Refused, check_window, is_short_notice,
};
use oneportal_domain::query::{Direction, Filter, ListQuery, RangeOp, SortKey, Start};
use oneportal_domain::{ApiScope, UserStatus};
use oneportal_store::calendar_feeds;
use oneportal_store::catalog::AccessScope;
use oneportal_store::listing::ListPage;
use oneportal_store::maintenances::{
    self, MaintenanceRow, MaintenanceText, NewHistory, NewMaintenance, Revised,
};
use oneportal_store::outbox::MailAttachment;
use oneportal_store::users::StaffRow;
use oneportal_store::{StoreError, Tx, now_ms};
use serde_json::json;

use super::{commit_audited, events};
use crate::audit::{Actor, Event};
use crate::auth::digest::sha256_hex;
use crate::auth::random;
use crate::cluster::Change;
use crate::directory::UserEntry;
use crate::http::public_id::{id_of, not_found};
use crate::http::time::rfc3339;
use crate::http::{ApiError, FieldError};
use crate::models::event::MaintenanceNotice;
use crate::models::maintenance::Maintenance;
use crate::models::maintenance_calendar::{self, CalendarFor};
use crate::state::AppState;

/// The most services one maintenance may list.
pub const MAX_SERVICES: usize = 10_000;

/// What staff write about a maintenance: its text, window and services.
#[derive(Debug, Clone)]
pub struct Plan {
    pub title: String,
    pub reason: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// `(service, impact)`.
    pub services: Vec<(i64, Impact)>,
}

/// A change to some of a plan's parts; what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct PlanChange {
    pub title: Option<String>,
    pub reason: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub services: Option<Vec<(i64, Impact)>>,
    pub note: String,
}

fn refused(reason: Refused) -> ApiError {
    ApiError::conflict("maintenance_change_refused", reason.0)
}

fn window_error(reason: Refused) -> ApiError {
    ApiError::validation(vec![FieldError::new(
        "/endDate",
        "invalid_window",
        reason.0,
    )])
}

/// The services as `(service, org, impact)`, each existing and listed once;
/// every unknown or repeated one is named.
async fn resolve_services(
    state: &AppState,
    services: &[(i64, Impact)],
) -> Result<Vec<(i64, i64, Impact)>, ApiError> {
    if services.is_empty() || services.len() > MAX_SERVICES {
        return Err(ApiError::validation(vec![FieldError::new(
            "/services",
            "invalid_length",
            format!("a maintenance lists from 1 to {MAX_SERVICES} affected services"),
        )]));
    }
    let ids: Vec<i64> = services.iter().map(|(id, _)| *id).collect();
    let mut orgs = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        orgs.extend(maintenances::service_orgs(&state.db, chunk).await?);
    }
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    let mut resolved = Vec::with_capacity(services.len());
    for (i, (service, impact)) in services.iter().enumerate() {
        let pointer = format!("/services/{i}/serviceId");
        let id = IdKind::Service.format(*service);
        if !seen.insert(*service) {
            errors.push(FieldError::new(
                pointer,
                "duplicate",
                format!("{id} is listed twice"),
            ));
        } else if let Some(org) = orgs.get(service) {
            resolved.push((*service, *org, *impact));
        } else {
            errors.push(FieldError::new(
                pointer,
                "unknown_service",
                format!("there is no service {id}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(resolved)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Who changes a maintenance: as the audit log records them, and as its
/// history names them (`STF-000001`, or `import` for the back office).
#[derive(Debug, Clone)]
pub struct Author {
    pub audit: Actor,
    pub name: String,
}

impl Author {
    pub fn staff(staff: &StaffRow) -> Author {
        Author {
            audit: Actor::Staff { id: staff.id },
            name: IdKind::Staff.format(staff.id),
        }
    }

    /// The back office, through the import.
    pub fn import(audit: Actor) -> Author {
        Author {
            audit,
            name: "import".into(),
        }
    }
}

/// Announces a maintenance as `TENTATIVE` or `CONFIRMED`; a taken reference is a 409.
pub async fn announce(
    state: &AppState,
    by: &Author,
    reference: &str,
    status: MaintenanceStatus,
    plan: &Plan,
) -> Result<i64, ApiError> {
    if !status.may_announce() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/status",
            "invalid_status",
            format!("a maintenance is announced TENTATIVE or CONFIRMED, not {status}"),
        )]));
    }
    check_window(plan.starts_at, plan.ends_at).map_err(window_error)?;
    let services = resolve_services(state, &plan.services).await?;
    let at = now_ms();
    let tx = state.db.begin().await?;
    let id = maintenances::insert(
        &tx,
        &NewMaintenance {
            reference,
            text: MaintenanceText {
                title: &plan.title,
                reason: &plan.reason,
            },
            status,
            starts_at: plan.starts_at,
            ends_at: plan.ends_at,
            at,
        },
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(
            "reference_taken",
            format!("a maintenance with the reference '{reference}' exists: change it instead"),
        ),
        other => other.into(),
    })?;
    maintenances::set_services(&tx, id, &services).await?;
    let step = Step {
        action: Action::Announced,
        note: "",
        dropped: Vec::new(),
    };
    finish(state, tx, by, id, step).await?;
    Ok(id)
}

/// Changes a maintenance's text, window or services. A confirmed window that
/// moves makes it `RE-SCHEDULED`, with fresh notice; an unchanged plan changes nothing.
pub async fn change(
    state: &AppState,
    by: &Author,
    id: i64,
    change: &PlanChange,
) -> Result<(), ApiError> {
    let row = any(state, id).await?;
    if row.status.is_final() {
        return Err(refused(Refused(format!(
            "a {} maintenance is final and cannot be changed",
            row.status
        ))));
    }
    let starts_at = change.starts_at.unwrap_or(row.starts_at);
    let ends_at = change.ends_at.unwrap_or(row.ends_at);
    let (start_moved, end_moved) = (starts_at != row.starts_at, ends_at != row.ends_at);
    let status = row
        .status
        .after_window_change(start_moved, end_moved)
        .map_err(refused)?;
    check_window(starts_at, ends_at).map_err(window_error)?;
    let services = match &change.services {
        Some(services) => Some(resolve_services(state, services).await?),
        None => None,
    };
    let title = change.title.as_deref().unwrap_or(&row.title);
    let reason = change.reason.as_deref().unwrap_or(&row.reason);
    let (services_changed, dropped) = match &services {
        Some(new) => {
            let current = maintenances::affected_services(&state.db, None, &[id]).await?;
            let mut current: Vec<(i64, Impact)> =
                current.iter().map(|s| (s.service_id, s.impact)).collect();
            let mut new: Vec<(i64, Impact)> = new.iter().map(|(s, _, i)| (*s, *i)).collect();
            current.sort_unstable();
            new.sort_unstable();
            let dropped = current
                .iter()
                .map(|(service, _)| *service)
                .filter(|service| !new.iter().any(|(kept, _)| kept == service))
                .collect();
            (current != new, dropped)
        }
        None => (false, Vec::new()),
    };
    let moved = start_moved || end_moved;
    if !moved && !services_changed && title == row.title && reason == row.reason {
        return Ok(());
    }
    let tx = state.db.begin().await?;
    let revised = Revised {
        text: MaintenanceText { title, reason },
        status,
        starts_at,
        ends_at,
        // Moving the window announces a new one: the notice counts from now.
        notice_given_at: if moved { now_ms() } else { row.notice_given_at },
        at: now_ms(),
    };
    write_revision(&tx, &row, &revised).await?;
    if let Some(services) = services.filter(|_| services_changed) {
        maintenances::set_services(&tx, id, &services).await?;
    }
    let step = Step {
        action: if moved {
            Action::Rescheduled
        } else {
            Action::Updated
        },
        note: &change.note,
        dropped,
    };
    finish(state, tx, by, id, step).await
}

/// Moves a maintenance to `to`: confirm, start, complete or cancel it. Moving
/// to the current status changes nothing.
pub async fn move_to(
    state: &AppState,
    by: &Author,
    id: i64,
    to: MaintenanceStatus,
    note: &str,
) -> Result<(), ApiError> {
    let row = any(state, id).await?;
    row.status.check_move(to).map_err(refused)?;
    if row.status == to {
        return Ok(());
    }
    let action = match to {
        MaintenanceStatus::Confirmed => Action::Confirmed,
        MaintenanceStatus::InProcess => Action::Started,
        MaintenanceStatus::Completed => Action::Completed,
        MaintenanceStatus::Cancelled => Action::Cancelled,
        // check_move allows no other move.
        MaintenanceStatus::Tentative | MaintenanceStatus::Rescheduled => {
            return Err(refused(Refused(format!("cannot move to {to}"))));
        }
    };
    let tx = state.db.begin().await?;
    let revised = Revised {
        text: MaintenanceText {
            title: &row.title,
            reason: &row.reason,
        },
        status: to,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        notice_given_at: row.notice_given_at,
        at: now_ms(),
    };
    write_revision(&tx, &row, &revised).await?;
    let step = Step {
        action,
        note,
        dropped: Vec::new(),
    };
    finish(state, tx, by, id, step).await
}

/// Writes the revision unless another change came first (then a 409 to retry).
async fn write_revision(
    tx: &Tx,
    row: &MaintenanceRow,
    revised: &Revised<'_>,
) -> Result<(), ApiError> {
    if maintenances::revise(tx, row.id, row.revision, revised).await? {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "changed_meanwhile",
            "the maintenance changed while this change was made: read it again and retry",
        ))
    }
}

/// What a change was: its word in the history, its audit action and the event
/// each affected organization gets, in one table.
#[derive(Debug, Clone, Copy)]
enum Action {
    Announced,
    Updated,
    Rescheduled,
    Confirmed,
    Started,
    Completed,
    Cancelled,
}

impl Action {
    const fn parts(self) -> (&'static str, &'static str, EventType) {
        use EventType::*;
        match self {
            Action::Announced => ("announced", "maintenance.announced", MaintenanceScheduled),
            Action::Updated => ("updated", "maintenance.updated", MaintenanceUpdated),
            Action::Rescheduled => ("rescheduled", "maintenance.rescheduled", MaintenanceUpdated),
            Action::Confirmed => ("confirmed", "maintenance.confirmed", MaintenanceUpdated),
            Action::Started => ("started", "maintenance.started", MaintenanceStarted),
            Action::Completed => ("completed", "maintenance.completed", MaintenanceCompleted),
            Action::Cancelled => ("cancelled", "maintenance.cancelled", MaintenanceCancelled),
        }
    }
}

/// One change, with the note staff gave for it.
struct Step<'a> {
    action: Action,
    note: &'a str,
    /// Services the change took off the maintenance: their health may move too.
    dropped: Vec<i64>,
}

/// Records the step in the history, tells every affected organization, audits
/// it and commits, all in one transaction.
async fn finish(
    state: &AppState,
    tx: Tx,
    by: &Author,
    id: i64,
    step: Step<'_>,
) -> Result<(), ApiError> {
    let (history_word, audit_action, event_type) = step.action.parts();
    let at = now_ms();
    maintenances::add_history(
        &tx,
        id,
        &NewHistory {
            action: history_word,
            actor: &by.name,
            note: step.note,
            at,
        },
    )
    .await?;
    let row = maintenances::find_maintenance(&tx, None, id)
        .await?
        .ok_or_else(|| ApiError::Internal("a maintenance vanished while it was written".into()))?;
    let mut orgs = maintenances::affected_orgs(&tx, id).await?;
    refresh_health(state, &tx, &row, &step, &mut orgs).await?;
    let maintenance_id = IdKind::Maintenance.format(id);
    for org in &orgs {
        let notice = MaintenanceNotice {
            event_type,
            maintenance_id: maintenance_id.clone(),
            provider_reference: row.reference.clone(),
            title: row.title.clone(),
            status: row.status,
            start_date: rfc3339(row.starts_at),
            end_date: rfc3339(row.ends_at),
            short_notice: is_short_notice(row.notice_given_at, row.starts_at),
            revision: row.revision,
            last_modified_date: rfc3339(row.updated_at),
            url: events::url(state, &format!("maintenances/{maintenance_id}")),
        };
        events::emit(&tx, *org, id, &notice).await?;
    }
    let audit = Event::new(by.audit.clone(), audit_action)
        .target("maintenance", maintenance_id)
        .details(json!({
            "reference": row.reference,
            "status": row.status.as_str(),
            "startDate": rfc3339(row.starts_at),
            "endDate": rfc3339(row.ends_at),
            "revision": row.revision,
            "organizations": orgs.len(),
            "note": step.note,
        }));
    commit_audited(state, tx, audit, Change::Events { orgs }).await?;
    Ok(())
}

/// Maintenance in progress sets its services' health to `Maintenance`, and
/// ending it (or dropping a service from it) gives them back what their alerts
/// say. Only a change that can move health looks at every service.
async fn refresh_health(
    state: &AppState,
    tx: &Tx,
    row: &MaintenanceRow,
    step: &Step<'_>,
    orgs: &mut Vec<i64>,
) -> Result<(), ApiError> {
    let ends_or_starts = matches!(
        step.action,
        Action::Started | Action::Completed | Action::Cancelled
    );
    let mut services = step.dropped.clone();
    if ends_or_starts || row.status == MaintenanceStatus::InProcess {
        services.extend(
            maintenances::affected_services(tx, None, &[row.id])
                .await?
                .iter()
                .map(|s| s.service_id),
        );
    }
    for service in services {
        let cause = crate::services::monitoring::health::Cause::default();
        if let Some(org) =
            crate::services::monitoring::health::refresh(state, tx, service, cause).await?
            && !orgs.contains(&org)
        {
            orgs.push(org);
        }
    }
    Ok(())
}

/// Any maintenance, for staff.
pub async fn any(state: &AppState, id: i64) -> Result<MaintenanceRow, ApiError> {
    maintenances::find_maintenance(&state.db, None, id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("no maintenance {}", IdKind::Maintenance.format(id)))
        })
}

/// The maintenance with this public id as the scope sees it (`None`: staff, all of it).
pub async fn view(
    state: &AppState,
    scope: Option<&AccessScope>,
    id: &str,
) -> Result<Maintenance, ApiError> {
    let id = id_of(IdKind::Maintenance, id, "maintenance")?;
    let row = maintenances::find_maintenance(&state.db, scope, id)
        .await?
        .ok_or_else(|| not_found("maintenance"))?;
    let services = maintenances::affected_services(&state.db, scope, &[row.id]).await?;
    Ok(Maintenance::new(&row, &services))
}

/// A page of the maintenances the scope sees, each with its visible services.
pub async fn page(
    state: &AppState,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<Maintenance>, StoreError> {
    let page = maintenances::list_maintenances(&state.db, scope, query).await?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    let services = maintenances::affected_services(&state.db, scope, &ids).await?;
    Ok(ListPage {
        rows: page
            .rows
            .iter()
            .map(|row| Maintenance::new(row, &services))
            .collect(),
        total: page.total,
        total_exact: page.total_exact,
        next_cursor: page.next_cursor,
    })
}

/// How far back the calendar feed reaches: windows that ended up to 90 days ago.
pub const CALENDAR_PAST_MS: i64 = 90 * 86_400_000;
/// The most maintenances one calendar holds (the soonest to end first drop out).
pub const CALENDAR_MAX: u32 = 1000;

/// The scope's maintenance calendar (iCalendar): every maintenance it sees
/// that ends at most 90 days ago, earliest first.
pub async fn calendar(state: &AppState, scope: &AccessScope) -> Result<String, StoreError> {
    let query = ListQuery {
        filters: vec![Filter::Range {
            field: "endDate",
            op: RangeOp::Gte,
            at: now_ms() - CALENDAR_PAST_MS,
        }],
        sort: vec![SortKey {
            field: "startDate",
            direction: Direction::Ascending,
        }],
        start: Start::Offset(0),
        limit: CALENDAR_MAX,
    };
    let page = maintenances::list_maintenances(&state.db, Some(scope), &query).await?;
    render_calendar(state, scope, &page.rows).await
}

/// The maintenance as a calendar file for a person whose access is `scope`,
/// with the services they may see; `None` when they see none of it.
pub async fn notice_attachment(
    state: &AppState,
    scope: &AccessScope,
    id: i64,
) -> Result<Option<MailAttachment>, StoreError> {
    let Some(row) = maintenances::find_maintenance(&state.db, Some(scope), id).await? else {
        return Ok(None);
    };
    Ok(Some(MailAttachment {
        name: format!("{}.ics", IdKind::Maintenance.format(id)),
        media_type: "text/calendar; method=PUBLISH; charset=utf-8".into(),
        content: render_calendar(state, scope, &[row]).await?,
    }))
}

/// These maintenances as the scope's calendar, each with the services it sees.
async fn render_calendar(
    state: &AppState,
    scope: &AccessScope,
    rows: &[MaintenanceRow],
) -> Result<String, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let services = maintenances::affected_services(&state.db, Some(scope), &ids).await?;
    let organizer = state
        .config
        .smtp
        .as_ref()
        .and_then(|smtp| smtp.from.parse::<lettre::message::Mailbox>().ok())
        .map(|mailbox| mailbox.email.to_string());
    let who = CalendarFor {
        provider: provider_host(&state.public_url),
        organization_id: scope.org_id,
        organizer: organizer.as_deref(),
    };
    Ok(maintenance_calendar::calendar(&who, rows, &services))
}

/// `portal.example.net` of `https://portal.example.net:8443/…`: the provider in calendars.
fn provider_host(public_url: &str) -> &str {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// The provider's reference: 1 to 100 letters, digits, spaces and `-_./:#`.
/// Calendar tools read `X-MAINTNOTE-MAINTENANCE-ID` without unescaping it, so a
/// reference never holds a character iCalendar escapes (`,` `;` `\`).
pub fn check_reference(pointer: &str, value: &str) -> Result<String, FieldError> {
    let value = check_text(pointer, "provider reference", value, 100, false)?;
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -_./:#".contains(c))
    {
        Ok(value)
    } else {
        Err(FieldError::new(
            pointer,
            "invalid_character",
            "a provider reference holds letters, digits, spaces and - _ . / : # only",
        ))
    }
}

/// A required text of staff's: trimmed, 1 to `max` characters, no control
/// characters but line breaks where `multiline`.
pub fn check_text(
    pointer: &str,
    label: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(
            pointer,
            "required",
            format!("write the {label}"),
        ));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(FieldError::new(
            pointer,
            "too_long",
            format!("the {label} is {chars} characters long; the limit is {max}"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(FieldError::new(
            pointer,
            "invalid_character",
            format!("the {label} holds a control character"),
        ));
    }
    Ok(value.to_owned())
}

const FEED_KEY_PURPOSE: &str = "oneportal/calendar-feed";
const FEED_KEY_PREFIX: &str = "cal_";

/// A person's secret calendar address, for calendar apps that cannot send a token.
pub struct CalendarAddress {
    pub url: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

fn address_url(state: &AppState, key: &str) -> String {
    format!(
        "{}/portal/calendar/maintenance.ics?key={key}",
        state.public_url.trim_end_matches('/')
    )
}

/// The person's calendar address, if they made one.
pub async fn calendar_address(
    state: &AppState,
    user: &UserEntry,
) -> Result<Option<CalendarAddress>, StoreError> {
    let Some(row) = calendar_feeds::of_user(&state.db, user.id).await? else {
        return Ok(None);
    };
    let key = STANDARD
        .decode(&row.key_sealed)
        .ok()
        .and_then(|sealed| state.master_key.open_for(FEED_KEY_PURPOSE, &sealed).ok())
        .and_then(|key| String::from_utf8(key).ok());
    Ok(key.map(|key| CalendarAddress {
        url: address_url(state, &key),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }))
}

/// Gives the person a new secret calendar address; an earlier one stops working.
pub async fn new_calendar_address(state: &AppState, user: &UserEntry) -> Result<(), StoreError> {
    let key = format!("{FEED_KEY_PREFIX}{}", random::alphanumeric(32));
    let sealed = STANDARD.encode(state.master_key.seal_for(FEED_KEY_PURPOSE, key.as_bytes()));
    let tx = state.db.begin().await?;
    calendar_feeds::replace(&tx, user.id, &sha256_hex(&key), &sealed, now_ms()).await?;
    let audit = Event::new(Actor::user(user), "user.calendar_address_created")
        .target("user", IdKind::User.format(user.id));
    crate::audit::record(&tx, audit).await?;
    tx.commit().await
}

/// Turns the person's calendar address off.
pub async fn remove_calendar_address(state: &AppState, user: &UserEntry) -> Result<(), StoreError> {
    let tx = state.db.begin().await?;
    if calendar_feeds::remove(&tx, user.id).await? {
        let audit = Event::new(Actor::user(user), "user.calendar_address_removed")
            .target("user", IdKind::User.format(user.id));
        crate::audit::record(&tx, audit).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The calendar behind a secret address: the maintenance its owner may see
/// now, while they are active and hold Support (View); `None` otherwise.
pub async fn calendar_by_key(state: &AppState, key: &str) -> Result<Option<String>, StoreError> {
    let well_formed = key
        .strip_prefix(FEED_KEY_PREFIX)
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !well_formed {
        return Ok(None);
    }
    // A read, not a write, per request: made-up keys cost no write lock, and a
    // calendar polling every few minutes updates "last read" at most once a minute.
    let Some((user_id, last_used)) = calendar_feeds::find_key(&state.db, &sha256_hex(key)).await?
    else {
        return Ok(None);
    };
    let now = now_ms();
    if last_used.is_none_or(|at| now - at >= 60_000) {
        calendar_feeds::mark_used(&state.db, user_id, now).await?;
    }
    let Some(user) = state.directory.user(&state.db, user_id).await? else {
        return Ok(None);
    };
    let may_read = user.status == UserStatus::Active
        && ApiScope::granted_by_permissions(user.permissions).allows(ApiScope::SupportRead);
    if !may_read {
        return Ok(None);
    }
    Ok(Some(calendar(state, &user.access_scope()).await?))
}

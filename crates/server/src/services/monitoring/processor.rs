//! Acts on the alert inbox, oldest first: each notification's alerts are
//! matched to their service and their alert key's record, and
//! [`oneportal_domain::monitoring`] decides what follows:
//!
//! - a new problem opens a proactive Incident case (origin `Monitoring`) with
//!   a first public message saying what monitoring saw;
//! - repeats, re-fires on an open case and flaps within the window add nothing
//!   the customer sees (the alert's record counts them);
//! - a recovery posts a public "monitoring reports recovery" message, and
//!   resolves the case only where the operator enabled it and nobody touched it;
//! - an alert on a service inside a maintenance in progress is recorded against
//!   the maintenance and opens no case; one naming no known service is kept as
//!   unmatched for staff.
//!
//! A batch of notifications, their effects and the inbox's progress commit in
//! one transaction: a crash acts on a notification once or not at all.

use std::time::Duration;

use oneportal_domain::case::{CaseOrigin, CaseStatus, CaseType, CommunicationType};
use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::{
    AlertAction, AlertState, Known, LinkedCase, Resolve, Trigger, on_resolve, on_trigger,
    priority_for,
};
use oneportal_store::cases::{self, CaseRow, NewCase};
use oneportal_store::catalog::{self, ServiceRow};
use oneportal_store::monitoring::{self, AlertRow};
use oneportal_store::{Backend, StoreError, Tx, now_ms};
use serde_json::json;
use tokio::sync::watch;

use super::Observation;
use super::health::{self, Cause};
use crate::audit::{self, Actor, Event};
use crate::cluster::Change;
use crate::http::time::rfc3339;
use crate::services::case_writer;
use crate::services::cases::{CaseActor, emit_communication_added, emit_status_changed};
use crate::state::AppState;

/// Notifications acted on per transaction. On SQLite a transaction holds the
/// one write lock, which the intake's own insert waits for: short batches keep
/// the intake answering within milliseconds during a storm.
const fn batch(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 16,
        Backend::Postgres => 200,
    }
}
/// How a proactive case names its author.
const MONITORING: &str = "Monitoring";

/// Acts on the inbox until shutdown: woken by each accepted notification on
/// this node, and every second for those accepted on other nodes.
pub fn spawn(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            let woken = state.alert_inbox.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Err(error) = process_waiting(&state).await {
                tracing::warn!(%error, "could not act on monitoring's alerts; retrying");
            }
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    });
}

/// What a batch changed, to tell every node once it committed.
#[derive(Default)]
struct Touched {
    case_orgs: Vec<i64>,
    event_orgs: Vec<i64>,
}

/// Acts on every waiting notification; answers how many.
///
/// A batch that fails (other than for an unreachable database) is tried again
/// one notification at a time; one that fails on its own is set aside with the
/// reason, kept for staff, so that it cannot hold back every alert after it.
pub async fn process_waiting(state: &AppState) -> Result<usize, StoreError> {
    let mut done = 0;
    let mut size = batch(state.db.backend());
    loop {
        // A read first: an idle inbox costs no write lock (on SQLite, the one
        // that other processes, such as `oneportal import`, wait for).
        if monitoring::backlog(&state.db).await?.0 == 0 {
            return Ok(done);
        }
        match act_on_batch(state, size).await {
            Ok(None) => return Ok(done),
            Ok(Some(acted)) => {
                done += acted;
                size = batch(state.db.backend());
            }
            Err(Failed { error, .. }) if matches!(error, StoreError::Unavailable(_)) => {
                return Err(error);
            }
            Err(Failed { error, .. }) if size > 1 => {
                tracing::warn!(%error, "a batch of alert notifications failed; acting on them one by one");
                size = 1;
            }
            Err(Failed {
                error,
                notification: Some(id),
            }) => {
                set_aside(state, id, &error.to_string()).await?;
                done += 1;
            }
            Err(Failed { error, .. }) => return Err(error),
        }
    }
}

/// A batch that failed, and the notification it failed on, if it got that far.
struct Failed {
    error: StoreError,
    notification: Option<i64>,
}

impl From<StoreError> for Failed {
    fn from(error: StoreError) -> Self {
        Failed {
            error,
            notification: None,
        }
    }
}

/// Acts on up to `size` waiting notifications in one transaction; `None` when
/// there were none or another node holds the inbox.
async fn act_on_batch(state: &AppState, size: i64) -> Result<Option<usize>, Failed> {
    let tx = state.db.begin().await?;
    if !monitoring::try_lock_inbox(&tx).await? {
        return Ok(None); // another node is at it
    }
    let batch = monitoring::waiting(&tx, size).await?;
    let Some(last) = batch.last().map(|row| row.id) else {
        return Ok(None);
    };
    let mut touched = Touched::default();
    for row in &batch {
        let acted = async {
            let observations: Vec<Observation> =
                serde_json::from_str(&row.alerts).map_err(|e| StoreError::Unreadable {
                    table: "alert_inbox".into(),
                    column: "alerts".into(),
                    detail: format!("notification {}: {e}", row.id),
                })?;
            for observation in &observations {
                act(state, &tx, observation, &mut touched).await?;
            }
            Ok::<(), StoreError>(())
        };
        acted.await.map_err(|error| Failed {
            error,
            notification: Some(row.id),
        })?;
    }
    monitoring::mark_processed(&tx, last, now_ms()).await?;
    tx.commit().await?;
    let (case_orgs, event_orgs) = (distinct(touched.case_orgs), distinct(touched.event_orgs));
    if !case_orgs.is_empty() {
        state.publish(Change::Cases { orgs: case_orgs }).await;
    }
    if !event_orgs.is_empty() {
        state.publish(Change::Events { orgs: event_orgs }).await;
    }
    metrics::counter!("oneportal_alert_notifications_processed_total")
        .increment(batch.len() as u64);
    Ok(Some(batch.len()))
}

/// Sets notification `id` aside with the reason it failed, unless it was acted
/// on or set aside meanwhile (by this node's other loop, or another node).
async fn set_aside(state: &AppState, id: i64, error: &str) -> Result<(), StoreError> {
    let tx = state.db.begin().await?;
    if !monitoring::try_lock_inbox(&tx).await? {
        return Ok(());
    }
    let Some(row) = monitoring::waiting(&tx, 1).await?.into_iter().next() else {
        return Ok(());
    };
    if row.id != id {
        return Ok(()); // no longer the one at the head of the inbox
    }
    tracing::error!(notification = row.id, %error, "an alert notification could not be acted on; set aside for staff");
    monitoring::set_aside(&tx, row.id, error, now_ms()).await?;
    let audit = Event::new(Actor::Monitoring, "alert.notification_set_aside")
        .target("alert_notification", row.id.to_string())
        .details(json!({ "source": row.source, "error": error }));
    audit::record(&tx, audit).await?;
    metrics::counter!("oneportal_alert_notifications_set_aside_total").increment(1);
    tx.commit().await
}

fn distinct(mut orgs: Vec<i64>) -> Vec<i64> {
    orgs.sort_unstable();
    orgs.dedup();
    orgs
}

/// The alert's record as a fresh key would start it.
fn new_record(observation: &Observation, now: i64) -> AlertRow {
    AlertRow {
        id: 0,
        alert_key: observation.key.clone(),
        source: observation
            .key
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned(),
        state: AlertState::Resolved,
        kind: observation.kind,
        severity: String::new(),
        summary: String::new(),
        service_label: String::new(),
        service_id: None,
        org_id: None,
        case_id: None,
        case_opened_at: None,
        maintenance_id: None,
        labels: "{}".into(),
        first_seen_at: now,
        last_seen_at: now,
        fired_at: observation.at,
        resolved_at: None,
        notifications: 0,
    }
}

/// Acts on one alert of a notification.
async fn act(
    state: &AppState,
    tx: &Tx,
    observation: &Observation,
    touched: &mut Touched,
) -> Result<(), StoreError> {
    let now = now_ms();
    let stored = monitoring::find_alert(tx, &observation.key).await?;
    if stored.is_none() && observation.action != AlertAction::Trigger {
        // An acknowledge or resolve for an alert never seen firing: nothing to undo.
        return Ok(());
    }
    let known = match &stored {
        Some(row) => Some(known(tx, row).await?),
        None => None,
    };
    // What health depends on, before: a notification that moves neither leaves it alone.
    let before = stored.as_ref().map(|row| (row.state, row.service_id));
    let mut row = stored.unwrap_or_else(|| new_record(observation, now));
    row.last_seen_at = now;
    row.notifications += 1;
    let mut cause = Cause::default();
    match observation.action {
        AlertAction::Trigger => {
            let service = match observation.service.as_deref() {
                Some(label) => match IdKind::Service.parse(label.trim()) {
                    Some(id) => catalog::find_service_anywhere(tx, id).await?,
                    None => None,
                },
                None => None,
            };
            let maintenance = match &service {
                Some(service) => monitoring::maintenance_in_process(tx, service.id).await?,
                None => None,
            };
            let decision = on_trigger(
                known,
                service.is_some(),
                maintenance.is_some(),
                now,
                state.config.monitoring.flap_window_ms(),
            );
            describe(&mut row, observation, service.as_ref());
            if decision != Trigger::Repeat && !row.state.is_open() {
                row.fired_at = observation.at;
                row.resolved_at = None;
            }
            row.state = if row.state == AlertState::Acknowledged {
                AlertState::Acknowledged
            } else {
                AlertState::Firing
            };
            match (decision, service) {
                (Trigger::InMaintenance, _) => row.maintenance_id = maintenance,
                (Trigger::OpenCase, Some(service)) => {
                    let case = open_case(state, tx, &service, observation, now).await?;
                    row.case_id = Some(case.id);
                    row.case_opened_at = Some(now);
                    row.maintenance_id = None;
                    cause.case_id = Some(case.id);
                    touched.case_orgs.push(case.org_id);
                }
                _ => {}
            }
            metrics::counter!("oneportal_alerts_total", "action" => "trigger", "outcome" => outcome(decision))
                .increment(1);
        }
        AlertAction::Acknowledge => {
            if row.state == AlertState::Firing {
                row.state = AlertState::Acknowledged;
            }
        }
        AlertAction::Resolve => {
            let decision = on_resolve(known);
            if decision != Resolve::Nothing {
                row.state = AlertState::Resolved;
                row.resolved_at = Some(observation.at);
            }
            if decision == Resolve::RecoveryOnCase
                && let Some(case_id) = row.case_id
                && let Some(case) = cases::find_case_anywhere(tx, case_id).await?
            {
                tell_recovery(state, tx, &case, observation).await?;
                cause.case_id = Some(case.id);
                touched.case_orgs.push(case.org_id);
            }
        }
    }
    monitoring::save_alert(tx, &row).await?;
    if before == Some((row.state, row.service_id)) {
        return Ok(()); // a repeat: nothing health depends on moved
    }
    // The alert's service now, and the one it named before if its label moved.
    let previous = before.and_then(|(_, service)| service);
    let services = [
        row.service_id.map(|id| (id, cause)),
        previous
            .filter(|p| Some(*p) != row.service_id)
            .map(|id| (id, Cause::default())),
    ];
    for (service_id, cause) in services.into_iter().flatten() {
        if let Some(org) = health::refresh(state, tx, service_id, cause).await? {
            touched.event_orgs.push(org);
        }
    }
    Ok(())
}

const fn outcome(decision: Trigger) -> &'static str {
    match decision {
        Trigger::Unmatched => "unmatched",
        Trigger::InMaintenance => "in_maintenance",
        Trigger::Repeat => "repeat",
        Trigger::ToOpenCase => "open_case",
        Trigger::Flapping => "flapping",
        Trigger::OpenCase => "case_opened",
    }
}

/// What the domain's decisions need to know of a stored alert.
async fn known(tx: &Tx, row: &AlertRow) -> Result<Known, StoreError> {
    let case = match (row.case_id, row.case_opened_at) {
        (Some(id), Some(opened_at)) => Some(LinkedCase {
            opened_at,
            open: cases::find_case_anywhere(tx, id)
                .await?
                .is_some_and(|case| case.status.is_open()),
        }),
        _ => None,
    };
    Ok(Known {
        state: row.state,
        case,
    })
}

/// Brings the record up to what the latest firing notification says.
fn describe(row: &mut AlertRow, observation: &Observation, service: Option<&ServiceRow>) {
    row.kind = observation.kind;
    row.severity.clone_from(&observation.severity);
    row.summary.clone_from(&observation.summary);
    row.service_label = observation.service.clone().unwrap_or_default();
    row.service_id = service.map(|s| s.id);
    row.org_id = service.map(|s| s.org_id);
    row.labels = serde_json::to_string(&observation.labels).unwrap_or_else(|_| "{}".into());
}

fn monitoring_actor() -> CaseActor {
    CaseActor {
        audit: Actor::Monitoring,
        name: MONITORING.into(),
        contact_email: String::new(),
    }
}

/// Opens the proactive Incident case, with its audit event and `case.created`.
async fn open_case(
    state: &AppState,
    tx: &Tx,
    service: &ServiceRow,
    observation: &Observation,
    now: i64,
) -> Result<CaseRow, StoreError> {
    let priority = priority_for(
        &observation.severity,
        &state.config.monitoring.priority_map(),
    );
    let details = match observation.details.as_str() {
        "" => String::new(),
        details => format!("\n\n{details}"),
    };
    let message = format!(
        "Our monitoring detected a problem on {name} ({id}) at {at}: {summary}.{details}\n\n\
         We are looking into it and will update this case. You do not need to open another one.",
        name = service.service_name,
        id = IdKind::Service.format(service.id),
        at = rfc3339(observation.at),
        summary = observation.summary.trim_end_matches('.'),
    );
    let new = NewCase {
        org_id: service.org_id,
        case_type: CaseType::Incident,
        subject: observation.kind.subject(),
        priority,
        service_id: service.id,
        site_id: service.site_id,
        contract_account_id: service.contract_account_id,
        delivery_account_id: service.delivery_account_id,
        customer_reference: String::new(),
        origin: CaseOrigin::Monitoring,
        start_of_incident: Some(observation.at),
        end_of_incident: None,
        contact_name: String::new(),
        contact_email: String::new(),
        contact_phone: String::new(),
        related_case_id: None,
        created_by: MONITORING.into(),
        message,
        at: now,
    };
    let row = cases::insert_case(tx, &new).await?;
    let audit = Event::new(Actor::Monitoring, "case.opened")
        .org(Some(row.org_id))
        .target("case", IdKind::Case.format(row.id))
        .details(json!({
            "type": new.case_type.as_str(),
            "subject": new.subject.as_str(),
            "priority": new.priority.as_str(),
            "serviceId": IdKind::Service.format(service.id),
            "alertKey": observation.key,
            "severity": observation.severity,
        }));
    audit::record(tx, audit).await?;
    case_writer::emit_created(state, tx, &row).await?;
    metrics::counter!("oneportal_proactive_cases_total").increment(1);
    Ok(row)
}

/// Posts the public recovery message on the case; resolves it where the
/// operator enabled that and nobody but monitoring touched it.
async fn tell_recovery(
    state: &AppState,
    tx: &Tx,
    case: &CaseRow,
    observation: &Observation,
) -> Result<(), StoreError> {
    let actor = monitoring_actor();
    let now = now_ms();
    let untouched = case.status == CaseStatus::Acknowledged
        && cases::communications(tx, case.id)
            .await?
            .iter()
            .all(|message| message.sent_by == MONITORING);
    let resolve = untouched && state.config.monitoring.resolve_untouched_on_recovery;
    let next = if resolve {
        "As nobody needed to act, this case is now resolved; reopen it if you still see a problem."
    } else {
        "We are checking that the service is stable and will update this case."
    };
    let message = format!(
        "Monitoring reports recovery at {at}: {summary}.\n\n{next}",
        at = rfc3339(observation.at),
        summary = observation.summary.trim_end_matches('.'),
    );
    let id = cases::add_communication(
        tx,
        case.id,
        CommunicationType::System,
        &message,
        MONITORING,
        now,
    )
    .await?;
    emit_communication_added(state, tx, case, id, CommunicationType::System, &actor, now).await?;
    if resolve {
        let reason = "monitoring reports recovery";
        if cases::change_status(
            tx,
            case.id,
            CaseStatus::Acknowledged,
            CaseStatus::Resolved,
            reason,
            MONITORING,
            now,
        )
        .await?
        {
            emit_status_changed(
                state,
                tx,
                case,
                (CaseStatus::Acknowledged, CaseStatus::Resolved),
                reason,
                &actor,
                now,
            )
            .await?;
        }
    }
    let audit = Event::new(Actor::Monitoring, "case.monitoring_recovered")
        .target("case", IdKind::Case.format(case.id))
        .org(Some(case.org_id))
        .details(json!({ "alertKey": observation.key, "resolved": resolve }));
    audit::record(tx, audit).await
}

//! Emitting events: each is appended to the outbox in the transaction of the
//! change it describes (a rolled-back change emits nothing, a committed one
//! cannot lose its event). Readers are woken once the transaction commits,
//! through the `Change` the committing code publishes.

use std::collections::HashMap;
use std::time::Duration;

use oneportal_domain::catalog::ServiceStatus;
use oneportal_domain::event::{EventSubject, EventType, FeedQuery};
use oneportal_domain::ids::IdKind;
use oneportal_domain::{ScopeSet, UserStatus};
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::events::{self, EventRow, NewEvent};
use oneportal_store::{
    StoreError, Tx, cases, deactivations, invoices, maintenances, now_ms, orders, quotes,
};
use tokio::time::Instant;

use crate::auth::random;
use crate::directory::UserEntry;
use crate::models::event::{EventPayload, ServiceStatusChanged};
use crate::state::AppState;

/// How long events are kept for the feed and for redelivery: 30 days.
pub const KEPT_FOR_MS: i64 = 30 * 86_400_000;

/// The public id of a new event: `evt_` and 22 base62 characters (131 bits).
fn new_event_id() -> String {
    format!("evt_{}", random::alphanumeric(22))
}

/// Appends the event `data` about record `subject_id` of `org_id` to the outbox, in `tx`.
pub async fn emit<D: EventPayload>(
    tx: &Tx,
    org_id: i64,
    subject_id: i64,
    data: &D,
) -> Result<(), StoreError> {
    let event_type = data.event_type();
    let data = serde_json::to_string(data).expect("event data serializes");
    events::append(
        tx,
        NewEvent {
            event_id: &new_event_id(),
            org_id,
            event_type,
            subject_id,
            occurred_at: now_ms(),
            data: &data,
        },
    )
    .await?;
    Ok(())
}

/// Emits `service.status_changed` for a service another record moved (a
/// deactivation, an order's line, an import), in the transaction that moved it.
pub async fn service_status_changed(
    state: &AppState,
    tx: &Tx,
    org_id: i64,
    service_id: i64,
    (from, to): (ServiceStatus, ServiceStatus),
    at: i64,
) -> Result<(), StoreError> {
    let service = IdKind::Service.format(service_id);
    let data = ServiceStatusChanged {
        url: url(state, &format!("services/{service}")),
        service_id: service,
        previous_status: from,
        status: to,
        last_modified_date: crate::http::time::rfc3339(at),
    };
    emit(tx, org_id, service_id, &data).await
}

/// The API V2 address of a record, for an event's `url`.
pub fn url(state: &AppState, path: &str) -> String {
    format!("{}/v2/{path}", state.public_url)
}

/// `cases/CASE-0000001`, the path of a case under `/v2/`.
pub fn case_path(case_id: i64) -> String {
    format!("cases/{}", IdKind::Case.format(case_id))
}

/// One page of the event feed.
pub struct FeedPage {
    /// The events the caller may see, oldest first.
    pub events: Vec<EventRow>,
    /// The sequence to continue after: the last event looked at, shown or not.
    pub next_after: i64,
    /// Whether more events were already there when this page was read.
    pub has_more: bool,
}

/// The caller's events after `query.after` of `types`, filtered to the records
/// the scope may read now; waits up to `query.wait_seconds` for the first one.
pub async fn feed(
    state: &AppState,
    scope: &AccessScope,
    types: &[EventType],
    query: &FeedQuery,
) -> Result<FeedPage, StoreError> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(query.wait_seconds));
    let mut after = query.after;
    let wakeups = state.event_wakeups.of(scope.org_id);
    loop {
        // Listen before reading, so an event committed in between still wakes us.
        let woken = wakeups.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let rows = events::after(
            &state.db,
            scope.org_id,
            after,
            types,
            i64::from(query.limit),
        )
        .await?;
        let has_more = rows.len() == query.limit as usize;
        let next_after = rows.last().map_or(after, |row| row.sequence);
        let events = visible_only(state, scope, rows).await?;
        if !events.is_empty() || has_more || Instant::now() >= deadline {
            return Ok(FeedPage {
                events,
                next_after,
                has_more,
            });
        }
        after = next_after;
        tokio::select! {
            () = &mut woken => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// The events whose record the scope may read now (the API's rules: the
/// organization is already the caller's; account restrictions apply here).
async fn visible_only(
    state: &AppState,
    scope: &AccessScope,
    rows: Vec<EventRow>,
) -> Result<Vec<EventRow>, StoreError> {
    if is_whole_organization(scope) {
        return Ok(rows);
    }
    let mut seen: HashMap<(EventSubject, i64), bool> = HashMap::new();
    let mut visible = Vec::with_capacity(rows.len());
    for row in rows {
        let key = (row.event_type.subject(), row.subject_id);
        let may = match seen.get(&key) {
            Some(known) => *known,
            None => {
                let found = may_read(state, scope, &row).await?;
                seen.insert(key, found);
                found
            }
        };
        if may {
            visible.push(row);
        }
    }
    Ok(visible)
}

fn is_whole_organization(scope: &AccessScope) -> bool {
    scope.contract_accounts.is_none() && scope.delivery_accounts.is_none()
}

/// Whether the scope may read the record the event is about, now.
pub async fn may_read(
    state: &AppState,
    scope: &AccessScope,
    event: &EventRow,
) -> Result<bool, StoreError> {
    if event.org_id != scope.org_id {
        return Ok(false);
    }
    if is_whole_organization(scope) {
        return Ok(true);
    }
    let (db, id) = (&state.db, event.subject_id);
    Ok(match event.event_type.subject() {
        EventSubject::Case => cases::find_case(db, scope, id).await?.is_some(),
        EventSubject::Invoice => invoices::find_invoice(db, scope, id).await?.is_some(),
        EventSubject::Service => catalog::find_service(db, scope, id).await?.is_some(),
        EventSubject::Maintenance => maintenances::find_maintenance(db, Some(scope), id)
            .await?
            .is_some(),
        EventSubject::DeactivationRequest => {
            deactivations::find(db, Some(scope), id).await?.is_some()
        }
        EventSubject::Order => orders::find(db, Some(scope), id).await?.is_some(),
        EventSubject::Quote => quotes::find(db, Some(scope), id).await?.is_some(),
    })
}

/// Whether a person may read the event's record now: an active user of its
/// organization, with the permission behind the record's scope, whose account
/// access includes it. Webhooks apply it to an endpoint's owner, e-mail to each
/// recipient.
pub async fn person_may_read(
    state: &AppState,
    person: &UserEntry,
    event: &EventRow,
) -> Result<bool, StoreError> {
    if person.status != UserStatus::Active
        || person.org_id != event.org_id
        || !event.event_type.readable_by(person.permissions)
    {
        return Ok(false);
    }
    may_read(state, &person.access_scope(), event).await
}

/// The event types a caller with `scopes` may read, of those asked for (all when none were).
pub fn readable_types(scopes: ScopeSet, asked: Option<&[EventType]>) -> Vec<EventType> {
    let wanted = asked.unwrap_or(EventType::ALL);
    wanted
        .iter()
        .copied()
        .filter(|t| scopes.allows(t.scope()))
        .collect()
}

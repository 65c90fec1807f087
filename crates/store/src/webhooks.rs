//! Webhook endpoints, their deliveries and every attempt (PRODUCT §7).
//!
//! Events reach deliveries in two steps: a fan-out copies each endpoint's new
//! events (after its `last_sequence`) into deliveries; workers on every node
//! then lease due deliveries, attempt them and record the attempt. A lease that
//! runs out (its node died) makes the delivery due again, with the same
//! message id.

use crate::db::numbered_marks;
use crate::{Backend, Db, Exec, StoreError, Tx, args};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: i64,
    pub org_id: i64,
    pub owner_user_id: i64,
    pub url: String,
    pub description: String,
    /// Comma-separated event type names, or `*`.
    pub event_types: String,
    /// `Enabled` or `Disabled`.
    pub status: String,
    pub disabled_reason: Option<String>,
    pub secret_sealed: Vec<u8>,
    pub previous_secret_sealed: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<i64>,
    pub last_sequence: i64,
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The states an endpoint is in.
pub const ENABLED: &str = "Enabled";
pub const DISABLED: &str = "Disabled";

impl EndpointRow {
    pub fn is_enabled(&self) -> bool {
        self.status == ENABLED
    }
}

const ENDPOINT_COLUMNS: &str = "id, org_id, owner_user_id, url, description, event_types, status, disabled_reason, \
     secret_sealed, previous_secret_sealed, previous_secret_expires_at, last_sequence, failing_since, created_at, updated_at";

pub struct NewEndpoint<'a> {
    pub org_id: i64,
    pub owner_user_id: i64,
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: &'a str,
    pub secret_sealed: Vec<u8>,
    /// Deliveries start after this event sequence (the organization's latest now).
    pub last_sequence: i64,
    pub at: i64,
}

pub async fn insert_endpoint(db: &impl Exec, new: NewEndpoint<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO webhook_endpoints (org_id, owner_user_id, url, description, event_types, status, \
             secret_sealed, last_sequence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'Enabled', $6, $7, $8, $8) RETURNING id",
            args![
                new.org_id,
                new.owner_user_id,
                new.url,
                new.description,
                new.event_types,
                new.secret_sealed,
                new.last_sequence,
                new.at
            ],
        )
        .await?;
    Ok(id)
}

pub async fn count_endpoints(db: &impl Exec, org_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE org_id = $1",
            args![org_id],
        )
        .await?;
    Ok(n)
}

pub async fn list_endpoints(db: &impl Exec, org_id: i64) -> Result<Vec<EndpointRow>, StoreError> {
    db.fetch_all_dynamic(
        format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY id"),
        args![org_id],
    )
    .await
}

/// The organization's endpoint with this id.
pub async fn find_endpoint(
    db: &impl Exec,
    org_id: i64,
    id: i64,
) -> Result<Option<EndpointRow>, StoreError> {
    Ok(db
        .fetch_all_dynamic(
            format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2"
            ),
            args![org_id, id],
        )
        .await?
        .pop())
}

/// Every enabled endpoint, for the fan-out.
pub async fn enabled_endpoints(db: &impl Exec) -> Result<Vec<EndpointRow>, StoreError> {
    db.fetch_all_dynamic(
        format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE status = 'Enabled' ORDER BY id"
        ),
        vec![],
    )
    .await
}

pub async fn endpoint_by_id(db: &impl Exec, id: i64) -> Result<Option<EndpointRow>, StoreError> {
    Ok(db
        .fetch_all_dynamic(
            format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"),
            args![id],
        )
        .await?
        .pop())
}

pub async fn delete_endpoint(db: &impl Exec, org_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(db
        .execute(
            "DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2",
            args![org_id, id],
        )
        .await?
        > 0)
}

/// What an update may change; `None` leaves a field as it is.
#[derive(Default)]
pub struct EndpointChange<'a> {
    pub url: Option<&'a str>,
    pub description: Option<&'a str>,
    pub event_types: Option<&'a str>,
    /// Enabling clears the reason and the failure clock, and starts deliveries with
    /// the next event (what it missed is recovered on request).
    pub enabled: Option<bool>,
}

pub async fn update_endpoint(
    db: &impl Exec,
    id: i64,
    change: EndpointChange<'_>,
    at: i64,
) -> Result<(), StoreError> {
    let status = change.enabled.map(|on| if on { ENABLED } else { DISABLED });
    db.execute(
        "UPDATE webhook_endpoints SET url = COALESCE($2, url), description = COALESCE($3, description), \
         event_types = COALESCE($4, event_types), status = COALESCE($5, status), \
         disabled_reason = CASE WHEN $5 IS NULL THEN disabled_reason WHEN $5 = 'Enabled' THEN NULL ELSE 'Disabled by its owner' END, \
         failing_since = CASE WHEN $5 = 'Enabled' THEN NULL ELSE failing_since END, \
         last_sequence = CASE WHEN $5 = 'Enabled' AND status = 'Disabled' THEN COALESCE(\
           (SELECT q.last_sequence FROM event_sequences q WHERE q.org_id = webhook_endpoints.org_id), 0) \
           ELSE last_sequence END, \
         updated_at = $6 WHERE id = $1",
        args![
            id,
            change.url,
            change.description,
            change.event_types,
            status,
            at
        ],
    )
    .await?;
    Ok(())
}

/// Disables an endpoint, saying why (`410 Gone`, five days of failures).
pub async fn disable_endpoint(
    db: &impl Exec,
    id: i64,
    reason: &str,
    at: i64,
) -> Result<bool, StoreError> {
    Ok(db
        .execute(
            "UPDATE webhook_endpoints SET status = 'Disabled', disabled_reason = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'Enabled'",
            args![id, reason, at],
        )
        .await?
        > 0)
}

/// A new secret; the current one keeps signing beside it until `previous_until`.
pub async fn rotate_secret(
    db: &impl Exec,
    id: i64,
    secret_sealed: Vec<u8>,
    previous_until: i64,
    at: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = $3, \
         secret_sealed = $2, updated_at = $4 WHERE id = $1",
        args![id, secret_sealed, previous_until, at],
    )
    .await?;
    Ok(())
}

/// Records a failed attempt's time as the start of failing, unless it already failed.
pub async fn mark_failing(db: &impl Exec, id: i64, at: i64) -> Result<Option<i64>, StoreError> {
    db.execute(
        "UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL",
        args![id, at],
    )
    .await?;
    let since: Option<(Option<i64>,)> = db
        .fetch_optional(
            "SELECT failing_since FROM webhook_endpoints WHERE id = $1",
            args![id],
        )
        .await?;
    Ok(since.and_then(|(s,)| s))
}

pub async fn mark_healthy(db: &impl Exec, id: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
        args![id],
    )
    .await?;
    Ok(())
}

/// An enabled endpoint whose organization has events past its cursor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BehindRow {
    pub id: i64,
    pub org_id: i64,
    pub event_types: String,
    pub last_sequence: i64,
    /// The organization's latest committed sequence when this was read.
    pub latest: i64,
    /// Its last attempt failed: new deliveries queue behind the one probing it.
    pub failing: bool,
}

/// Enabled endpoints with events to copy, in id order (two nodes fanning out at
/// once lock their cursors in the same order, so neither waits on the other in a circle).
pub async fn endpoints_behind(db: &impl Exec) -> Result<Vec<BehindRow>, StoreError> {
    db.fetch_all(
        "SELECT e.id, e.org_id, e.event_types, e.last_sequence, s.last_sequence AS latest, \
         e.failing_since IS NOT NULL AS failing \
         FROM webhook_endpoints e JOIN event_sequences s ON s.org_id = e.org_id \
         WHERE e.status = 'Enabled' AND s.last_sequence > e.last_sequence ORDER BY e.id",
        args![],
    )
    .await
}

/// Moves the endpoint's fan-out cursor from `from` to `to`; false when another
/// node moved it first (then its deliveries are already there).
pub async fn advance_cursor(tx: &Tx, id: i64, from: i64, to: i64) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "UPDATE webhook_endpoints SET last_sequence = $3 WHERE id = $1 AND last_sequence = $2",
            args![id, from, to],
        )
        .await?
        > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_row_id: Option<i64>,
    pub message_id: String,
    pub event_type: String,
    /// `Pending`, `Delivered`, `Failed` or `Withheld`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub lease_until: Option<i64>,
    pub body: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_row_id, message_id, event_type, state, attempts, next_attempt_at, \
     lease_until, body, created_at, finished_at";

pub struct NewDelivery<'a> {
    pub endpoint_id: i64,
    pub event_row_id: Option<i64>,
    pub message_id: &'a str,
    pub event_type: &'a str,
    /// The body to send when there is no event row (a test).
    pub body: Option<&'a str>,
    /// Held by its maker until then (a test is sent at once, not by a worker).
    pub leased_until: Option<i64>,
    pub at: i64,
    /// When it is first tried: `at`, or later behind a held queue (see [`hold_behind`]).
    pub due_at: i64,
}

pub async fn insert_delivery(db: &impl Exec, new: NewDelivery<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO webhook_deliveries (endpoint_id, event_row_id, message_id, event_type, state, attempts, \
             next_attempt_at, body, lease_until, created_at) VALUES ($1, $2, $3, $4, 'Pending', 0, $8, $6, $7, $5) RETURNING id",
            args![
                new.endpoint_id,
                new.event_row_id,
                new.message_id,
                new.event_type,
                new.at,
                new.body,
                new.leased_until,
                new.due_at
            ],
        )
        .await?;
    Ok(id)
}

/// What a node may lease now.
pub struct LeaseRequest<'a> {
    pub now: i64,
    pub lease_until: i64,
    /// Deliveries in all.
    pub limit: i64,
    /// Endpoints this node is already sending to as much as it may: their due
    /// deliveries stay where they are, so they cannot crowd out the others.
    pub busy_endpoints: &'a [i64],
}

/// Leases due deliveries, oldest first; each is leased by one node only.
pub async fn lease_due(
    db: &impl Exec,
    backend: Backend,
    request: LeaseRequest<'_>,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let mut values = args![request.now, request.lease_until, request.limit];
    values.extend(request.busy_endpoints.iter().map(|id| (*id).into()));
    db.fetch_all_dynamic(
        format!(
            "UPDATE webhook_deliveries SET lease_until = $2 WHERE id IN ({}) RETURNING {DELIVERY_COLUMNS}",
            due_deliveries_sql(backend, request.busy_endpoints.len())
        ),
        values,
    )
    .await
}

/// The ids of due deliveries not leased now, oldest first: `$1` is now, `$3`
/// how many, `$4…` the endpoints to leave out (`$2` is not used).
pub fn due_deliveries_sql(backend: Backend, busy_endpoints: usize) -> String {
    // PostgreSQL: rows another node is leasing right now are skipped, not waited
    // for. The lease condition stands beside the lock: a row locked after another
    // node's lease committed is checked again against this level's conditions only.
    let skip_locked = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let busy = if busy_endpoints == 0 {
        String::new()
    } else {
        format!(
            "AND endpoint_id NOT IN ({})",
            numbered_marks(4, busy_endpoints)
        )
    };
    format!(
        "SELECT id FROM webhook_deliveries WHERE state = 'Pending' AND next_attempt_at <= $1 \
         AND (lease_until IS NULL OR lease_until < $1) {busy} \
         ORDER BY next_attempt_at LIMIT $3 {skip_locked}"
    )
}

/// The endpoint's deliveries, newest first.
pub async fn list_deliveries(
    db: &impl Exec,
    endpoint_id: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    db.fetch_all_dynamic(
        format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2"
        ),
        args![endpoint_id, limit],
    )
    .await
}

pub async fn find_delivery(
    db: &impl Exec,
    endpoint_id: i64,
    id: i64,
) -> Result<Option<DeliveryRow>, StoreError> {
    Ok(db
        .fetch_all_dynamic(
            format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 AND id = $2"),
            args![endpoint_id, id],
        )
        .await?
        .pop())
}

/// Ends a delivery: `Delivered`, `Failed` or `Withheld`.
pub async fn finish_delivery(
    db: &impl Exec,
    id: i64,
    state: &str,
    attempts: i64,
    at: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_deliveries SET state = $2, attempts = $3, finished_at = $4, lease_until = NULL WHERE id = $1",
        args![id, state, attempts, at],
    )
    .await?;
    Ok(())
}

/// Schedules the next attempt and lets go of the lease.
pub async fn retry_delivery(
    db: &impl Exec,
    id: i64,
    attempts: i64,
    next_attempt_at: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_deliveries SET attempts = $2, next_attempt_at = $3, lease_until = NULL WHERE id = $1",
        args![id, attempts, next_attempt_at],
    )
    .await?;
    Ok(())
}

/// Gives leased deliveries back untried, due as they were: this node leased
/// more of an endpoint's deliveries than it may send to at once.
pub async fn release_leases(db: &impl Exec, ids: &[i64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    db.fetch_all_dynamic::<(i64,)>(
        format!(
            "UPDATE webhook_deliveries SET lease_until = NULL WHERE id IN ({}) RETURNING id",
            numbered_marks(1, ids.len())
        ),
        ids.iter().map(|id| (*id).into()).collect(),
    )
    .await?;
    Ok(())
}

/// Holds the endpoint's other pending deliveries until just after `until`, when
/// `probe` is tried again. While an endpoint cannot be reached, one delivery
/// probes it on its retry schedule and the rest wait behind it, instead of each
/// being tried on its own and each standing at the head of the queue. Those
/// leased now are left to their attempts.
pub async fn hold_behind(
    db: &impl Exec,
    endpoint_id: i64,
    probe: i64,
    until: i64,
    now: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = $3 + 1 WHERE endpoint_id = $1 AND id <> $2 \
         AND state = 'Pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $4)",
        args![endpoint_id, probe, until, now],
    )
    .await?;
    Ok(())
}

/// Until when the endpoint's queue is held: its latest pending delivery's time.
pub async fn held_until(db: &impl Exec, endpoint_id: i64) -> Result<Option<i64>, StoreError> {
    let (latest,): (Option<i64>,) = db
        .fetch_one(
            "SELECT MAX(next_attempt_at) FROM webhook_deliveries WHERE endpoint_id = $1 AND state = 'Pending'",
            args![endpoint_id],
        )
        .await?;
    Ok(latest)
}

/// Makes a delivery due again now (redelivery), whatever its state.
pub async fn requeue_delivery(db: &impl Exec, id: i64, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE webhook_deliveries SET state = 'Pending', attempts = 0, next_attempt_at = $2, lease_until = NULL, \
         finished_at = NULL WHERE id = $1",
        args![id, at],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_excerpt: String,
    pub error: Option<String>,
}

pub struct NewAttempt<'a> {
    pub delivery_id: i64,
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_excerpt: &'a str,
    pub error: Option<&'a str>,
}

pub async fn insert_attempt(db: &impl Exec, new: NewAttempt<'_>) -> Result<(), StoreError> {
    db.execute(
        // A delivery deleted with its endpoint while the attempt was under way
        // leaves nothing to log it under; the attempt is dropped with it.
        "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)",
        args![
            new.delivery_id,
            new.attempted_at,
            new.status_code,
            new.latency_ms,
            new.response_excerpt,
            new.error
        ],
    )
    .await?;
    Ok(())
}

/// Every attempt of these deliveries, oldest first.
pub async fn attempts_of(
    db: &impl Exec,
    delivery_ids: &[i64],
) -> Result<Vec<AttemptRow>, StoreError> {
    if delivery_ids.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all_dynamic(
        format!(
            "SELECT id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error \
             FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY id",
            numbered_marks(1, delivery_ids.len())
        ),
        delivery_ids.iter().map(|id| (*id).into()).collect(),
    )
    .await
}

/// The endpoints a user owns.
pub async fn endpoints_of_owner(
    db: &impl Exec,
    user_id: i64,
) -> Result<Vec<EndpointRow>, StoreError> {
    db.fetch_all_dynamic(
        format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner_user_id = $1 ORDER BY id"
        ),
        args![user_id],
    )
    .await
}

/// Of these events, the ones already delivered to the endpoint.
pub async fn delivered_events(
    db: &impl Exec,
    endpoint_id: i64,
    since: i64,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = db
        .fetch_all(
            "SELECT DISTINCT event_row_id FROM webhook_deliveries WHERE endpoint_id = $1 \
             AND state = 'Delivered' AND event_row_id IS NOT NULL AND created_at >= $2",
            args![endpoint_id, since],
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Per endpoint: deliveries waiting, and when the oldest of them was made.
/// PostgreSQL: refreshes the delivery queue's statistics. A planner that still
/// believes the queue empty (a new installation, or autovacuum off or behind)
/// sorts every pending delivery to lease a few, and leasing then slows as the
/// queue grows until deliveries fall behind for good; with current statistics
/// it reads the queue's index in order and stops at the limit.
pub async fn refresh_queue_statistics(db: &Db) -> Result<(), StoreError> {
    if db.backend() == Backend::Postgres {
        db.execute("ANALYZE webhook_deliveries", args![]).await?;
    }
    Ok(())
}

pub async fn pending_by_endpoint(db: &impl Exec) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    db.fetch_all(
        "SELECT endpoint_id, COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE state = 'Pending' \
         GROUP BY endpoint_id",
        args![],
    )
    .await
}

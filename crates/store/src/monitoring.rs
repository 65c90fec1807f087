//! What the provider's monitoring sends: the integration tokens it
//! authenticates with, the inbox every notification is written to before it is
//! acted on, each alert key as it stands, and each service's derived health.

use oneportal_domain::maintenance::MaintenanceStatus;
use oneportal_domain::monitoring::{AlertKind, AlertState, ServiceHealth};

use crate::{Exec, StoreError, args};

/// An integration token as stored (its hash never leaves the store).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IntegrationTokenRow {
    pub id: i64,
    pub name: String,
    pub hint: String,
    pub created_by: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, name, hint, created_by, created_at, last_used_at, revoked_at";

pub async fn insert_token(
    db: &impl Exec,
    name: &str,
    token_hash: &str,
    hint: &str,
    created_by: i64,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO integration_tokens (name, token_hash, hint, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![name, token_hash, hint, created_by, at],
        )
        .await?;
    Ok(id)
}

/// The token with this hash, unless it was revoked.
pub async fn find_live_token(
    db: &impl Exec,
    token_hash: &str,
) -> Result<Option<IntegrationTokenRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, name, hint, created_by, created_at, last_used_at, revoked_at \
         FROM integration_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        args![token_hash],
    )
    .await
}

/// Every token, newest first, revoked ones too (staff see what existed).
pub async fn tokens(db: &impl Exec) -> Result<Vec<IntegrationTokenRow>, StoreError> {
    db.fetch_all_dynamic(
        format!("SELECT {TOKEN_COLUMNS} FROM integration_tokens ORDER BY id DESC"),
        vec![],
    )
    .await
}

/// One token by its id, revoked or not.
pub async fn find_token(
    db: &impl Exec,
    id: i64,
) -> Result<Option<IntegrationTokenRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, name, hint, created_by, created_at, last_used_at, revoked_at \
         FROM integration_tokens WHERE id = $1",
        args![id],
    )
    .await
}

/// Revokes a live token; answers whether there was one.
pub async fn revoke_token(db: &impl Exec, id: i64, at: i64) -> Result<bool, StoreError> {
    Ok(db
        .execute(
            "UPDATE integration_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            args![id, at],
        )
        .await?
        > 0)
}

pub async fn mark_token_used(db: &impl Exec, id: i64, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE integration_tokens SET last_used_at = $2 WHERE id = $1",
        args![id, at],
    )
    .await?;
    Ok(())
}

/// A notification waiting to be acted on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxRow {
    pub id: i64,
    pub source: String,
    /// The notification's alerts, as JSON in OnePortal's own shape.
    pub alerts: String,
    pub received_at: i64,
}

/// Writes a notification to the inbox; answers its id.
pub async fn enqueue(
    db: &impl Exec,
    source: &str,
    token_id: i64,
    alerts: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO alert_inbox (source, token_id, alerts, received_at) VALUES ($1, $2, $3, $4) RETURNING id",
            args![source, token_id, alerts, at],
        )
        .await?;
    Ok(id)
}

/// The oldest notifications not yet acted on, in the order they arrived.
pub async fn waiting(db: &impl Exec, limit: i64) -> Result<Vec<InboxRow>, StoreError> {
    db.fetch_all(
        "SELECT id, source, alerts, received_at FROM alert_inbox \
         WHERE processed_at IS NULL ORDER BY id LIMIT $1",
        args![limit],
    )
    .await
}

pub async fn mark_processed(db: &impl Exec, up_to: i64, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE alert_inbox SET processed_at = $2 WHERE id <= $1 AND processed_at IS NULL",
        args![up_to, at],
    )
    .await?;
    Ok(())
}

/// Sets the notification aside: it failed on its own, so it is marked done
/// with the reason and kept for staff, and the ones after it go on.
pub async fn set_aside(db: &impl Exec, id: i64, error: &str, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE alert_inbox SET processed_at = $2, error = $3 WHERE id = $1",
        args![id, at, error],
    )
    .await?;
    Ok(())
}

/// Notifications set aside, newest first: when each arrived, its source and why.
pub async fn set_aside_rows(
    db: &impl Exec,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    db.fetch_all(
        "SELECT received_at, source, error FROM alert_inbox WHERE error IS NOT NULL \
         ORDER BY id DESC LIMIT $1",
        args![limit],
    )
    .await
}

/// How many notifications wait, and how old the oldest is (for staff and metrics).
pub async fn backlog(db: &impl Exec) -> Result<(i64, Option<i64>), StoreError> {
    db.fetch_one(
        "SELECT COUNT(*), MIN(received_at) FROM alert_inbox WHERE processed_at IS NULL",
        vec![],
    )
    .await
}

/// Forgets acted-on notifications received before `before`.
pub async fn prune_inbox(db: &impl Exec, before: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM alert_inbox WHERE processed_at IS NOT NULL AND received_at < $1",
        args![before],
    )
    .await
}

/// One alert key as it stands.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub alert_key: String,
    pub source: String,
    #[sqlx(try_from = "crate::stored::Stored<AlertState>")]
    pub state: AlertState,
    #[sqlx(try_from = "crate::stored::Stored<AlertKind>")]
    pub kind: AlertKind,
    pub severity: String,
    pub summary: String,
    pub service_label: String,
    pub service_id: Option<i64>,
    pub org_id: Option<i64>,
    pub case_id: Option<i64>,
    pub case_opened_at: Option<i64>,
    pub maintenance_id: Option<i64>,
    /// JSON object of the alert's labels.
    pub labels: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub fired_at: i64,
    pub resolved_at: Option<i64>,
    pub notifications: i64,
}

const ALERT_COLUMNS: &str = "id, alert_key, source, state, kind, severity, summary, service_label, service_id, \
     org_id, case_id, case_opened_at, maintenance_id, labels, first_seen_at, last_seen_at, fired_at, \
     resolved_at, notifications";

pub async fn find_alert(db: &impl Exec, key: &str) -> Result<Option<AlertRow>, StoreError> {
    let rows: Vec<AlertRow> = db
        .fetch_all_dynamic(
            format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE alert_key = $1"),
            args![key],
        )
        .await?;
    Ok(rows.into_iter().next())
}

/// Writes the alert as `row` has it: inserted when `row.id` is 0, else updated.
/// Answers its id.
pub async fn save_alert(db: &impl Exec, row: &AlertRow) -> Result<i64, StoreError> {
    let values = args![
        row.alert_key.as_str(),
        row.source.as_str(),
        row.state.as_str(),
        row.kind.as_str(),
        row.severity.as_str(),
        row.summary.as_str(),
        row.service_label.as_str(),
        row.service_id,
        row.org_id,
        row.case_id,
        row.case_opened_at,
        row.maintenance_id,
        row.labels.as_str(),
        row.first_seen_at,
        row.last_seen_at,
        row.fired_at,
        row.resolved_at,
        row.notifications,
    ];
    if row.id == 0 {
        let (id,): (i64,) = db
            .fetch_one(
                "INSERT INTO alerts (alert_key, source, state, kind, severity, summary, service_label, service_id, \
                 org_id, case_id, case_opened_at, maintenance_id, labels, first_seen_at, last_seen_at, fired_at, \
                 resolved_at, notifications) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
                values,
            )
            .await?;
        return Ok(id);
    }
    let mut values = values;
    values.push(row.id.into());
    db.execute(
        "UPDATE alerts SET alert_key = $1, source = $2, state = $3, kind = $4, severity = $5, summary = $6, \
         service_label = $7, service_id = $8, org_id = $9, case_id = $10, case_opened_at = $11, \
         maintenance_id = $12, labels = $13, first_seen_at = $14, last_seen_at = $15, fired_at = $16, \
         resolved_at = $17, notifications = $18 WHERE id = $19",
        values,
    )
    .await?;
    Ok(row.id)
}

/// What staff look for among alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertFilter {
    /// Every alert, most recently seen first.
    All,
    /// Alerts whose service label matched nothing.
    Unmatched,
    /// Alerts still firing or acknowledged.
    Open,
}

pub async fn list_alerts(
    db: &impl Exec,
    filter: AlertFilter,
    limit: i64,
) -> Result<Vec<AlertRow>, StoreError> {
    let condition = match filter {
        AlertFilter::All => "",
        AlertFilter::Unmatched => "WHERE service_id IS NULL",
        AlertFilter::Open => "WHERE state IN ('Firing', 'Acknowledged')",
    };
    db.fetch_all_dynamic(
        format!(
            "SELECT {ALERT_COLUMNS} FROM alerts {condition} ORDER BY last_seen_at DESC, id DESC LIMIT $1"
        ),
        args![limit],
    )
    .await
}

/// The alerts recorded against a maintenance (they fired while it was in progress).
pub async fn alerts_of_maintenance(
    db: &impl Exec,
    maintenance_id: i64,
) -> Result<Vec<AlertRow>, StoreError> {
    db.fetch_all_dynamic(
        format!(
            "SELECT {ALERT_COLUMNS} FROM alerts WHERE maintenance_id = $1 ORDER BY fired_at, id"
        ),
        args![maintenance_id],
    )
    .await
}

/// The kinds of the service's open alerts.
pub async fn open_alert_kinds(
    db: &impl Exec,
    service_id: i64,
) -> Result<Vec<AlertKind>, StoreError> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            "SELECT kind FROM alerts WHERE service_id = $1 AND state IN ('Firing', 'Acknowledged')",
            args![service_id],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind,)| AlertKind::parse(&kind))
        .collect())
}

/// The maintenance in progress that lists the service, if one does.
pub async fn maintenance_in_process(
    db: &impl Exec,
    service_id: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = db
        .fetch_optional(
            "SELECT m.id FROM maintenance_services s JOIN maintenances m ON m.id = s.maintenance_id \
             WHERE s.service_id = $1 AND m.status = $2 ORDER BY m.id LIMIT 1",
            args![service_id, MaintenanceStatus::InProcess.as_str()],
        )
        .await?;
    Ok(row.map(|(id,)| id))
}

/// A service's stored health with its organization.
pub async fn health_of(
    db: &impl Exec,
    service_id: i64,
) -> Result<Option<(i64, ServiceHealth)>, StoreError> {
    let row: Option<(i64, String)> = db
        .fetch_optional(
            "SELECT org_id, health FROM services WHERE id = $1",
            args![service_id],
        )
        .await?;
    Ok(row.map(|(org, health)| {
        (
            org,
            ServiceHealth::parse(&health).unwrap_or(ServiceHealth::Operational),
        )
    }))
}

/// Stores a service's health; `at` also becomes its `lastModifiedDate`.
pub async fn set_health(
    db: &impl Exec,
    service_id: i64,
    health: ServiceHealth,
    at: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE services SET health = $2, updated_at = $3 WHERE id = $1",
        args![service_id, health.as_str(), at],
    )
    .await?;
    Ok(())
}

/// Makes this transaction the only one acting on the inbox across nodes, so
/// notifications about one alert are acted on in the order they arrived.
/// Answers false when another node holds it (PostgreSQL); SQLite's write lock
/// already serializes.
pub async fn try_lock_inbox(tx: &crate::Tx) -> Result<bool, StoreError> {
    if tx.backend().await != crate::Backend::Postgres {
        return Ok(true);
    }
    let (locked,): (bool,) = tx
        .fetch_one("SELECT pg_try_advisory_xact_lock(72427)", vec![])
        .await?;
    Ok(locked)
}

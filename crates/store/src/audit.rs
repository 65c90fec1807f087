//! The append-only audit log: who did what, to what, when and from where.

use crate::{Exec, StoreError, args};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub org_id: Option<i64>,
    pub actor_type: String,
    pub actor_id: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    pub at: i64,
    pub org_id: Option<i64>,
    pub actor_type: String,
    pub actor_id: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// JSON object text; never a secret.
    pub details: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

pub async fn append(db: &impl Exec, event: NewAuditEvent) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO audit_log (at, org_id, actor_type, actor_id, action, target_type, target_id, details, ip, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![
            event.at,
            event.org_id,
            event.actor_type,
            event.actor_id,
            event.action,
            event.target_type,
            event.target_id,
            event.details,
            event.ip,
            event.request_id
        ],
    )
    .await?;
    Ok(())
}

/// Newest first; narrowed to an organization and/or an action when given.
pub async fn list(
    db: &impl Exec,
    org_id: Option<i64>,
    action: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    db.fetch_all(
        "SELECT id, at, org_id, actor_type, actor_id, action, target_type, target_id, details, ip, request_id \
         FROM audit_log WHERE ($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR action = $2) ORDER BY id DESC LIMIT $3",
        args![org_id, action, limit],
    )
    .await
}

/// What the staff's audit page narrows the log to; `None` leaves a filter out.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// An actor id (`STF-000001`, `USR-000002`, a client id) or kind (`staff`, `system`).
    pub actor: Option<String>,
    /// An action (`case.status_changed`) or the start of one (`case.`).
    pub action_prefix: Option<String>,
    pub org_id: Option<i64>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub until: Option<i64>,
}

/// An action filter matches the action or its start (`case.` matches `case.opened`).
const AUDIT_WHERE: &str = "($1 IS NULL OR actor_id = $1 OR actor_type = $1) \
     AND ($2 IS NULL OR substr(action, 1, length($2)) = $2) AND ($3 IS NULL OR org_id = $3) \
     AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5)";

fn filter_args(filter: &AuditFilter) -> Vec<crate::Arg> {
    args![
        filter.actor.clone(),
        filter.action_prefix.clone(),
        filter.org_id,
        filter.from,
        filter.until
    ]
}

/// One page of the log, newest first, and how many events match in all.
pub async fn search(
    db: &impl Exec,
    filter: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditRow>, i64), StoreError> {
    // Integers, not text: written into the statement, so the filter keeps the only placeholders.
    let (limit, offset) = (limit.max(0), offset.max(0));
    let rows = db
        .fetch_all_dynamic(
            format!(
                "SELECT id, at, org_id, actor_type, actor_id, action, target_type, target_id, details, ip, request_id \
                 FROM audit_log WHERE {AUDIT_WHERE} ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
            ),
            filter_args(filter),
        )
        .await?;
    let (total,): (i64,) = db
        .fetch_all_dynamic(
            format!("SELECT COUNT(*) FROM audit_log WHERE {AUDIT_WHERE}"),
            filter_args(filter),
        )
        .await?
        .pop()
        .unwrap_or((0,));
    Ok((rows, total))
}

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

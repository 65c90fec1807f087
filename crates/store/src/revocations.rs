//! Access tokens revoked before their expiry (RFC 7009), kept until they expire.

use crate::{Exec, StoreError, args};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevokedTokenRow {
    pub jti: String,
    pub client_id: String,
    pub org_id: i64,
    pub expires_at: i64,
}

pub async fn insert(db: &impl Exec, row: &RevokedTokenRow) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO revoked_tokens (jti, client_id, org_id, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING",
        args![row.jti.as_str(), row.client_id.as_str(), row.org_id, row.expires_at],
    )
    .await?;
    Ok(())
}

pub async fn list_unexpired(db: &impl Exec, now: i64) -> Result<Vec<RevokedTokenRow>, StoreError> {
    db.fetch_all(
        "SELECT jti, client_id, org_id, expires_at FROM revoked_tokens WHERE expires_at > $1",
        args![now],
    )
    .await
}

pub async fn purge_expired(db: &impl Exec, now: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM revoked_tokens WHERE expires_at <= $1",
        args![now],
    )
    .await
}

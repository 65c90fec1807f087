//! Staff sessions for the operations pages, kept apart from customer sessions
//! (`portal_sessions`) so that neither cookie opens the other side.

use crate::portal::NewSession;
use crate::{Exec, StoreError, args};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffSessionRow {
    pub token_hash: String,
    pub staff_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// `session.user_id` is the staff member's id.
pub async fn insert_session(db: &impl Exec, session: NewSession<'_>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at, last_seen_at, expires_at, ip) \
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
        args![
            session.token_hash,
            session.user_id,
            session.csrf_token,
            session.now,
            session.expires_at,
            session.ip
        ],
    )
    .await?;
    Ok(())
}

pub async fn find_session(
    db: &impl Exec,
    token_hash: &str,
) -> Result<Option<StaffSessionRow>, StoreError> {
    db.fetch_optional(
        "SELECT token_hash, staff_id, csrf_token, created_at, last_seen_at, expires_at \
         FROM staff_sessions WHERE token_hash = $1",
        args![token_hash],
    )
    .await
}

pub async fn touch_session(db: &impl Exec, token_hash: &str, now: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2",
        args![now, token_hash],
    )
    .await?;
    Ok(())
}

pub async fn delete_session(db: &impl Exec, token_hash: &str) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM staff_sessions WHERE token_hash = $1",
        args![token_hash],
    )
    .await?;
    Ok(())
}

/// Forgets staff sessions past their absolute expiry or idle since `idle_before`.
pub async fn purge_expired(db: &impl Exec, now: i64, idle_before: i64) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM staff_sessions WHERE expires_at <= $1 OR last_seen_at < $2",
        args![now, idle_before],
    )
    .await?;
    Ok(())
}

/// Sets a staff member's password; their sessions end, so an old password's session does not outlive it.
pub async fn set_password_hash(
    db: &impl Exec,
    staff_id: i64,
    hash: &str,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE staff SET password_hash = $1 WHERE id = $2",
        args![hash, staff_id],
    )
    .await?;
    db.execute(
        "DELETE FROM staff_sessions WHERE staff_id = $1",
        args![staff_id],
    )
    .await?;
    Ok(())
}

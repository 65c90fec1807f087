//! The portal's own rows: failed logins, and secrets waiting to be shown once
//! (sessions are in `sessions`).

use crate::{Exec, StoreError, args};

/// Forgets secrets no one came back for in time (a session's own go with it, see `sessions`).
pub async fn purge_expired_reveals(db: &impl Exec, now: i64) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM portal_secret_reveals WHERE expires_at <= $1",
        args![now],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginFailures {
    pub failures: i64,
    pub first_at: i64,
    pub locked_until: Option<i64>,
}

pub async fn login_failures(
    db: &impl Exec,
    subject: &str,
) -> Result<Option<LoginFailures>, StoreError> {
    db.fetch_optional(
        "SELECT failures, first_at, locked_until FROM portal_login_failures WHERE subject = $1",
        args![subject],
    )
    .await
}

/// Counts one failure in the window that began at `window_start` or later (an older
/// count starts again at 1); returns the count now stored.
pub async fn add_login_failure(
    db: &impl Exec,
    subject: &str,
    now: i64,
    window_start: i64,
) -> Result<i64, StoreError> {
    let (failures,): (i64,) = db
        .fetch_one(
            "INSERT INTO portal_login_failures (subject, failures, first_at, locked_until) VALUES ($1, 1, $2, NULL) \
             ON CONFLICT (subject) DO UPDATE SET \
               failures = CASE WHEN portal_login_failures.first_at < $3 THEN 1 ELSE portal_login_failures.failures + 1 END, \
               first_at = CASE WHEN portal_login_failures.first_at < $3 THEN $2 ELSE portal_login_failures.first_at END \
             RETURNING failures",
            args![subject, now, window_start],
        )
        .await?;
    Ok(failures)
}

pub async fn lock_login(db: &impl Exec, subject: &str, until: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE portal_login_failures SET locked_until = $2, failures = 0, first_at = $2 WHERE subject = $1",
        args![subject, until],
    )
    .await?;
    Ok(())
}

pub async fn clear_login_failures(db: &impl Exec, subject: &str) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM portal_login_failures WHERE subject = $1",
        args![subject],
    )
    .await?;
    Ok(())
}

pub struct NewReveal<'a> {
    pub reveal_hash: &'a str,
    pub session_hash: &'a str,
    pub client_id: &'a str,
    pub kind: &'a str,
    pub sealed: Vec<u8>,
    pub expires_at: i64,
}

pub async fn insert_reveal(db: &impl Exec, reveal: NewReveal<'_>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO portal_secret_reveals (reveal_hash, session_hash, client_id, kind, sealed, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            reveal.reveal_hash,
            reveal.session_hash,
            reveal.client_id,
            reveal.kind,
            reveal.sealed,
            reveal.expires_at
        ],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RevealRow {
    pub client_id: String,
    pub kind: String,
    pub sealed: Vec<u8>,
    pub expires_at: i64,
}

/// Takes the waiting secret out: the first read deletes it, so it is shown once.
pub async fn take_reveal(
    db: &impl Exec,
    reveal_hash: &str,
    session_hash: &str,
) -> Result<Option<RevealRow>, StoreError> {
    db.fetch_optional(
        "DELETE FROM portal_secret_reveals WHERE reveal_hash = $1 AND session_hash = $2 \
         RETURNING client_id, kind, sealed, expires_at",
        args![reveal_hash, session_hash],
    )
    .await
}

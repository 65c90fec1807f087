//! The e-mail outbox and the single-use links that e-mails carry.

use crate::{Exec, StoreError, args, now_ms};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// The message's single-use link, sealed with the master key (base64), until
    /// the message is delivered or the link expires; the body holds a marker.
    pub sealed_link: Option<String>,
    pub link_expires_at: Option<i64>,
    /// One text attachment: its file name, media type and content.
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    pub attachment: Option<String>,
}

/// A text file an e-mail carries (a calendar entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub name: String,
    pub media_type: String,
    pub content: String,
}

/// A link to seal into a message: the sealed text and when the link stops working.
#[derive(Debug, Clone)]
pub struct SealedLink {
    pub sealed: String,
    pub expires_at: i64,
}

macro_rules! select_outbox {
    ($rest:literal) => {
        concat!(
            "SELECT id, recipient, subject, body, state, attempts, next_attempt_at, last_error, \
             created_at, sent_at, sealed_link, link_expires_at, attachment_name, attachment_type, \
             attachment FROM outbox ",
            $rest
        )
    };
}

/// Stores a message; `state` is `Pending` (to deliver) or `Stored` (no SMTP configured).
pub async fn insert(
    db: &impl Exec,
    recipient: &str,
    subject: &str,
    body: &str,
    state: &str,
) -> Result<i64, StoreError> {
    insert_with_link(db, recipient, subject, body, state, None, None).await
}

/// Stores a message whose body carries a marker where the sealed `link` goes.
pub async fn insert_with_link(
    db: &impl Exec,
    recipient: &str,
    subject: &str,
    body: &str,
    state: &str,
    link: Option<SealedLink>,
    attachment: Option<&MailAttachment>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let (sealed, expires_at) = link.map_or((None, None), |l| (Some(l.sealed), Some(l.expires_at)));
    let (name, media_type, content) = attachment.map_or((None, None, None), |a| {
        (
            Some(a.name.as_str()),
            Some(a.media_type.as_str()),
            Some(a.content.as_str()),
        )
    });
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO outbox (recipient, subject, body, state, attempts, next_attempt_at, created_at, \
             sealed_link, link_expires_at, attachment_name, attachment_type, attachment) \
             VALUES ($1, $2, $3, $4, 0, $5, $5, $6, $7, $8, $9, $10) RETURNING id",
            args![recipient, subject, body, state, now, sealed, expires_at, name, media_type, content],
        )
        .await?;
    Ok(id)
}

/// Forgets the sealed links that have expired: nothing could use them any more,
/// and nobody should be able to try.
pub async fn forget_expired_links(db: &impl Exec, now: i64) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE outbox SET sealed_link = NULL WHERE sealed_link IS NOT NULL AND link_expires_at < $1",
        args![now],
    )
    .await
}

/// The newest messages first.
pub async fn list(db: &impl Exec, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    db.fetch_all(select_outbox!("ORDER BY id DESC LIMIT $1"), args![limit])
        .await
}

pub async fn find(db: &impl Exec, id: i64) -> Result<Option<OutboxRow>, StoreError> {
    db.fetch_optional(select_outbox!("WHERE id = $1"), args![id])
        .await
}

/// Messages waiting for delivery whose next attempt is due.
pub async fn due(db: &impl Exec, now: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    db.fetch_all(
        select_outbox!("WHERE state = 'Pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2"),
        args![now, limit],
    )
    .await
}

/// Claims a due message for one attempt (another node cannot take it meanwhile).
pub async fn claim(
    db: &impl Exec,
    id: i64,
    attempts: i64,
    retry_at: i64,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "UPDATE outbox SET attempts = $1, next_attempt_at = $2 \
             WHERE id = $3 AND state = 'Pending' AND attempts = $4",
            args![attempts + 1, retry_at, id, attempts],
        )
        .await?;
    Ok(changed == 1)
}

/// Removes messages created before `before` that are no longer waiting for
/// delivery; returns how many went.
pub async fn purge(db: &impl Exec, before: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM outbox WHERE created_at < $1 AND state <> 'Pending'",
        args![before],
    )
    .await
}

/// Records delivery; the sealed link goes, and `body` replaces the stored one
/// (a message written before links were sealed loses its link here).
pub async fn mark_sent(db: &impl Exec, id: i64, body: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE outbox SET state = 'Sent', sent_at = $1, last_error = NULL, sealed_link = NULL, \
         body = $2 WHERE id = $3",
        args![now_ms(), body, id],
    )
    .await?;
    Ok(())
}

pub async fn mark_failed(db: &impl Exec, id: i64, error: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE outbox SET last_error = $1 WHERE id = $2",
        args![error, id],
    )
    .await?;
    Ok(())
}

pub async fn insert_link_token(
    db: &impl Exec,
    token_hash: &str,
    user_id: i64,
    purpose: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO user_link_tokens (token_hash, user_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        args![token_hash, user_id, purpose, now_ms(), expires_at],
    )
    .await?;
    Ok(())
}

/// Makes every unused link of `purpose` for the user stop working (a newer one was sent).
pub async fn retire_link_tokens(
    db: &impl Exec,
    user_id: i64,
    purpose: &str,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE user_link_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        args![now_ms(), user_id, purpose],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkTokenRow {
    pub user_id: i64,
    pub purpose: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn find_link_token(
    db: &impl Exec,
    token_hash: &str,
) -> Result<Option<LinkTokenRow>, StoreError> {
    db.fetch_optional(
        "SELECT user_id, purpose, expires_at, used_at FROM user_link_tokens WHERE token_hash = $1",
        args![token_hash],
    )
    .await
}

/// Uses the link once: true only for the one caller that found it unused and unexpired.
pub async fn use_link_token(
    db: &impl Exec,
    token_hash: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            "UPDATE user_link_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
            args![now, token_hash],
        )
        .await?;
    Ok(changed == 1)
}

/// Ends every portal session of a user (removal, password reset).
pub async fn end_sessions_of(db: &impl Exec, user_id: i64) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM portal_sessions WHERE user_id = $1",
        args![user_id],
    )
    .await?;
    Ok(())
}

/// The users of an organization, oldest first.
pub async fn users_of(
    db: &impl Exec,
    org_id: i64,
) -> Result<Vec<crate::users::UserRow>, StoreError> {
    db.fetch_all(
        "SELECT id, org_id, email, first_name, last_name, phone, country, user_type, kind, status, \
         permissions, password_hash, created_at, updated_at FROM users WHERE org_id = $1 ORDER BY id",
        args![org_id],
    )
    .await
}

/// When the newest link of `purpose` was made for the user, if any.
pub async fn newest_link_token_at(
    db: &impl Exec,
    user_id: i64,
    purpose: &str,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(Option<i64>,)> = db
        .fetch_optional(
            "SELECT MAX(created_at) FROM user_link_tokens WHERE user_id = $1 AND purpose = $2",
            args![user_id, purpose],
        )
        .await?;
    Ok(row.and_then(|(at,)| at))
}

//! Each person's secret maintenance-calendar address (one per person): found by
//! its key's hash; the key is kept sealed so its owner can read it again.

use crate::{Exec, StoreError, args};

/// A person's calendar address as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarFeedRow {
    pub user_id: i64,
    /// The key, sealed with the master key (base64).
    pub key_sealed: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Gives the person a new key (the old one stops working).
pub async fn replace(
    db: &impl Exec,
    user_id: i64,
    key_hash: &str,
    key_sealed: &str,
    at: i64,
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO calendar_feeds (user_id, key_hash, key_sealed, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET key_hash = $2, key_sealed = $3, created_at = $4, last_used_at = NULL",
        args![user_id, key_hash, key_sealed, at],
    )
    .await?;
    Ok(())
}

/// Turns the person's address off; answers whether there was one.
pub async fn remove(db: &impl Exec, user_id: i64) -> Result<bool, StoreError> {
    Ok(db
        .execute(
            "DELETE FROM calendar_feeds WHERE user_id = $1",
            args![user_id],
        )
        .await?
        > 0)
}

pub async fn of_user(db: &impl Exec, user_id: i64) -> Result<Option<CalendarFeedRow>, StoreError> {
    db.fetch_optional(
        "SELECT user_id, key_sealed, created_at, last_used_at FROM calendar_feeds WHERE user_id = $1",
        args![user_id],
    )
    .await
}

/// The person whose key has this hash, and when a calendar last read it.
pub async fn find_key(
    db: &impl Exec,
    key_hash: &str,
) -> Result<Option<(i64, Option<i64>)>, StoreError> {
    db.fetch_optional(
        "SELECT user_id, last_used_at FROM calendar_feeds WHERE key_hash = $1",
        args![key_hash],
    )
    .await
}

/// Notes that a calendar read the person's address at `at`.
pub async fn mark_used(db: &impl Exec, user_id: i64, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE calendar_feeds SET last_used_at = $2 WHERE user_id = $1",
        args![user_id, at],
    )
    .await?;
    Ok(())
}

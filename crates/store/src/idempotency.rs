//! Idempotency keys: at most one execution per (caller, key), and the stored
//! answer for every retry.

use crate::{Exec, StoreError, args};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRequest {
    pub request_hash: String,
    pub state: String,
    pub status_code: Option<i64>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: i64,
}

impl StoredRequest {
    /// Whether the first request finished and its answer is stored (the state
    /// `finish` writes); otherwise it is still in flight.
    pub fn is_finished(&self) -> bool {
        self.state == "done"
    }
}

/// What happened when a request claimed its key.
#[derive(Debug)]
pub enum Claim {
    /// This request runs; it must [`finish`] or [`release`] the key.
    Claimed,
    /// The key was used before (or is in use now).
    Existing(StoredRequest),
}

/// Claims `(owner, key)` for a request with `request_hash`. A claim left in flight
/// since before `stale_before` (its node died) is taken over.
pub async fn claim(
    db: &impl Exec,
    owner: &str,
    key: &str,
    request_hash: &str,
    now: i64,
    stale_before: i64,
) -> Result<Claim, StoreError> {
    let inserted = db
        .execute(
            "INSERT INTO idempotency_keys (owner, idem_key, request_hash, state, created_at) \
             VALUES ($1, $2, $3, 'in_flight', $4) ON CONFLICT (owner, idem_key) DO NOTHING",
            args![owner, key, request_hash, now],
        )
        .await?;
    if inserted == 1 {
        return Ok(Claim::Claimed);
    }
    let taken_over = db
        .execute(
            "UPDATE idempotency_keys SET request_hash = $3, created_at = $4 \
             WHERE owner = $1 AND idem_key = $2 AND state = 'in_flight' AND created_at < $5 AND request_hash = $3",
            args![owner, key, request_hash, now, stale_before],
        )
        .await?;
    if taken_over == 1 {
        return Ok(Claim::Claimed);
    }
    let existing: Option<StoredRequest> = db
        .fetch_optional(
            "SELECT request_hash, state, status_code, content_type, location, body, created_at \
             FROM idempotency_keys WHERE owner = $1 AND idem_key = $2",
            args![owner, key],
        )
        .await?;
    match existing {
        Some(stored) => Ok(Claim::Existing(stored)),
        // Purged between the two statements: claim it again.
        None => Box::pin(claim(db, owner, key, request_hash, now, stale_before)).await,
    }
}

/// Stores the answer a claimed request gave.
pub async fn finish(
    db: &impl Exec,
    owner: &str,
    key: &str,
    status_code: u16,
    content_type: Option<&str>,
    location: Option<&str>,
    body: Vec<u8>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE idempotency_keys SET state = 'done', status_code = $3, content_type = $4, location = $5, body = $6 \
         WHERE owner = $1 AND idem_key = $2",
        args![owner, key, i64::from(status_code), content_type, location, body],
    )
    .await?;
    Ok(())
}

/// Gives a key back after an answer that should not be replayed (a server error).
pub async fn release(db: &impl Exec, owner: &str, key: &str) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM idempotency_keys WHERE owner = $1 AND idem_key = $2",
        args![owner, key],
    )
    .await?;
    Ok(())
}

/// Forgets keys older than `before`.
pub async fn purge(db: &impl Exec, before: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM idempotency_keys WHERE created_at < $1",
        args![before],
    )
    .await
}

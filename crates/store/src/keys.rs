//! Token-signing keys, private halves encrypted under the master key.

use crate::{Exec, StoreError, args};
use oneportal_domain::staff::SigningKeyState;

#[derive(Clone, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    /// `Next` (published, not yet signing), `Active` (signing) or `Retiring` (published until `retire_at`).
    #[sqlx(try_from = "crate::stored::Stored<SigningKeyState>")]
    pub state: SigningKeyState,
    /// The PKCS#8 private key, sealed with the master key.
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retire_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Serializes key changes across nodes: PostgreSQL takes a transaction-scoped
/// advisory lock; SQLite's `BEGIN IMMEDIATE` already holds the write lock.
pub async fn lock_for_change(tx: &crate::Tx) -> Result<(), StoreError> {
    if tx.backend().await == crate::Backend::Postgres {
        let _: Option<(i32,)> = tx
            .fetch_optional(
                "SELECT 1 FROM (SELECT pg_advisory_xact_lock(72426)) AS locked",
                vec![],
            )
            .await?;
    }
    Ok(())
}

/// Forgets the unpublished `Next` key (it never signed), e.g. when the configured algorithm changed.
pub async fn delete_next(db: &impl Exec) -> Result<u64, StoreError> {
    db.execute("DELETE FROM signing_keys WHERE state = 'Next'", vec![])
        .await
}

macro_rules! key_columns {
    () => {
        "kid, alg, state, private_key, public_jwk, created_at, activated_at, retire_at"
    };
}

pub async fn insert(db: &impl Exec, key: &SigningKeyRow) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO signing_keys (kid, alg, state, private_key, public_jwk, created_at, activated_at, retire_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            key.kid.as_str(),
            key.alg.as_str(),
            key.state.as_str(),
            key.private_key.clone(),
            key.public_jwk.as_str(),
            key.created_at,
            key.activated_at,
            key.retire_at
        ],
    )
    .await?;
    Ok(())
}

/// Every key still published at `now`.
pub async fn list_published(db: &impl Exec, now: i64) -> Result<Vec<SigningKeyRow>, StoreError> {
    db.fetch_all(
        concat!(
            "SELECT ",
            key_columns!(),
            " FROM signing_keys WHERE retire_at IS NULL OR retire_at > $1 ORDER BY created_at"
        ),
        args![now],
    )
    .await
}

pub async fn list_all(db: &impl Exec) -> Result<Vec<SigningKeyRow>, StoreError> {
    db.fetch_all(
        concat!(
            "SELECT ",
            key_columns!(),
            " FROM signing_keys ORDER BY created_at"
        ),
        vec![],
    )
    .await
}

/// Active → Retiring (until `retire_at`), Next → Active. Returns the rows changed.
pub async fn promote_next(db: &impl Exec, now: i64, retire_at: i64) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE signing_keys SET state = 'Retiring', retire_at = $1 WHERE state = 'Active'",
        args![retire_at],
    )
    .await?;
    db.execute(
        "UPDATE signing_keys SET state = 'Active', activated_at = $1 WHERE state = 'Next'",
        args![now],
    )
    .await
}

/// Removes keys whose last token has expired.
pub async fn delete_retired(db: &impl Exec, now: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM signing_keys WHERE state = 'Retiring' AND retire_at <= $1",
        args![now],
    )
    .await
}

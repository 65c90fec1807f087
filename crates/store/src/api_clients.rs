//! API clients and their secrets (stored only as keyed hashes).

use crate::{Exec, StoreError, args};
use oneportal_domain::ApiClientStatus;

macro_rules! client_columns {
    () => {
        "client_id, org_id, owner_user_id, created_by_user_id, name, scopes, status, \
                              suspension_reason, created_at, updated_at, last_used_at, revoked_at, token_generation"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiClientRow {
    pub client_id: String,
    pub org_id: i64,
    pub owner_user_id: i64,
    pub created_by_user_id: i64,
    pub name: String,
    /// Comma-separated scope names.
    pub scopes: String,
    #[sqlx(try_from = "crate::stored::Stored<ApiClientStatus>")]
    pub status: ApiClientStatus,
    pub suspension_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// How many times the client was transferred; tokens carry the value they were issued under.
    pub token_generation: i64,
}

#[derive(Clone, sqlx::FromRow)]
pub struct SecretRow {
    pub id: i64,
    pub client_id: String,
    pub secret_hash: Vec<u8>,
    pub last4: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for SecretRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRow")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

pub struct NewApiClient<'a> {
    pub client_id: &'a str,
    pub org_id: i64,
    pub owner_user_id: i64,
    pub name: &'a str,
    pub name_key: &'a str,
    pub scopes: &'a str,
    pub created_at: i64,
}

pub async fn insert(db: &impl Exec, client: NewApiClient<'_>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO api_clients (client_id, org_id, owner_user_id, created_by_user_id, name, name_key, scopes, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $3, $4, $5, $6, 'Active', $7, $7)",
        args![client.client_id, client.org_id, client.owner_user_id, client.name, client.name_key, client.scopes, client.created_at],
    )
    .await?;
    Ok(())
}

pub async fn insert_secret(
    db: &impl Exec,
    client_id: &str,
    secret_hash: Vec<u8>,
    last4: &str,
    created_at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO api_client_secrets (client_id, secret_hash, last4, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            args![client_id, secret_hash, last4, created_at],
        )
        .await?;
    Ok(id)
}

/// Gives every other secret of the client a deadline, keeping an earlier one.
pub async fn expire_other_secrets(
    db: &impl Exec,
    client_id: &str,
    keep_id: i64,
    deadline: i64,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE api_client_secrets SET expires_at = $1 \
         WHERE client_id = $2 AND id <> $3 AND (expires_at IS NULL OR expires_at > $1)",
        args![deadline, client_id, keep_id],
    )
    .await?;
    Ok(())
}

pub async fn count_unrevoked(db: &impl Exec, org_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM api_clients WHERE org_id = $1 AND status <> 'Revoked'",
            args![org_id],
        )
        .await?;
    Ok(n)
}

pub async fn find(db: &impl Exec, client_id: &str) -> Result<Option<ApiClientRow>, StoreError> {
    db.fetch_optional(
        concat!(
            "SELECT ",
            client_columns!(),
            " FROM api_clients WHERE client_id = $1"
        ),
        args![client_id],
    )
    .await
}

/// The organization's clients, newest first; only `owner`'s when given.
pub async fn list(
    db: &impl Exec,
    org_id: i64,
    owner: Option<i64>,
) -> Result<Vec<ApiClientRow>, StoreError> {
    db.fetch_all(
        concat!(
            "SELECT ",
            client_columns!(),
            " FROM api_clients WHERE org_id = $1 AND ($2 IS NULL OR owner_user_id = $2) \
             ORDER BY created_at DESC, client_id"
        ),
        args![org_id, owner],
    )
    .await
}

pub async fn list_by_owner(
    db: &impl Exec,
    owner_user_id: i64,
) -> Result<Vec<ApiClientRow>, StoreError> {
    db.fetch_all(
        concat!(
            "SELECT ",
            client_columns!(),
            " FROM api_clients WHERE owner_user_id = $1"
        ),
        args![owner_user_id],
    )
    .await
}

/// Secrets that still work at `now` (no deadline, or a deadline in the future).
pub async fn live_secrets(
    db: &impl Exec,
    client_id: &str,
    now: i64,
) -> Result<Vec<SecretRow>, StoreError> {
    db.fetch_all(
        "SELECT id, client_id, secret_hash, last4, created_at, expires_at FROM api_client_secrets \
         WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC",
        args![client_id, now],
    )
    .await
}

pub async fn set_status(
    db: &impl Exec,
    client_id: &str,
    status: ApiClientStatus,
    reason: Option<&str>,
    now: i64,
) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE api_clients SET status = $1, suspension_reason = $2, updated_at = $3, \
         revoked_at = CASE WHEN $1 = 'Revoked' THEN $3 ELSE revoked_at END \
         WHERE client_id = $4 AND status <> 'Revoked'",
        args![status.as_str(), reason, now, client_id],
    )
    .await
}

/// Reason stored on secrets a transfer retired.
pub const RETIRED_BY_TRANSFER: &str = "Transferred";

/// Gives the client a new owner, ends every secret it has (marked as retired by
/// the transfer) and raises its transfer count, which ends the tokens issued before.
pub async fn transfer(
    db: &impl Exec,
    client_id: &str,
    owner_user_id: i64,
    now: i64,
) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE api_client_secrets SET expires_at = $1, retired_reason = $2 \
         WHERE client_id = $3 AND (expires_at IS NULL OR expires_at > $1)",
        args![now, RETIRED_BY_TRANSFER, client_id],
    )
    .await?;
    db.execute(
        "UPDATE api_clients SET owner_user_id = $1, updated_at = $2, \
         token_generation = token_generation + 1 WHERE client_id = $3",
        args![owner_user_id, now, client_id],
    )
    .await
}

/// Hashes of the secrets transfers retired (the newest 20), so that a request with
/// one can be told why it fails.
pub async fn secrets_retired_by_transfer(
    db: &impl Exec,
    client_id: &str,
) -> Result<Vec<SecretRow>, StoreError> {
    db.fetch_all(
        "SELECT id, client_id, secret_hash, last4, created_at, expires_at FROM api_client_secrets \
         WHERE client_id = $1 AND retired_reason = $2 ORDER BY id DESC LIMIT 20",
        args![client_id, RETIRED_BY_TRANSFER],
    )
    .await
}

pub async fn record_last_used(db: &impl Exec, client_id: &str, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE api_clients SET last_used_at = $1 WHERE client_id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
        args![at, client_id],
    )
    .await?;
    Ok(())
}

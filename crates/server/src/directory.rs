//! In-memory views of API clients and users, loaded on demand and dropped on
//! every node when a change is published (see `cluster`), so the token
//! endpoint and the API guard do not query the database per request.

use std::sync::Arc;
use std::time::Duration;

use oneportal_domain::catalog::AccountType;
use oneportal_domain::{ApiClientStatus, PermissionSet, ScopeSet, SuspensionReason, UserStatus};
use oneportal_store::{Db, StoreError, api_clients, now_ms, orgs, users};
use quick_cache::sync::Cache;

/// An API client as the token endpoint and guard need it.
#[derive(Debug)]
pub struct ClientEntry {
    pub client_id: String,
    pub org_id: i64,
    pub owner_user_id: i64,
    pub scopes: ScopeSet,
    pub status: ApiClientStatus,
    pub suspension: Option<SuspensionReason>,
    /// How many times the client was transferred; tokens issued under another count are void.
    pub token_generation: i64,
    secrets: Vec<StoredSecret>,
    /// Secrets a transfer retired: they never authenticate, but a request with one
    /// is told that the new owner must create a secret.
    retired_by_transfer: Vec<Vec<u8>>,
}

struct StoredSecret {
    hash: Vec<u8>,
    expires_at: Option<i64>,
}

impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSecret")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl ClientEntry {
    /// Whether a secret hash matches one of the client's secrets that works at `now_ms`.
    /// Every stored hash is compared, in constant time each.
    pub fn secret_matches(&self, computed: &[u8; 32], now_ms: i64) -> bool {
        let mut matched = false;
        for secret in &self.secrets {
            let live = secret.expires_at.is_none_or(|at| at > now_ms);
            matched |=
                crate::auth::client_secret::SecretHasher::matches(computed, &secret.hash) && live;
        }
        matched
    }

    /// Whether a secret hash matches one that a transfer of this client retired.
    pub fn secret_retired_by_transfer(&self, computed: &[u8; 32]) -> bool {
        let mut matched = false;
        for hash in &self.retired_by_transfer {
            matched |= crate::auth::client_secret::SecretHasher::matches(computed, hash);
        }
        matched
    }
}

/// A customer user as the guard needs it.
#[derive(Debug)]
pub struct UserEntry {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub status: UserStatus,
    pub permissions: PermissionSet,
    /// Contract accounts the user is restricted to (empty = all of the organization's).
    pub contract_accounts: Vec<i64>,
    /// Delivery accounts the user is restricted to (empty = all of the organization's).
    pub delivery_accounts: Vec<i64>,
}

/// An organization's name, which every `/v2/me` shows.
#[derive(Debug)]
pub struct OrganizationEntry {
    pub id: i64,
    pub name: String,
}

pub struct Directory {
    clients: Cache<String, Option<Arc<ClientEntry>>>,
    users: Cache<i64, Option<Arc<UserEntry>>>,
    organizations: Cache<i64, Option<Arc<OrganizationEntry>>>,
}

impl UserEntry {
    /// What this user, or an API client this user owns, may see.
    pub fn access_scope(&self) -> oneportal_store::catalog::AccessScope {
        let restriction = |ids: &Vec<i64>| (!ids.is_empty()).then(|| ids.clone());
        oneportal_store::catalog::AccessScope {
            org_id: self.org_id,
            contract_accounts: restriction(&self.contract_accounts),
            delivery_accounts: restriction(&self.delivery_accounts),
        }
    }
}

impl Default for Directory {
    fn default() -> Self {
        Directory {
            clients: Cache::new(100_000),
            users: Cache::new(100_000),
            organizations: Cache::new(10_000),
        }
    }
}

impl Directory {
    pub async fn client(
        &self,
        db: &Db,
        client_id: &str,
    ) -> Result<Option<Arc<ClientEntry>>, StoreError> {
        // Ids longer than ours cannot exist; do not let them fill the cache.
        if client_id.len() > 200 {
            return Ok(None);
        }
        bounded(
            self.clients
                .get_or_insert_async(client_id, load_client(db, client_id)),
        )
        .await
    }

    pub async fn user(&self, db: &Db, user_id: i64) -> Result<Option<Arc<UserEntry>>, StoreError> {
        bounded(
            self.users
                .get_or_insert_async(&user_id, load_user(db, user_id)),
        )
        .await
    }

    pub async fn organization(
        &self,
        db: &Db,
        org_id: i64,
    ) -> Result<Option<Arc<OrganizationEntry>>, StoreError> {
        bounded(self.organizations.get_or_insert_async(&org_id, async {
            Ok(orgs::find_organization(db, org_id).await?.map(|o| {
                Arc::new(OrganizationEntry {
                    id: o.id,
                    name: o.name,
                })
            }))
        }))
        .await
    }

    pub fn forget_organization(&self, org_id: i64) {
        self.organizations.remove(&org_id);
    }

    pub fn forget_client(&self, client_id: &str) {
        self.clients.remove(client_id);
    }

    pub fn forget_user(&self, user_id: i64) {
        self.users.remove(&user_id);
    }

    /// After a lost change feed: anything may have changed.
    pub fn forget_all(&self) {
        self.clients.clear();
        self.users.clear();
        self.organizations.clear();
    }
}

/// How long a lookup may take, waiting included. Concurrent lookups of one entry
/// wait for the first one's load and, when it fails, load one after another; in a
/// database outage each load takes the pool's 3 s acquire timeout, so without a
/// bound the tenth request for a busy client would answer its 503 after 30 s.
const LOOKUP_BUDGET: Duration = Duration::from_secs(4);

async fn bounded<T>(
    lookup: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(LOOKUP_BUDGET, lookup)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the database did not answer in time".into(),
            ))
        })
}

async fn load_client(db: &Db, client_id: &str) -> Result<Option<Arc<ClientEntry>>, StoreError> {
    let Some(row) = api_clients::find(db, client_id).await? else {
        return Ok(None);
    };
    let secrets = api_clients::live_secrets(db, client_id, now_ms())
        .await?
        .into_iter()
        .map(|s| StoredSecret {
            hash: s.secret_hash,
            expires_at: s.expires_at,
        })
        .collect();
    // Only a transferred client has them; spare the others the query.
    let retired_by_transfer = if row.token_generation > 0 {
        api_clients::secrets_retired_by_transfer(db, client_id)
            .await?
            .into_iter()
            .map(|s| s.secret_hash)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(Arc::new(ClientEntry {
        client_id: row.client_id,
        org_id: row.org_id,
        owner_user_id: row.owner_user_id,
        scopes: ScopeSet::from_names(&row.scopes),
        status: row.status,
        suspension: row
            .suspension_reason
            .as_deref()
            .and_then(SuspensionReason::parse),
        token_generation: row.token_generation,
        secrets,
        retired_by_transfer,
    })))
}

async fn load_user(db: &Db, user_id: i64) -> Result<Option<Arc<UserEntry>>, StoreError> {
    let Some(row) = users::find(db, user_id).await? else {
        return Ok(None);
    };
    let (contract, delivery): (Vec<_>, Vec<_>) = users::account_access(db, user_id)
        .await?
        .into_iter()
        .partition(|(_, account_type)| *account_type == AccountType::Contract);
    Ok(Some(Arc::new(UserEntry {
        id: row.id,
        org_id: row.org_id,
        email: row.email,
        status: row.status,
        permissions: PermissionSet::from_codes(&row.permissions),
        contract_accounts: contract.into_iter().map(|(id, _)| id).collect(),
        delivery_accounts: delivery.into_iter().map(|(id, _)| id).collect(),
    })))
}

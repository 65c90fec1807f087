//! Organizations (tenants) and their contract and delivery accounts.

use crate::{Exec, StoreError, args, now_ms};
use oneportal_domain::catalog::{AccountStatus, AccountType};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: i64,
    pub name: String,
    pub api_client_quota: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub org_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<AccountType>")]
    pub account_type: AccountType,
    pub name: String,
    #[sqlx(try_from = "crate::stored::Stored<AccountStatus>")]
    pub status: AccountStatus,
    pub country: String,
    pub billing_currency: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn create_organization(db: &impl Exec, name: &str) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id",
            args![name, now_ms()],
        )
        .await?;
    Ok(id)
}

pub async fn find_organization(
    db: &impl Exec,
    id: i64,
) -> Result<Option<OrganizationRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, name, api_client_quota, created_at FROM organizations WHERE id = $1",
        args![id],
    )
    .await
}

pub async fn find_organization_by_name(
    db: &impl Exec,
    name: &str,
) -> Result<Option<OrganizationRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, name, api_client_quota, created_at FROM organizations WHERE name = $1 ORDER BY id LIMIT 1",
        args![name],
    )
    .await
}

/// An organization with the provider's reference, for the operations API.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationSummary {
    pub id: i64,
    pub name: String,
    pub external_ref: Option<String>,
    pub created_at: i64,
    pub accounts: i64,
    pub users: i64,
}

/// Every organization, by name.
pub async fn list_organizations(db: &impl Exec) -> Result<Vec<OrganizationSummary>, StoreError> {
    db.fetch_all(
        "SELECT o.id, o.name, o.external_ref, o.created_at, \
         (SELECT COUNT(*) FROM accounts a WHERE a.org_id = o.id) AS accounts, \
         (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.status <> 'Removed') AS users \
         FROM organizations o ORDER BY o.name, o.id",
        args![],
    )
    .await
}

pub async fn set_api_client_quota(
    db: &impl Exec,
    org_id: i64,
    quota: Option<i64>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE organizations SET api_client_quota = $1 WHERE id = $2",
        args![quota, org_id],
    )
    .await?;
    Ok(())
}

pub struct NewAccount<'a> {
    pub org_id: i64,
    pub account_type: AccountType,
    pub name: &'a str,
    pub country: &'a str,
    pub billing_currency: &'a str,
}

pub async fn create_account(db: &impl Exec, account: NewAccount<'_>) -> Result<i64, StoreError> {
    let now = now_ms();
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO accounts (org_id, account_type, name, country, billing_currency, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            args![account.org_id, account.account_type.as_str(), account.name, account.country, account.billing_currency, now],
        )
        .await?;
    Ok(id)
}

pub async fn list_accounts(db: &impl Exec, org_id: i64) -> Result<Vec<AccountRow>, StoreError> {
    db.fetch_all(
        "SELECT id, org_id, account_type, name, status, country, billing_currency, created_at, updated_at \
         FROM accounts WHERE org_id = $1 ORDER BY id",
        args![org_id],
    )
    .await
}

//! Accounts, sites and services as API V2 lists them, always within an
//! [`AccessScope`]: the caller's organization and account restrictions.

use oneportal_domain::catalog::{
    AccountStatus, AccountType, ServiceStatus, ServiceType, SiteStatus,
};
use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::ServiceHealth;
use oneportal_domain::query::{Direction, Field, FieldKind, ListQuery, ListSpec, SortKey};
use serde_json::json;

use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::orgs::AccountRow;
use crate::{Arg, Exec, StoreError};

/// What a caller may see: one organization, optionally narrowed to some contract
/// and delivery accounts (`None` = all of that type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessScope {
    pub org_id: i64,
    pub contract_accounts: Option<Vec<i64>>,
    pub delivery_accounts: Option<Vec<i64>>,
}

impl AccessScope {
    pub fn whole_organization(org_id: i64) -> Self {
        AccessScope {
            org_id,
            contract_accounts: None,
            delivery_accounts: None,
        }
    }

    pub fn allows_account(&self, account: &AccountRow) -> bool {
        let allowed = match account.account_type {
            AccountType::Contract => &self.contract_accounts,
            AccountType::Delivery => &self.delivery_accounts,
        };
        account.org_id == self.org_id
            && allowed.as_ref().is_none_or(|ids| ids.contains(&account.id))
    }
}

const NEWEST_FIRST: &[SortKey] = &[SortKey {
    field: "lastModifiedDate",
    direction: Direction::Descending,
}];

/// The fields of an account list, each declared once.
pub(crate) const ACCOUNT_COLUMNS: [Column<AccountRow>; 6] = [
    Column::filter("name", FieldKind::Text, "a.name").sorted(|r| json!(r.name)),
    Column::filter(
        "type",
        FieldKind::Enum(AccountType::NAMES),
        "a.account_type",
    )
    .sorted(|r| json!(r.account_type)),
    Column::filter("status", FieldKind::Enum(AccountStatus::NAMES), "a.status")
        .sorted(|r| json!(r.status)),
    Column::filter("country", FieldKind::Text, "a.country").sorted(|r| json!(r.country)),
    Column::filter("createdDate", FieldKind::Date, "a.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "a.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const ACCOUNT_FIELDS: [Field; 6] = fields(&ACCOUNT_COLUMNS);

pub const ACCOUNTS: ListSpec = ListSpec {
    fields: &ACCOUNT_FIELDS,
    default_sort: &[SortKey {
        field: "name",
        direction: Direction::Ascending,
    }],
};

impl Listed for AccountRow {
    fn id(&self) -> i64 {
        self.id
    }
}

async fn restrict_accounts(
    db: &impl Exec,
    listing: &mut Listing<AccountRow>,
    scope: &AccessScope,
) -> Result<(), StoreError> {
    listing.require_eq("a.org_id", scope.org_id);
    if let Some(restriction) = Restriction::of(db, scope).await? {
        restriction.require_record(
            listing,
            "a.id",
            "EXISTS (SELECT 1 FROM services v WHERE (v.contract_account_id = a.id OR v.delivery_account_id = a.id) AND {visible})",
        );
    }
    Ok(())
}

const ACCOUNT_SELECT: &str = "a.id, a.org_id, a.account_type, a.name, a.status, a.country, a.billing_currency, a.created_at, a.updated_at";

pub async fn list_accounts(
    db: &impl Exec,
    scope: &AccessScope,
    query: &ListQuery,
) -> Result<ListPage<AccountRow>, StoreError> {
    let mut listing = Listing::new(ACCOUNT_SELECT, "accounts a", &ACCOUNT_COLUMNS, "a.id");
    restrict_accounts(db, &mut listing, scope).await?;
    listing.filter(&query.filters);
    listing.run(db, query).await
}

pub async fn find_account(
    db: &impl Exec,
    scope: &AccessScope,
    id: i64,
) -> Result<Option<AccountRow>, StoreError> {
    let mut listing = Listing::new(ACCOUNT_SELECT, "accounts a", &ACCOUNT_COLUMNS, "a.id");
    restrict_accounts(db, &mut listing, scope).await?;
    listing.require_eq("a.id", id);
    listing.first(db).await
}

/// A user's account restrictions as SQL: the one rule every record follows.
///
/// Access is the intersection of the contract and the delivery restriction
/// (PRODUCT §1). A service is visible when its contract account and its
/// delivery account both are; cases, their files and RFOs follow their
/// service's two accounts. A record that belongs to one account (an account
/// itself, a site, an invoice) is visible when that account passes its own
/// type's restriction and, where the *other* type is restricted too, when it
/// is tied to a visible service: an account that a visible service uses, a
/// site where a visible service is delivered, an invoice every line of which
/// bills a visible service. An invoice is never shown in part: its totals,
/// PDF and CSV would tell what the hidden lines cost.
pub(crate) struct Restriction {
    contract: Vec<i64>,
    delivery: Vec<i64>,
    /// Allowed accounts whose other type is unrestricted: their records need no tie.
    untied: Vec<i64>,
}

impl Restriction {
    /// `None` when the scope is the whole organization.
    pub(crate) async fn of(
        db: &impl Exec,
        scope: &AccessScope,
    ) -> Result<Option<Self>, StoreError> {
        if scope.contract_accounts.is_none() && scope.delivery_accounts.is_none() {
            return Ok(None);
        }
        let (contract, delivery) = visible_accounts(db, scope).await?;
        let untied = match (&scope.contract_accounts, &scope.delivery_accounts) {
            (Some(_), None) => contract.clone(),
            (None, Some(_)) => delivery.clone(),
            _ => Vec::new(),
        };
        Ok(Some(Restriction {
            contract,
            delivery,
            untied,
        }))
    }

    fn marks(ids: &[i64]) -> String {
        if ids.is_empty() {
            "NULL".to_owned()
        } else {
            vec!["?"; ids.len()].join(", ")
        }
    }

    /// `v.contract_account_id IN (…) AND v.delivery_account_id IN (…)` for services `v`, with its values.
    pub(crate) fn visible_service(&self) -> (String, Vec<Arg>) {
        let sql = format!(
            "v.contract_account_id IN ({}) AND v.delivery_account_id IN ({})",
            Self::marks(&self.contract),
            Self::marks(&self.delivery)
        );
        let args = self
            .contract
            .iter()
            .chain(&self.delivery)
            .map(|i| (*i).into())
            .collect();
        (sql, args)
    }

    /// Records whose two accounts are `contract_sql` and `delivery_sql` (services, cases).
    pub(crate) fn require_service<R: Listed>(
        &self,
        listing: &mut Listing<R>,
        contract_sql: &str,
        delivery_sql: &str,
    ) {
        listing.require_in(contract_sql, &self.contract);
        listing.require_in(delivery_sql, &self.delivery);
    }

    /// A record owned by the account `account_sql`: that account passes its own
    /// type's restriction and, unless it needs no tie, `tie` holds. `tie` is SQL
    /// with `{visible}` standing for the condition on a service `v`.
    pub(crate) fn require_record<R: Listed>(
        &self,
        listing: &mut Listing<R>,
        account_sql: &str,
        tie: &str,
    ) {
        let allowed: Vec<i64> = self
            .contract
            .iter()
            .chain(&self.delivery)
            .copied()
            .collect();
        listing.require_in(account_sql, &allowed);
        let (visible, visible_args) = self.visible_service();
        let parts: Vec<&str> = tie.split("{visible}").collect();
        let mut args: Vec<Arg> = self.untied.iter().map(|i| (*i).into()).collect();
        for _ in 1..parts.len() {
            args.extend(visible_args.iter().cloned());
        }
        listing.require(
            &format!(
                "({account_sql} IN ({}) OR {})",
                Self::marks(&self.untied),
                parts.join(&visible)
            ),
            args,
        );
    }
}

/// The ids of the accounts the scope may see, by type: (contract, delivery).
pub async fn visible_accounts(
    db: &impl Exec,
    scope: &AccessScope,
) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
    let all = crate::orgs::list_accounts(db, scope.org_id).await?;
    let visible = all.into_iter().filter(|a| scope.allows_account(a));
    let (contract, delivery): (Vec<_>, Vec<_>) =
        visible.partition(|a| a.account_type == AccountType::Contract);
    Ok((
        contract.into_iter().map(|a| a.id).collect(),
        delivery.into_iter().map(|a| a.id).collect(),
    ))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub id: i64,
    pub org_id: i64,
    pub account_id: i64,
    pub name: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
    pub country: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    #[sqlx(try_from = "crate::stored::Stored<SiteStatus>")]
    pub status: SiteStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields of a site list, each declared once.
pub(crate) const SITE_COLUMNS: [Column<SiteRow>; 7] = [
    Column::filter("name", FieldKind::Text, "s.name").sorted(|r| json!(r.name)),
    Column::id("accountId", IdKind::Account, "s.account_id"),
    Column::filter("city", FieldKind::Text, "s.city").sorted(|r| json!(r.city)),
    Column::filter("country", FieldKind::Text, "s.country").sorted(|r| json!(r.country)),
    Column::filter("status", FieldKind::Enum(SiteStatus::NAMES), "s.status")
        .sorted(|r| json!(r.status)),
    Column::filter("createdDate", FieldKind::Date, "s.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "s.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const SITE_FIELDS: [Field; 7] = fields(&SITE_COLUMNS);

pub const SITES: ListSpec = ListSpec {
    fields: &SITE_FIELDS,
    default_sort: NEWEST_FIRST,
};

const SITE_SELECT: &str = "s.id, s.org_id, s.account_id, s.name, s.street, s.city, s.postal_code, s.region, s.country, \
                           s.latitude, s.longitude, s.status, s.created_at, s.updated_at";

impl Listed for SiteRow {
    fn id(&self) -> i64 {
        self.id
    }
}

async fn site_listing(db: &impl Exec, scope: &AccessScope) -> Result<Listing<SiteRow>, StoreError> {
    let mut listing = Listing::new(SITE_SELECT, "sites s", &SITE_COLUMNS, "s.id");
    listing.require_eq("s.org_id", scope.org_id);
    if let Some(restriction) = Restriction::of(db, scope).await? {
        restriction.require_record(
            &mut listing,
            "s.account_id",
            "EXISTS (SELECT 1 FROM services v WHERE v.site_id = s.id AND {visible})",
        );
    }
    Ok(listing)
}

/// Sites, optionally of one account only.
pub async fn list_sites(
    db: &impl Exec,
    scope: &AccessScope,
    account: Option<i64>,
    query: &ListQuery,
) -> Result<ListPage<SiteRow>, StoreError> {
    let mut listing = site_listing(db, scope).await?;
    if let Some(account) = account {
        listing.require_eq("s.account_id", account);
    }
    listing.filter(&query.filters);
    listing.run(db, query).await
}

pub async fn find_site(
    db: &impl Exec,
    scope: &AccessScope,
    id: i64,
) -> Result<Option<SiteRow>, StoreError> {
    let mut listing = site_listing(db, scope).await?;
    listing.require_eq("s.id", id);
    listing.first(db).await
}

pub struct NewSite<'a> {
    pub org_id: i64,
    pub account_id: i64,
    pub name: &'a str,
    pub street: &'a str,
    pub city: &'a str,
    pub postal_code: &'a str,
    pub country: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub at: i64,
}

pub async fn insert_site(db: &impl Exec, site: NewSite<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO sites (org_id, account_id, name, street, city, postal_code, country, latitude, longitude, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            crate::args![
                site.org_id,
                site.account_id,
                site.name,
                site.street,
                site.city,
                site.postal_code,
                site.country,
                site.latitude,
                site.longitude,
                site.at
            ],
        )
        .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: i64,
    pub org_id: i64,
    pub service_name: String,
    #[sqlx(try_from = "crate::stored::Stored<ServiceType>")]
    pub service_type: ServiceType,
    #[sqlx(try_from = "crate::stored::Stored<ServiceStatus>")]
    pub status: ServiceStatus,
    /// From open alerts and maintenance in progress (`monitoring`).
    #[sqlx(try_from = "crate::stored::Stored<ServiceHealth>")]
    pub health: ServiceHealth,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub site_id: i64,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    pub planned_delivery_date: Option<String>,
    pub ready_for_service_date: Option<String>,
    pub technical_note: String,
    /// JSON: `{ipAddresses, hardware, dnsRecords}`.
    pub technical_details: String,
    pub customer_reference: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields of a service list, each declared once.
pub(crate) const SERVICE_COLUMNS: [Column<ServiceRow>; 10] = [
    Column::filter("serviceName", FieldKind::Text, "v.service_name")
        .sorted(|r| json!(r.service_name)),
    Column::filter(
        "serviceType",
        FieldKind::Enum(ServiceType::NAMES),
        "v.service_type",
    )
    .sorted(|r| json!(r.service_type)),
    Column::filter("status", FieldKind::Enum(ServiceStatus::NAMES), "v.status")
        .sorted(|r| json!(r.status)),
    Column::filter("health", FieldKind::Enum(ServiceHealth::NAMES), "v.health")
        .sorted(|r| json!(r.health)),
    Column::id(
        "contractAccountId",
        IdKind::Account,
        "v.contract_account_id",
    ),
    Column::id(
        "deliveryAccountId",
        IdKind::Account,
        "v.delivery_account_id",
    ),
    Column::id("siteId", IdKind::Site, "v.site_id"),
    Column::filter("customerReference", FieldKind::Text, "v.customer_reference")
        .sorted(|r| json!(r.customer_reference)),
    Column::filter("createdDate", FieldKind::Date, "v.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "v.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const SERVICE_FIELDS: [Field; 10] = fields(&SERVICE_COLUMNS);

pub const SERVICES: ListSpec = ListSpec {
    fields: &SERVICE_FIELDS,
    default_sort: NEWEST_FIRST,
};

const SERVICE_SELECT: &str = "v.id, v.org_id, v.service_name, v.service_type, v.status, v.health, v.contract_account_id, v.delivery_account_id, \
                              v.site_id, v.downstream_mbps, v.upstream_mbps, v.planned_delivery_date, v.ready_for_service_date, \
                              v.technical_note, v.technical_details, v.customer_reference, v.created_at, v.updated_at";

impl Listed for ServiceRow {
    fn id(&self) -> i64 {
        self.id
    }
}

async fn service_listing(
    db: &impl Exec,
    scope: &AccessScope,
) -> Result<Listing<ServiceRow>, StoreError> {
    let mut listing = Listing::new(SERVICE_SELECT, "services v", &SERVICE_COLUMNS, "v.id");
    listing.require_eq("v.org_id", scope.org_id);
    if let Some(restriction) = Restriction::of(db, scope).await? {
        restriction.require_service(
            &mut listing,
            "v.contract_account_id",
            "v.delivery_account_id",
        );
    }
    Ok(listing)
}

/// Services, optionally of one account (as contract or delivery account).
pub async fn list_services(
    db: &impl Exec,
    scope: &AccessScope,
    account: Option<i64>,
    query: &ListQuery,
) -> Result<ListPage<ServiceRow>, StoreError> {
    let mut listing = service_listing(db, scope).await?;
    if let Some(account) = account {
        listing.require(
            "(v.contract_account_id = ? OR v.delivery_account_id = ?)",
            vec![account.into(), account.into()],
        );
    }
    listing.filter(&query.filters);
    listing.run(db, query).await
}

pub async fn find_service(
    db: &impl Exec,
    scope: &AccessScope,
    id: i64,
) -> Result<Option<ServiceRow>, StoreError> {
    let mut listing = service_listing(db, scope).await?;
    listing.require_eq("v.id", id);
    listing.first(db).await
}

/// Every service the scope may see.
pub async fn all_services(
    db: &impl Exec,
    scope: &AccessScope,
) -> Result<Vec<ServiceRow>, StoreError> {
    service_listing(db, scope).await?.all(db).await
}

/// A service of any organization, for the provider's own systems (monitoring).
pub async fn find_service_anywhere(
    db: &impl Exec,
    id: i64,
) -> Result<Option<ServiceRow>, StoreError> {
    let rows: Vec<ServiceRow> = db
        .fetch_all_dynamic(
            format!("SELECT {SERVICE_SELECT} FROM services v WHERE v.id = $1"),
            vec![Arg::from(id)],
        )
        .await?;
    Ok(rows.into_iter().next())
}

pub struct NewService<'a> {
    pub org_id: i64,
    pub service_name: &'a str,
    pub service_type: ServiceType,
    pub status: ServiceStatus,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub site_id: i64,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    pub planned_delivery_date: Option<&'a str>,
    pub ready_for_service_date: Option<&'a str>,
    pub technical_note: &'a str,
    pub technical_details: &'a str,
    pub customer_reference: &'a str,
    pub at: i64,
}

pub async fn insert_service(db: &impl Exec, s: NewService<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO services (org_id, service_name, service_type, status, contract_account_id, delivery_account_id, site_id, \
             downstream_mbps, upstream_mbps, planned_delivery_date, ready_for_service_date, technical_note, technical_details, \
             customer_reference, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
            crate::args![
                s.org_id,
                s.service_name,
                s.service_type.as_str(),
                s.status.as_str(),
                s.contract_account_id,
                s.delivery_account_id,
                s.site_id,
                s.downstream_mbps,
                s.upstream_mbps,
                s.planned_delivery_date,
                s.ready_for_service_date,
                s.technical_note,
                s.technical_details,
                s.customer_reference,
                s.at
            ],
        )
        .await?;
    Ok(id)
}

/// Moves the service to `to` if it is still in `from`; `false` when it moved meanwhile.
pub async fn move_service_status(
    tx: &crate::Tx,
    id: i64,
    (from, to): (ServiceStatus, ServiceStatus),
    at: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE services SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
            crate::args![id, from.as_str(), to.as_str(), at],
        )
        .await?;
    Ok(changed == 1)
}

/// A service in delivery becomes `RFS` on `day`; `false` when it was not `InProgress`.
pub async fn ready_for_service(
    tx: &crate::Tx,
    id: i64,
    day: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE services SET status = $2, ready_for_service_date = $3, updated_at = $4 \
             WHERE id = $1 AND status = $5",
            crate::args![
                id,
                ServiceStatus::RFS.as_str(),
                day,
                at,
                ServiceStatus::InProgress.as_str()
            ],
        )
        .await?;
    Ok(changed == 1)
}

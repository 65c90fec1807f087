//! Accounts, sites and services as API V2 answers them and the portal shows them.

use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::ServiceHealth;
use oneportal_store::catalog::{ServiceRow, SiteRow};
use oneportal_store::orgs::AccountRow;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;
use oneportal_domain::catalog::{
    AccountStatus, AccountType, ServiceStatus, ServiceType, SiteStatus,
};

/// A contract account (where services are signed) or a delivery account (the end customer).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[schema(example = "ACC-000001")]
    pub account_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub account_type: AccountType,
    pub status: AccountStatus,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// ISO 4217.
    pub billing_currency: String,
    pub created_date: String,
    pub last_modified_date: String,
}

impl From<AccountRow> for Account {
    fn from(a: AccountRow) -> Self {
        Account {
            account_id: IdKind::Account.format(a.id),
            name: a.name,
            account_type: a.account_type,
            status: a.status,
            country: a.country,
            billing_currency: a.billing_currency,
            created_date: rfc3339(a.created_at),
            last_modified_date: rfc3339(a.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub region: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Serialize, ToSchema)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A place where services are delivered.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Site {
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    pub name: String,
    pub account_id: String,
    pub address: Address,
    pub location: Location,
    pub status: SiteStatus,
    pub created_date: String,
    pub last_modified_date: String,
}

impl From<SiteRow> for Site {
    fn from(s: SiteRow) -> Self {
        Site {
            site_id: IdKind::Site.format(s.id),
            name: s.name,
            account_id: IdKind::Account.format(s.account_id),
            address: Address {
                street: s.street,
                city: s.city,
                postal_code: s.postal_code,
                region: s.region,
                country: s.country,
            },
            location: Location {
                latitude: s.latitude,
                longitude: s.longitude,
            },
            status: s.status,
            created_date: rfc3339(s.created_at),
            last_modified_date: rfc3339(s.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Bandwidth {
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
}

/// A network service (the service id doubles as the order id).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub service_name: String,
    pub service_type: ServiceType,
    pub status: ServiceStatus,
    /// How it is doing now, from the provider's monitoring and maintenance in
    /// progress; filter with `health=Down,Degraded`.
    pub health: ServiceHealth,
    pub contract_account_id: String,
    pub delivery_account_id: String,
    pub site_id: String,
    pub bandwidth: Bandwidth,
    /// `YYYY-MM-DD`.
    pub planned_delivery_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub ready_for_service_date: Option<String>,
    pub technical_note: String,
    /// `{ipAddresses, hardware, dnsRecords}`.
    #[schema(value_type = Object)]
    pub technical_details: serde_json::Value,
    pub customer_reference: String,
    pub created_date: String,
    pub last_modified_date: String,
}

impl From<ServiceRow> for Service {
    fn from(v: ServiceRow) -> Self {
        Service {
            service_id: IdKind::Service.format(v.id),
            service_name: v.service_name,
            service_type: v.service_type,
            status: v.status,
            health: v.health,
            contract_account_id: IdKind::Account.format(v.contract_account_id),
            delivery_account_id: IdKind::Account.format(v.delivery_account_id),
            site_id: IdKind::Site.format(v.site_id),
            bandwidth: Bandwidth {
                downstream_mbps: v.downstream_mbps,
                upstream_mbps: v.upstream_mbps,
            },
            planned_delivery_date: v.planned_delivery_date,
            ready_for_service_date: v.ready_for_service_date,
            technical_note: v.technical_note,
            technical_details: serde_json::from_str(&v.technical_details).unwrap_or_default(),
            customer_reference: v.customer_reference,
            created_date: rfc3339(v.created_at),
            last_modified_date: rfc3339(v.updated_at),
        }
    }
}

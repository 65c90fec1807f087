//! Customer organizations as staff see them: the list, and one organization
//! with its accounts, sites and services (read only; the import changes them).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_store::catalog::{self, AccessScope, SERVICES, SITES};
use oneportal_store::orgs;

use super::StaffSession;
use super::frame::layout;
use crate::http::ApiError;
use crate::http::pagination::parse_list_query;
use crate::portal::developer::day_time;
use crate::portal::layout::Layout;
use crate::portal::{PortalError, render};
use crate::state::AppState;
use oneportal_domain::catalog::{
    AccountStatus, AccountType, ServiceStatus, ServiceType, SiteStatus,
};

/// The most sites and services an organization's page lists (the store's page limit).
const SHOWN: u32 = 200;

pub struct OrgLine {
    pub id: String,
    pub name: String,
    pub reference: String,
    pub accounts: i64,
    pub users: i64,
    pub created: String,
}

#[derive(Template)]
#[template(path = "portal/staff/organizations.html")]
struct ListPage {
    layout: Layout,
    organizations: Vec<OrgLine>,
}

pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Response, PortalError> {
    let organizations = orgs::list_organizations(&state.db)
        .await?
        .into_iter()
        .map(|o| OrgLine {
            id: IdKind::Organization.format(o.id),
            name: o.name,
            reference: o.external_ref.unwrap_or_default(),
            accounts: o.accounts,
            users: o.users,
            created: day_time(o.created_at),
        })
        .collect();
    render::page(&ListPage {
        layout: layout(&session, "Organizations", "orgs"),
        organizations,
    })
}

pub struct AccountLine {
    pub id: String,
    pub account_type: AccountType,
    pub name: String,
    pub status: AccountStatus,
    pub country: String,
    pub currency: String,
}

pub struct SiteLine {
    pub id: String,
    pub name: String,
    pub account_id: String,
    pub city: String,
    pub country: String,
    pub status: SiteStatus,
}

pub struct ServiceLine {
    pub id: String,
    pub name: String,
    pub service_type: ServiceType,
    pub status: ServiceStatus,
    pub contract_account_id: String,
    pub delivery_account_id: String,
    pub site_id: String,
    pub bandwidth: String,
}

#[derive(Template)]
#[template(path = "portal/staff/organization.html")]
struct OrgPage {
    layout: Layout,
    id: String,
    name: String,
    accounts: Vec<AccountLine>,
    sites: Vec<SiteLine>,
    sites_total: i64,
    services: Vec<ServiceLine>,
    services_total: i64,
    shown: u32,
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let not_found = || ApiError::not_found(format!("there is no organization '{id}'"));
    let org_id = IdKind::Organization.parse(&id).ok_or_else(not_found)?;
    let org = orgs::find_organization(&state.db, org_id)
        .await?
        .ok_or_else(not_found)?;
    let scope = AccessScope::whole_organization(org_id);
    let limit = format!("limit={SHOWN}");
    let site_query = parse_list_query(&SITES, Some(&limit))?;
    let service_query = parse_list_query(&SERVICES, Some(&limit))?;
    let (accounts, sites, services) = tokio::try_join!(
        orgs::list_accounts(&state.db, org_id),
        catalog::list_sites(&state.db, &scope, None, &site_query),
        catalog::list_services(&state.db, &scope, None, &service_query),
    )?;
    let account = |id: i64| IdKind::Account.format(id);
    render::page(&OrgPage {
        layout: layout(&session, org.name.clone(), "orgs"),
        id: IdKind::Organization.format(org_id),
        name: org.name,
        accounts: accounts
            .into_iter()
            .map(|a| AccountLine {
                id: account(a.id),
                account_type: a.account_type,
                name: a.name,
                status: a.status,
                country: a.country,
                currency: a.billing_currency,
            })
            .collect(),
        sites_total: sites.total,
        sites: sites
            .rows
            .into_iter()
            .map(|s| SiteLine {
                id: IdKind::Site.format(s.id),
                name: s.name,
                account_id: account(s.account_id),
                city: s.city,
                country: s.country,
                status: s.status,
            })
            .collect(),
        services_total: services.total,
        services: services
            .rows
            .into_iter()
            .map(|v| ServiceLine {
                id: IdKind::Service.format(v.id),
                name: v.service_name,
                service_type: v.service_type,
                status: v.status,
                contract_account_id: account(v.contract_account_id),
                delivery_account_id: account(v.delivery_account_id),
                site_id: IdKind::Site.format(v.site_id),
                bandwidth: format!("{}/{} Mbps", v.downstream_mbps, v.upstream_mbps),
            })
            .collect(),
        shown: SHOWN,
    })
}

//! Accounts, sites and services [BasicRead], seen through the caller's access scope.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_store::catalog::{self, ACCOUNTS, AccessScope, SERVICES, SITES, ServiceRow, SiteRow};
use oneportal_store::orgs::AccountRow;
use serde::Serialize;
use utoipa::ToSchema;

use super::pagination::{Page, detail_response, page_response, parse_list_query};
use crate::auth::caller::{Access, BasicRead};
use crate::http::ApiError;
use crate::http::problem::Problem;
use crate::http::time::rfc3339;
use crate::state::AppState;

/// A contract account (where services are signed) or a delivery account (the end customer).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[schema(example = "ACC-000001")]
    pub account_id: String,
    pub name: String,
    /// `Contract` or `Delivery`.
    #[serde(rename = "type")]
    pub account_type: String,
    pub status: String,
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
    pub status: String,
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
    /// `GlobalInternet`, `SdWan`, `ManagedRouter`, `Ethernet`, `Wireless4G`.
    pub service_type: String,
    /// `InProgress`, `RFS`, `Suspended`, `PendingDeactivation`, `Deactivated`.
    pub status: String,
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

/// The one answer for a record the caller may not see, whatever the reason.
pub(crate) fn not_found(what: &str) -> ApiError {
    ApiError::not_found(format!("no {what} with this id in your organization"))
}

/// Another organization's id, or a malformed one, is simply not there.
pub(crate) fn id_of(kind: IdKind, text: &str, what: &str) -> Result<i64, ApiError> {
    kind.parse(text).ok_or_else(|| not_found(what))
}

async fn visible_account(
    state: &AppState,
    scope: &AccessScope,
    id: &str,
) -> Result<AccountRow, ApiError> {
    let id = id_of(IdKind::Account, id, "account")?;
    catalog::find_account(&state.db, scope, id)
        .await?
        .ok_or_else(|| not_found("account"))
}

/// List accounts.
#[utoipa::path(get, path = "/v2/accounts", tag = "Accounts", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    description = "The contract and delivery accounts you may see. Filters: `name`, `type` (Contract|Delivery), `status`, `country`, `createdDate.*`, `lastModifiedDate.*`; default sort `name`.",
    responses((status = 200, body = Page<Account>), (status = 400, description = "Unknown parameter, filter value or sort key", body = Problem),
        (status = 401, body = Problem), (status = 403, description = "Missing customerapi/basic.read", body = Problem)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let query = parse_list_query(&ACCOUNTS, raw.as_deref())?;
    let page = catalog::list_accounts(&state.db, &scope, &query).await?;
    Ok(page_response::<_, Account>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get an account.
#[utoipa::path(get, path = "/v2/accounts/{accountId}", tag = "Accounts", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    params(("accountId" = String, Path, description = "ACC-000001")),
    responses((status = 200, body = Account, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, body = Problem)))]
pub async fn get_account(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let account = visible_account(&state, &scope, &id).await?;
    Ok(detail_response(&headers, &Account::from(account)))
}

/// List an account's sites.
#[utoipa::path(get, path = "/v2/accounts/{accountId}/sites", tag = "Accounts", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    params(("accountId" = String, Path, description = "ACC-000001")), description = "Same parameters as `GET /v2/sites`.",
    responses((status = 200, body = Page<Site>), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn list_account_sites(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let account = visible_account(&state, &scope, &id).await?;
    let query = parse_list_query(&SITES, raw.as_deref())?;
    let page = catalog::list_sites(&state.db, &scope, Some(account.id), &query).await?;
    Ok(page_response::<_, Site>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// List an account's services (as contract or delivery account).
#[utoipa::path(get, path = "/v2/accounts/{accountId}/services", tag = "Accounts", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    params(("accountId" = String, Path, description = "ACC-000001")), description = "Same parameters as `GET /v2/services`.",
    responses((status = 200, body = Page<Service>), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn list_account_services(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let account = visible_account(&state, &scope, &id).await?;
    let query = parse_list_query(&SERVICES, raw.as_deref())?;
    let page = catalog::list_services(&state.db, &scope, Some(account.id), &query).await?;
    Ok(page_response::<_, Service>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// List sites.
#[utoipa::path(get, path = "/v2/sites", tag = "Sites", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    description = "Filters: `name`, `accountId`, `city`, `country`, `status`, `createdDate.*`, `lastModifiedDate.*`; default sort `-lastModifiedDate`.",
    responses((status = 200, body = Page<Site>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_sites(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let query = parse_list_query(&SITES, raw.as_deref())?;
    let page = catalog::list_sites(&state.db, &scope, None, &query).await?;
    Ok(page_response::<_, Site>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a site.
#[utoipa::path(get, path = "/v2/sites/{siteId}", tag = "Sites", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    params(("siteId" = String, Path, description = "SITE-000001")),
    responses((status = 200, body = Site, headers(("ETag" = String))), (status = 304, description = "Not modified"), (status = 404, body = Problem)))]
pub async fn get_site(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let id = id_of(IdKind::Site, &id, "site")?;
    let site = catalog::find_site(&state.db, &scope, id)
        .await?
        .ok_or_else(|| not_found("site"))?;
    Ok(detail_response(&headers, &Site::from(site)))
}

/// List services.
#[utoipa::path(get, path = "/v2/services", tag = "Services", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    description = "Filters: `serviceName`, `serviceType`, `status`, `contractAccountId`, `deliveryAccountId`, `siteId`, `customerReference`, `createdDate.*`, `lastModifiedDate.*`; default sort `-lastModifiedDate`.",
    responses((status = 200, body = Page<Service>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_services(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let query = parse_list_query(&SERVICES, raw.as_deref())?;
    let page = catalog::list_services(&state.db, &scope, None, &query).await?;
    Ok(page_response::<_, Service>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a service with its technical details.
#[utoipa::path(get, path = "/v2/services/{serviceId}", tag = "Services", security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    params(("serviceId" = String, Path, description = "SVC-000001")),
    responses((status = 200, body = Service, headers(("ETag" = String))), (status = 304, description = "Not modified"), (status = 404, body = Problem)))]
pub async fn get_service(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let scope = access.scope;
    let id = id_of(IdKind::Service, &id, "service")?;
    let service = catalog::find_service(&state.db, &scope, id)
        .await?
        .ok_or_else(|| not_found("service"))?;
    Ok(detail_response(&headers, &Service::from(service)))
}

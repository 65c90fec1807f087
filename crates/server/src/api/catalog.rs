//! Accounts, sites and services [BasicRead], seen through the caller's access scope.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_store::catalog::{self, ACCOUNTS, AccessScope, SERVICES, SITES};
use oneportal_store::orgs::AccountRow;

use crate::access::{Access, BasicRead};
use crate::http::ApiError;
use crate::http::pagination::{Page, detail_response, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::http::public_id::{id_of, not_found};
use crate::models::catalog::{Account, Service, Site};
use crate::state::AppState;

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

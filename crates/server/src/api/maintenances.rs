//! Planned maintenance [SupportRead] ("Support – View Cases & Maintenance"):
//! the maintenances that affect a service the caller may see, each with only
//! those services.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_store::maintenances::MAINTENANCES;

use crate::access::{Access, SupportRead};
use crate::http::ApiError;
use crate::http::pagination::{
    Page, detail_response, page_response, parse_list_query, tagged_response,
};
use crate::http::problem::Problem;
use crate::models::maintenance::Maintenance;
use crate::services::maintenance as service;
use crate::state::AppState;

/// List maintenances.
#[utoipa::path(get, path = "/v2/maintenances", tag = "Maintenance", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    description = "Planned maintenance on services you may see, newest window first; each lists only those of its services you may see, with their impact. \
        Statuses and impacts are the NANOG BCOP's tokens (`TENTATIVE`, `CONFIRMED`, `RE-SCHEDULED`, `IN-PROCESS`, `COMPLETED`, `CANCELLED`; `NO-IMPACT`, `REDUCED-REDUNDANCY`, `DEGRADED`, `OUTAGE`).\n\n\
        Filters: `status` (`status=CONFIRMED,RE-SCHEDULED`), `serviceId` (`SVC-000001`: maintenance affecting that service), `providerReference`, \
        `startDate`, `endDate`, `createdDate` and `lastModifiedDate` ranges with RFC 3339 timestamps (`endDate.gte=2026-12-06T00:00:00Z` for what is not over yet). \
        Suffixes: `.gte .gt .lte .lt`.\n\n\
        Sort: `startDate` (default `-startDate`), `endDate`, `status`, `providerReference`, `createdDate`, `lastModifiedDate`; `-` for descending.\n\n\
        Paging: `offset` and `limit` (default 50, max 200), or `cursor` with `pagination.nextCursor`.",
    responses((status = 200, body = Page<Maintenance>), (status = 400, description = "Unknown parameter, filter value or sort key; `errors[].pointer` names it", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read", body = Problem)))]
pub async fn list_maintenances(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&MAINTENANCES, raw.as_deref())?;
    let page = service::page(&state, Some(&access.scope), &query).await?;
    Ok(page_response::<_, Maintenance>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Subscribe to the maintenance calendar.
#[utoipa::path(get, path = "/v2/maintenances.ics", tag = "Maintenance", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    description = "The maintenances on services you may see as an iCalendar feed (RFC 5545, `METHOD:PUBLISH`) with the NANOG BCOP's properties, for calendar apps and circuit-maintenance tools: \
        one `VEVENT` per maintenance, its `UID` stable across changes and its `SEQUENCE` raised by each; `X-MAINTNOTE-PROVIDER`, `-ACCOUNT` (your organization), `-MAINTENANCE-ID` (the provider's reference), \
        `-OBJECT-ID` (each affected service you may see, with its own impact as the `X-MAINTNOTE-IMPACT` parameter), `-IMPACT` (the highest) and `-STATUS`. \
        Holds every maintenance whose window ended at most 90 days ago, earliest first (at most 1,000). Send the `ETag` back in `If-None-Match`: 304 until something changes.",
    responses((status = 200, description = "The calendar", content_type = "text/calendar; charset=utf-8", body = String, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "The feed takes no query parameters", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read", body = Problem)))]
pub async fn maintenance_calendar(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if raw.is_some_and(|q| !q.is_empty()) {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            "the calendar feed takes no query parameters",
        ));
    }
    let calendar = service::calendar(&state, &access.scope).await?;
    Ok(tagged_response(
        &headers,
        "text/calendar; charset=utf-8",
        calendar.into_bytes(),
    ))
}

/// Get a maintenance.
#[utoipa::path(get, path = "/v2/maintenances/{maintenanceId}", tag = "Maintenance", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    description = "One maintenance with the affected services you may see. Send the `ETag` back in `If-None-Match` to poll cheaply: 304 until it changes.",
    params(("maintenanceId" = String, Path, description = "MNT-000001")),
    responses((status = 200, body = Maintenance, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read", body = Problem),
        (status = 404, description = "No such maintenance on services you may see", body = Problem)))]
pub async fn get_maintenance(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let maintenance = service::view(&state, Some(&access.scope), &id).await?;
    Ok(detail_response(&headers, &maintenance))
}

//! Quotes [orders.read]: the provider's offers to your organization in their
//! current version, with their lines and totals, who answered them and the
//! order accepting placed; the PDF. Accepting is a person's act in the portal.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_store::quotes::QUOTES;

use crate::access::{Access, OrdersRead};
use crate::http::ApiError;
use crate::http::pagination::{Page, detail_response, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::models::quote::Quote;
use crate::services::quotes as service;
use crate::state::AppState;

/// List quotes.
#[utoipa::path(get, path = "/v2/quotes", tag = "Quotes", security(("oauth2" = ["customerapi/orders.read"]), ("userToken" = [])),
    description = "Quotes the provider sent for the accounts you may see, newest first, each in its current version. \
        Filters: `status` (`Sent`, `Accepted`, `Declined`, `Expired`, `Withdrawn`), `quoteReference`, `validUntil` (a day, suffixes `.gte .gt .lte .lt`), \
        `createdDate` and `lastModifiedDate` (RFC 3339, same suffixes). \
        Sort: `createdDate` (default `-createdDate`), `lastModifiedDate`, `validUntil`, `status`, `quoteReference`. \
        Paging: `offset` and `limit` (default 50, max 200), or `cursor` with `pagination.nextCursor`.",
    responses((status = 200, body = Page<Quote>), (status = 400, description = "Unknown parameter, filter value or sort key; `errors[].pointer` names it", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/orders.read", body = Problem)))]
pub async fn list_quotes(
    State(state): State<AppState>,
    access: Access<OrdersRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&QUOTES, raw.as_deref())?;
    let page = service::page(&state.db, Some(&access.scope), &query).await?;
    Ok(page_response::<_, Quote>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a quote.
#[utoipa::path(get, path = "/v2/quotes/{quoteId}", tag = "Quotes", security(("oauth2" = ["customerapi/orders.read"]), ("userToken" = [])),
    params(("quoteId" = String, Path, pattern = "^QUO-[0-9]{6,18}$", description = "QUO-000001")),
    description = "One quote in its current version. A quote the provider revised after sending it has a new `version`; only that version can be accepted. Send the `ETag` back in `If-None-Match`: 304 until it changes.",
    responses((status = 200, body = Quote, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/orders.read", body = Problem),
        (status = 404, description = "No such quote for the accounts you may see", body = Problem)))]
pub async fn get_quote(
    State(state): State<AppState>,
    access: Access<OrdersRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    let quote = service::view(&state.db, &row).await?;
    Ok(detail_response(&headers, &quote))
}

/// Download a quote's PDF.
#[utoipa::path(get, path = "/v2/quotes/{quoteId}/document", tag = "Quotes", security(("oauth2" = ["customerapi/orders.read"]), ("userToken" = [])),
    params(("quoteId" = String, Path, pattern = "^QUO-[0-9]{6,18}$", description = "QUO-000001")),
    responses((status = 200, description = "The current version as a PDF document", content_type = "application/pdf", body = inline(crate::documents::BinaryFile)),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/orders.read", body = Problem),
        (status = 404, description = "No such quote for the accounts you may see", body = Problem)))]
pub async fn quote_document(
    State(state): State<AppState>,
    access: Access<OrdersRead>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    crate::documents::downloads::quote_pdf(&state, &row).await
}

/// Accept a quote (portal only).
#[utoipa::path(post, path = "/v2/quotes/{quoteId}/accept", tag = "Quotes", security(("oauth2" = ["customerapi/orders.read"]), ("userToken" = [])),
    params(("quoteId" = String, Path, pattern = "^QUO-[0-9]{6,18}$", description = "QUO-000001")),
    description = "Always refused. Accepting a quote places an order that binds your organization, so a person holding `Orders (Approve)` \
        does it in the portal (Orders → Quotes), re-entering their password. The 403 names the page.",
    responses((status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Accepting is a person's act in the portal (`code` `portal_only`), or the scope is missing", body = Problem),
        (status = 404, description = "No such quote for the accounts you may see", body = Problem)))]
pub async fn accept_quote(
    State(state): State<AppState>,
    access: Access<OrdersRead>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    let id = IdKind::Quote.format(row.id);
    Err(ApiError::forbidden(
        "portal_only",
        format!(
            "accepting a quote places an order that binds your organization, so a person with 'Orders (Approve)' does it in the portal: \
             open {}/portal/orders/quotes/{id}, read the quote and accept it with your password",
            state.public_url
        ),
    ))
}

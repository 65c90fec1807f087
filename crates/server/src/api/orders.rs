//! Orders in delivery [orders.read]: each order with its lines (one per service
//! to deliver) and their milestones, planned and reached, late ones marked, and
//! the delays with their reasons.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_store::orders::ORDERS;

use crate::access::{Access, OrdersRead};
use crate::http::ApiError;
use crate::http::pagination::{Page, detail_response, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::models::order::Order;
use crate::services::orders as service;
use crate::state::AppState;

/// List orders.
#[utoipa::path(get, path = "/v2/orders", tag = "Orders", security(("oauth2" = ["customerapi/orders.read"]), ("userToken" = [])),
    description = "Orders for the accounts you may see, newest first, each with its lines and milestones. \
        Filters: `status` (`InDelivery`, `Delivered`, `Cancelled`), `orderReference`, `purchaseOrder`, `createdDate` and `lastModifiedDate` (RFC 3339, suffixes `.gte .gt .lte .lt`). \
        Sort: `createdDate` (default `-createdDate`), `lastModifiedDate`, `status`, `orderReference`, `purchaseOrder`. \
        Paging: `offset` and `limit` (default 50, max 200), or `cursor` with `pagination.nextCursor`.",
    responses((status = 200, body = Page<Order>), (status = 400, description = "Unknown parameter, filter value or sort key; `errors[].pointer` names it", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/orders.read", body = Problem)))]
pub async fn list_orders(
    State(state): State<AppState>,
    access: Access<OrdersRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&ORDERS, raw.as_deref())?;
    let page = service::page(&state.db, Some(&access.scope), &query).await?;
    Ok(page_response::<_, Order>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get an order.
#[utoipa::path(get, path = "/v2/orders/{orderId}", tag = "Orders", security(("oauth2" = ["customerapi/orders.read"]), ("userToken" = [])),
    params(("orderId" = String, Path, pattern = "^ORD-[0-9]{6,18}$", description = "ORD-000001")),
    description = "One order with its lines, their milestones (planned and reached, late ones marked) and delays. Send the `ETag` back in `If-None-Match` to poll cheaply: 304 until it changes.",
    responses((status = 200, body = Order, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/orders.read", body = Problem),
        (status = 404, description = "No such order for the accounts you may see", body = Problem)))]
pub async fn get_order(
    State(state): State<AppState>,
    access: Access<OrdersRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    let order = service::view(&state.db, &row).await?;
    Ok(detail_response(&headers, &order))
}

//! Orders as the provider's staff run them: place an order, record the
//! milestones its lines reach, move planned days with a reason.

use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oneportal_domain::catalog::ServiceType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::order::Milestone;
use oneportal_store::orders::ORDERS;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::auth::Staff;
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::http::{ApiError, FieldError};
use crate::models::order::Order;
use crate::services::orders::{self as service, LinePlan, OrderPlan};
use crate::state::AppState;

/// One service to deliver.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineBody {
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    #[schema(min_length = 1, max_length = 200)]
    pub service_name: String,
    pub service_type: ServiceType,
    /// What is delivered, as quoted: `Dedicated Internet Access 500 Mbit/s, 36 months`.
    #[schema(min_length = 1, max_length = 200)]
    pub product: String,
    #[serde(default)]
    pub downstream_mbps: i64,
    #[serde(default)]
    pub upstream_mbps: i64,
    /// Planned day (`YYYY-MM-DD`) by milestone name (`SiteSurvey`, …, `ReadyForService`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub planned_dates: BTreeMap<String, String>,
}

/// A new order.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrderBody {
    #[schema(example = "ORG-000001")]
    pub organization_id: String,
    /// The provider's order number; unique.
    #[schema(min_length = 1, max_length = 100, example = "SO-2026-0042")]
    pub order_reference: String,
    #[schema(example = "ACC-000001")]
    pub contract_account_id: String,
    #[schema(example = "ACC-000003")]
    pub delivery_account_id: String,
    /// The customer's purchase-order reference.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub purchase_order: String,
    /// `YYYY-MM-DD`: the day the order was received (`OrderReceived`); today when left out.
    #[serde(default)]
    pub received_date: Option<String>,
    pub lines: Vec<OrderLineBody>,
}

/// A milestone reached.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MilestoneBody {
    /// The line's service.
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub milestone: Milestone,
    /// `YYYY-MM-DD`; today when left out.
    #[serde(default)]
    pub date: Option<String>,
}

/// A milestone's new planned day.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DelayBody {
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub milestone: Milestone,
    /// `YYYY-MM-DD`.
    pub planned_date: String,
    /// Why it slips; the customer reads it.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Why the order is cancelled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// The customer reads it.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

fn plan_of(body: NewOrderBody) -> Result<OrderPlan, ApiError> {
    let mut errors = Vec::new();
    fn id(errors: &mut Vec<FieldError>, kind: IdKind, pointer: String, text: &str) -> i64 {
        kind.parse(text).unwrap_or_else(|| {
            errors.push(FieldError::new(
                pointer,
                "invalid_id",
                format!("not a {} id", kind.prefix()),
            ));
            0
        })
    }
    let org_id = id(
        &mut errors,
        IdKind::Organization,
        "/organizationId".into(),
        &body.organization_id,
    );
    let contract = id(
        &mut errors,
        IdKind::Account,
        "/contractAccountId".into(),
        &body.contract_account_id,
    );
    let delivery = id(
        &mut errors,
        IdKind::Account,
        "/deliveryAccountId".into(),
        &body.delivery_account_id,
    );
    let mut lines = Vec::new();
    for (n, line) in body.lines.into_iter().enumerate() {
        let site = id(
            &mut errors,
            IdKind::Site,
            format!("/lines/{n}/siteId"),
            &line.site_id,
        );
        let mut planned = Vec::new();
        for (name, day) in line.planned_dates {
            match Milestone::parse(&name) {
                Some(m) => planned.push((m, day)),
                None => errors.push(FieldError::new(
                    format!("/lines/{n}/plannedDates/{name}"),
                    "unknown_milestone",
                    format!("the milestones are {}", Milestone::NAMES.join(", ")),
                )),
            }
        }
        lines.push(LinePlan {
            site_id: site,
            service_name: line.service_name,
            service_type: line.service_type,
            product: line.product,
            downstream_mbps: line.downstream_mbps.max(0),
            upstream_mbps: line.upstream_mbps.max(0),
            planned,
        });
    }
    if body.order_reference.trim().is_empty() || body.order_reference.chars().count() > 100 {
        errors.push(FieldError::new(
            "/orderReference",
            "invalid_text",
            "1 to 100 characters, please",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(OrderPlan {
        org_id,
        reference: body.order_reference.trim().to_owned(),
        contract_account_id: contract,
        delivery_account_id: delivery,
        purchase_order: body.purchase_order.trim().to_owned(),
        lines,
        received_on: body.received_date,
    })
}

/// Place an order.
#[utoipa::path(post, path = "/ops/v1/orders", operation_id = "place_order", tag = "Orders", security(("staffToken" = [])),
    request_body = NewOrderBody,
    description = "Creates the order and, per line, its service (`InProgress`, planned delivery the `ReadyForService` day) with the milestones' planned days; `OrderReceived` is reached today. The organization gets `order.created`.",
    responses((status = 201, body = Order), (status = 409, description = "The order reference is taken", body = Problem),
        (status = 422, description = "A field needs attention; `errors[].pointer` names it", body = Problem)))]
pub async fn place(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<NewOrderBody>,
) -> Result<Response, ApiError> {
    let plan = plan_of(body)?;
    let row = service::place(&state, &staff.case_actor(), &plan).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::view(&state.db, &row).await?),
    )
        .into_response())
}

/// List every order.
#[utoipa::path(get, path = "/ops/v1/orders", operation_id = "list_all_orders", tag = "Orders", security(("staffToken" = [])),
    description = "Every organization's orders. Filters, sort and paging as for `GET /v2/orders`.",
    responses((status = 200, body = Page<Order>), (status = 400, description = "Unknown parameter, filter value or sort key", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&ORDERS, raw.as_deref())?;
    let page = service::page(&state.db, None, &query).await?;
    Ok(page_response::<_, Order>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get an order.
#[utoipa::path(get, path = "/ops/v1/orders/{orderId}", operation_id = "get_any_order", tag = "Orders", security(("staffToken" = [])),
    params(("orderId" = String, Path, description = "ORD-000001")),
    responses((status = 200, body = Order), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Record a milestone reached.
#[utoipa::path(post, path = "/ops/v1/orders/{orderId}/milestones", operation_id = "reach_milestone", tag = "Orders", security(("staffToken" = [])),
    params(("orderId" = String, Path, description = "ORD-000001")), request_body = MilestoneBody,
    description = "A line's milestones are reached in order, each once. `ReadyForService` makes the line's service `RFS` with that day as its ready-for-service date; when every line is ready the order is `Delivered`. Events: `order.milestone_reached`, `service.status_changed`, `order.delivered`.",
    responses((status = 200, body = Order), (status = 404, body = Problem),
        (status = 409, description = "Out of order, already reached, or the order is no longer in delivery", body = Problem),
        (status = 422, body = Problem)))]
pub async fn reach(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MilestoneBody>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let row = service::reach(
        &state,
        &staff.case_actor(),
        &row,
        &body.service_id,
        body.milestone,
        body.date.as_deref(),
    )
    .await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Delay a milestone.
#[utoipa::path(post, path = "/ops/v1/orders/{orderId}/delays", operation_id = "delay_milestone", tag = "Orders", security(("staffToken" = [])),
    params(("orderId" = String, Path, description = "ORD-000001")), request_body = DelayBody,
    description = "Moves the planned day of a milestone not reached yet, with the reason the customer reads (`order.milestone_delayed`). Delaying `ReadyForService` moves the service's planned delivery date too.",
    responses((status = 200, body = Order), (status = 404, body = Problem),
        (status = 409, description = "The milestone is reached, or the order is no longer in delivery", body = Problem),
        (status = 422, body = Problem)))]
pub async fn delay(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DelayBody>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let row = service::delay(
        &state,
        &staff.case_actor(),
        &row,
        &body.service_id,
        body.milestone,
        &body.planned_date,
        &body.reason,
    )
    .await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Cancel an order.
#[utoipa::path(post, path = "/ops/v1/orders/{orderId}/cancel", operation_id = "cancel_order", tag = "Orders", security(("staffToken" = [])),
    params(("orderId" = String, Path, description = "ORD-000001")), request_body = CancelBody,
    description = "An order in delivery only. Its lines' services not ready for service yet never start: they become `Deactivated` (`service.status_changed`); the organization gets `order.cancelled` with the reason.",
    responses((status = 200, body = Order), (status = 404, body = Problem),
        (status = 409, description = "The order is delivered or cancelled", body = Problem),
        (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let row = service::cancel(&state, &staff.case_actor(), &row, &body.reason).await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

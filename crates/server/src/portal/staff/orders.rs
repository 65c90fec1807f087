//! Orders as the provider's staff run them: every organization's orders in
//! delivery, late ones first; one order with, per line, the next milestone to
//! record, a delay form, and cancelling. The same service functions as
//! `/ops/v1/orders` (placing an order is the operations API's and the import's).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::order::{Milestone, OrderStatus};
use oneportal_store::orders::ORDERS;

use super::StaffSession;
use super::frame::layout;
use crate::http::pagination::parse_list_query;
use crate::models::order::Order;
use crate::portal::csrf::CsrfForm;
use crate::portal::error::fixable;
use crate::portal::{PortalError, render};
use crate::services::cases::CaseActor;
use crate::services::orders as service;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/staff/orders.html")]
struct QueuePage {
    layout: crate::portal::layout::Layout,
    orders: Vec<Order>,
}

/// Orders in delivery, the late ones first, then the oldest.
pub async fn queue(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Response, PortalError> {
    let query = parse_list_query(
        &ORDERS,
        Some("status=InDelivery&sort=createdDate&limit=200"),
    )?;
    let mut orders = service::page(&state.db, None, &query).await?.rows;
    orders.sort_by_key(|o| !o.late);
    render::page(&QueuePage {
        layout: layout(&session, "Orders in delivery", "orders"),
        orders,
    })
}

#[derive(Template)]
#[template(path = "portal/staff/order.html")]
struct ShowPage {
    layout: crate::portal::layout::Layout,
    order: Order,
    in_delivery: bool,
    today: String,
    error: String,
}

async fn show_page(
    state: &AppState,
    session: &StaffSession,
    id: &str,
    status: StatusCode,
    error: String,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, id).await?;
    let order = service::view(&state.db, &row).await?;
    let mut response = render::page(&ShowPage {
        layout: layout(
            session,
            format!("{}: order {}", order.order_id, order.order_reference),
            "orders",
        ),
        in_delivery: order.status == OrderStatus::InDelivery,
        today: time::OffsetDateTime::now_utc().date().to_string(),
        error,
        order,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    show_page(&state, &session, &id, StatusCode::OK, String::new()).await
}

/// Reach a milestone, delay one, or cancel the order: the last path segment says which.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    let actor = CaseActor::staff(&session.staff);
    let milestone = Milestone::parse(fields.text("milestone").trim());
    let missing = || {
        crate::http::ApiError::validation(vec![crate::http::FieldError::new(
            "/milestone",
            "required",
            "choose the milestone",
        )])
    };
    let service_id = fields.text("serviceId");
    let result = match (action.as_str(), milestone) {
        ("milestones", Some(m)) => {
            let day = fields.text("date");
            let day = Some(day.trim()).filter(|d| !d.is_empty());
            service::reach(&state, &actor, &row, &service_id, m, day).await
        }
        ("delays", Some(m)) => {
            let day = fields.text("plannedDate");
            service::delay(
                &state,
                &actor,
                &row,
                &service_id,
                m,
                day.trim(),
                &fields.text("reason"),
            )
            .await
        }
        ("milestones" | "delays", None) => Err(missing()),
        ("cancel", _) => service::cancel(&state, &actor, &row, &fields.text("reason")).await,
        _ => return Err(PortalError::NotFound),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/staff/orders/{id}")).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            show_page(&state, &session, &id, status, text).await
        }
    }
}

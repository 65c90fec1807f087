//! Orders: the orders in delivery first, then the delivered and cancelled ones;
//! one order as a timeline per line, late milestones marked, delays with their
//! reasons. The same service functions and access scope as `/v2/orders`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::Permission;
use oneportal_domain::order::OrderStatus;
use oneportal_store::orders::ORDERS;

use super::layout::Layout;
use super::require::{OrdersView, QuotesRead, Require};
use super::{PortalError, render};
use crate::http::pagination::parse_list_query;
use crate::models::order::Order;
use crate::services::orders as service;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/orders.html")]
struct ListPage {
    layout: Layout,
    open: Vec<Order>,
    done: Vec<Order>,
    /// For the tabs: the person follows orders (they do, on this page).
    reads_orders: bool,
}

/// The Orders section's first page: the orders for those who follow them; a
/// person who only approves goes to the quotes.
pub async fn list(
    State(state): State<AppState>,
    session: Require<QuotesRead>,
) -> Result<Response, PortalError> {
    if !session.user.permissions.contains(Permission::OrdersView) {
        return Ok(Redirect::to("/portal/orders/quotes").into_response());
    }
    let query = parse_list_query(&ORDERS, Some("limit=200"))?;
    let orders = service::page(&state.db, Some(&session.user.access_scope()), &query)
        .await?
        .rows;
    let (open, done): (Vec<Order>, Vec<Order>) = orders
        .into_iter()
        .partition(|o| o.status == OrderStatus::InDelivery);
    render::page(&ListPage {
        layout: Layout::for_session(&state, &session, "Orders", "orders").await,
        open,
        done,
        reads_orders: true,
    })
}

#[derive(Template)]
#[template(path = "portal/order.html")]
struct ShowPage {
    layout: Layout,
    /// `YYYY-MM-DD`.
    ordered_on: String,
    order: Order,
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<OrdersView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let order = service::view(&state.db, &row).await?;
    render::page(&ShowPage {
        layout: Layout::for_session(
            &state,
            &session,
            format!("{}: order {}", order.order_id, order.order_reference),
            "orders",
        )
        .await,
        ordered_on: order.created_date.chars().take(10).collect(),
        order,
    })
}

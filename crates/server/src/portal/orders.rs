//! Orders: the orders in delivery first, then the delivered and cancelled ones;
//! one order as a timeline per line, late milestones marked, delays with their
//! reasons. The same service functions and access scope as `/v2/orders`.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::Permission;
use oneportal_store::orders::ORDERS;

use super::history;
use super::layout::Layout;
use super::pager::Pager;
use super::require::{OrdersView, QuotesRead, Require};
use super::{PortalError, render};
use crate::models::order::Order;
use crate::services::orders as service;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/orders.html")]
struct ListPage {
    layout: Layout,
    open: Vec<Order>,
    /// How many are in delivery, when more than shown.
    open_total: i64,
    done: Vec<Order>,
    pager: Pager,
    /// For the tabs: the person follows orders (they do, on this page).
    reads_orders: bool,
}

/// The Orders section's first page: the orders in delivery, then the
/// delivered and cancelled ones a page at a time, for those who follow
/// orders; a person who only approves goes to the quotes.
pub async fn list(
    State(state): State<AppState>,
    session: Require<QuotesRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    if !session.user.permissions.contains(Permission::OrdersView) {
        return Ok(Redirect::to("/portal/orders/quotes").into_response());
    }
    let scope = session.user.access_scope();
    let (open_query, done_query) = history::queries(
        &ORDERS,
        ("InDelivery", "Delivered,Cancelled"),
        raw.as_deref(),
    )?;
    let open = service::page(&state.db, Some(&scope), &open_query).await?;
    let done = service::page(&state.db, Some(&scope), &done_query).await?;
    render::page(&ListPage {
        layout: Layout::for_session(&state, &session, "Orders", "orders").await,
        open_total: open.total,
        open: open.rows,
        pager: history::history_pager("/portal/orders", &done_query, done.total, done.rows.len()),
        done: done.rows,
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

//! Orders → Quotes: the provider's quotes waiting for an answer first, then
//! the answered ones; a quote's page with its lines, totals and PDF, where a
//! person holding `Orders (Approve)` accepts the version they read (with their
//! password: it binds the organization and places the order) or declines it.
//! The same service functions and access scope as `/v2/quotes`.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::Permission;
use oneportal_domain::ids::IdKind;
use oneportal_domain::quote::QuoteStatus;
use oneportal_store::quotes::{QUOTES, QuoteRow};

use super::csrf::CsrfForm;
use super::error::fixable;
use super::history;
use super::layout::Layout;
use super::login::reauthenticate;
use super::pager::Pager;
use super::require::{OrdersApprove, QuotesRead, Require};
use super::session::Session;
use super::{PortalError, render};
use crate::models::maintenance::minute;
use crate::models::quote::Quote;
use crate::services::cases::CaseActor;
use crate::services::quotes::{self as service, Answering};
use crate::state::AppState;

fn href(id: i64) -> String {
    format!("/portal/orders/quotes/{}", IdKind::Quote.format(id))
}

#[derive(Template)]
#[template(path = "portal/quotes.html")]
struct ListPage {
    layout: Layout,
    /// Waiting for an answer.
    waiting: Vec<Quote>,
    waiting_total: i64,
    answered: Vec<Quote>,
    pager: Pager,
    reads_orders: bool,
}

/// The quotes waiting for an answer, then the answered, expired and
/// withdrawn ones a page at a time.
pub async fn list(
    State(state): State<AppState>,
    session: Require<QuotesRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let (waiting_query, answered_query) = history::queries(
        &QUOTES,
        ("Sent", "Accepted,Declined,Expired,Withdrawn"),
        raw.as_deref(),
    )?;
    let waiting = service::page(&state.db, Some(&scope), &waiting_query).await?;
    let answered = service::page(&state.db, Some(&scope), &answered_query).await?;
    render::page(&ListPage {
        layout: Layout::for_session(&state, &session, "Quotes", "orders").await,
        waiting_total: waiting.total,
        waiting: waiting.rows,
        pager: history::history_pager(
            "/portal/orders/quotes",
            &answered_query,
            answered.total,
            answered.rows.len(),
        ),
        answered: answered.rows,
        reads_orders: session.user.permissions.contains(Permission::OrdersView),
    })
}

#[derive(Template)]
#[template(path = "portal/quote.html")]
struct ShowPage {
    layout: Layout,
    quote: Quote,
    /// When it was sent and answered, as people read it.
    sent_when: String,
    answered_when: String,
    /// The person holds `Orders (Approve)` and the quote waits for an answer.
    may_answer: bool,
    may_approve: bool,
    /// The person follows orders: the placed order is a link.
    reads_orders: bool,
    /// What the accept form held when it was refused, so nothing is typed twice.
    purchase_order: String,
    error: String,
}

/// Why an answer was refused, and what the form held.
#[derive(Default)]
struct Refusal {
    error: String,
    purchase_order: String,
}

async fn show_page(
    state: &AppState,
    session: &Session,
    row: &QuoteRow,
    status: StatusCode,
    refusal: Refusal,
) -> Result<Response, PortalError> {
    let quote = service::view(&state.db, row).await?;
    let may_approve = session.user.permissions.contains(Permission::OrdersApprove);
    let mut response = render::page(&ShowPage {
        layout: Layout::for_session(
            state,
            session,
            format!("{}: quote {}", quote.quote_id, quote.quote_reference),
            "orders",
        )
        .await,
        sent_when: quote.sent_date.as_deref().map(minute).unwrap_or_default(),
        answered_when: quote
            .answer
            .as_ref()
            .map(|a| minute(&a.date))
            .unwrap_or_default(),
        may_answer: may_approve && row.status == QuoteStatus::Sent,
        may_approve,
        reads_orders: session.user.permissions.contains(Permission::OrdersView),
        purchase_order: refusal.purchase_order,
        error: refusal.error,
        quote,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<QuotesRead>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    show_page(&state, &session, &row, StatusCode::OK, Refusal::default()).await
}

pub async fn document(
    State(state): State<AppState>,
    session: Require<QuotesRead>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    Ok(crate::documents::downloads::quote_pdf(&state, &row).await?)
}

/// The version the form was filled in for; a form without one is out of date.
fn version_read(fields: &super::form::FormFields) -> Option<i64> {
    fields.text("version").trim().parse::<i64>().ok()
}

pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<OrdersApprove>>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let purchase_order = fields.text("purchase_order");
    let refuse = |message: &str| {
        let refusal = Refusal {
            error: message.into(),
            purchase_order: purchase_order.clone(),
        };
        show_page(
            &state,
            &session,
            &row,
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal,
        )
    };
    if fields.get("understood") != Some("yes") {
        return refuse("Tick the box to say you accept the quote on behalf of your organization.")
            .await;
    }
    let Some(version) = version_read(&fields) else {
        return refuse("The form is out of date: read the quote again and accept it.").await;
    };
    let ip = peer.ip().to_string();
    if let Err(message) = reauthenticate(&state, &session, fields.text("password"), &ip).await? {
        return refuse(&message).await;
    }
    let actor = CaseActor::person(&session.user);
    let answering = Answering {
        actor: &actor,
        version,
        ip: Some(ip),
    };
    match service::accept(&state, &row, &answering, &purchase_order).await {
        Ok((row, _order)) => Ok(Redirect::to(&href(row.id)).into_response()),
        Err(error) => answer_failed(&state, &session, &id, error).await,
    }
}

pub async fn decline(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<OrdersApprove>>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let Some(version) = version_read(&fields) else {
        let refusal = Refusal {
            error: "The form is out of date: read the quote again.".into(),
            ..Refusal::default()
        };
        return show_page(
            &state,
            &session,
            &row,
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal,
        )
        .await;
    };
    let actor = CaseActor::person(&session.user);
    let answering = Answering {
        actor: &actor,
        version,
        ip: Some(peer.ip().to_string()),
    };
    match service::decline(&state, &row, &answering, &fields.text("reason")).await {
        Ok(row) => Ok(Redirect::to(&href(row.id)).into_response()),
        Err(error) => answer_failed(&state, &session, &id, error).await,
    }
}

/// Shows the quote as it stands now with why the answer was refused (it
/// changed, expired, or someone answered first).
async fn answer_failed(
    state: &AppState,
    session: &Session,
    id: &str,
    error: crate::http::ApiError,
) -> Result<Response, PortalError> {
    let (status, text) = fixable(error)?;
    let row = service::visible(&state.db, &session.user.access_scope(), id).await?;
    let refusal = Refusal {
        error: text,
        ..Refusal::default()
    };
    show_page(state, session, &row, status, refusal).await
}

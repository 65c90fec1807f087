//! The provider's operations pages under `/staff`, for staff with their own
//! login: the case queue across customers with status changes, public replies
//! and RFO authoring; organizations with their accounts, sites and services;
//! invoice import; the audit log; the e-mail outbox. Every change calls the
//! services the operations API calls (`services::cases`, `services::rfo`,
//! `services::import`), so rules and audit events are the API's.
//!
//! - [`session`]: staff sessions behind their own cookie
//! - [`login`]: what the staff's login has of its own
//! - [`cases`]: the queue and one case; [`orgs`]: organizations
//! - [`maintenance`]: planned maintenance: announce, reschedule, start, complete, cancel
//! - [`deactivations`]: customers' deactivation requests, with the billing-end-date clock
//! - [`orders`]: orders in delivery: record milestones, delay, cancel
//! - [`quotes`]: quotes: write, send, revise, withdraw
//! - [`monitoring`]: alerts from the provider's monitoring, and its integration tokens;
//!   [`metrics_intake`]: the health of the measurements pushed or read
//! - [`import`], [`audit`], [`outbox`]: the other pages

pub mod audit;
pub mod cases;
pub mod deactivations;
pub mod frame;
pub mod import;
pub mod login;
pub mod maintenance;
pub mod metrics_intake;
pub mod monitoring;
pub mod orders;
pub mod orgs;
pub mod outbox;
pub mod quotes;
pub mod session;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

pub use session::StaffSession;

use super::login::{form, logout, submit};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(|| async { Redirect::to("/staff/cases") }))
        .route("/staff/", get(|| async { Redirect::to("/staff/cases") }))
        .route(
            "/staff/login",
            get(form::<StaffSession>).post(submit::<StaffSession>),
        )
        .route("/staff/logout", post(logout::<StaffSession>))
        .route("/staff/cases", get(cases::queue))
        .route("/staff/cases/{case_id}", get(cases::show))
        .route("/staff/cases/{case_id}/status", post(cases::change_status))
        .route("/staff/cases/{case_id}/reply", post(cases::reply))
        .route("/staff/cases/{case_id}/rfo", post(cases::publish_rfo))
        .route("/staff/cases/{case_id}/rfo.pdf", get(cases::rfo_document))
        .route(
            "/staff/maintenance",
            get(maintenance::list).post(maintenance::announce),
        )
        .route("/staff/orders", get(orders::queue))
        .route("/staff/orders/{order_id}", get(orders::show))
        .route("/staff/orders/{order_id}/{action}", post(orders::act))
        .route("/staff/quotes", get(quotes::queue).post(quotes::create))
        .route("/staff/quotes/new", get(quotes::new_form))
        .route("/staff/quotes/{quote_id}", get(quotes::show))
        .route(
            "/staff/quotes/{quote_id}/revise",
            get(quotes::revise_form).post(quotes::revise),
        )
        .route("/staff/quotes/{quote_id}/quote.pdf", get(quotes::document))
        .route("/staff/quotes/{quote_id}/{action}", post(quotes::act))
        .route("/staff/deactivations", get(deactivations::queue))
        .route(
            "/staff/deactivations/{request_id}",
            get(deactivations::show),
        )
        .route(
            "/staff/deactivations/{request_id}/confirmation.pdf",
            get(deactivations::document),
        )
        .route(
            "/staff/deactivations/{request_id}/status",
            post(deactivations::step),
        )
        .route("/staff/monitoring", get(monitoring::page))
        .route("/staff/monitoring/tokens", post(monitoring::issue))
        .route(
            "/staff/monitoring/tokens/{token_id}/revoke",
            post(monitoring::revoke),
        )
        .route(
            "/staff/maintenance/{maintenance_id}",
            get(maintenance::show),
        )
        .route(
            "/staff/maintenance/{maintenance_id}/status",
            post(maintenance::move_status),
        )
        .route(
            "/staff/maintenance/{maintenance_id}/window",
            post(maintenance::reschedule),
        )
        .route("/staff/organizations", get(orgs::list))
        .route("/staff/organizations/{org_id}", get(orgs::show))
        .route(
            "/staff/import",
            get(import::form)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::services::import::MAX_DOCUMENT_BYTES,
                )),
        )
        .route("/staff/audit", get(audit::list))
        .route("/staff/audit/export", get(audit::export))
        .route(
            "/staff/cases/{case_id}/attachments/{attachment_id}",
            get(cases::download),
        )
        .route("/staff/outbox", get(outbox::list))
        .route(
            "/staff/{*rest}",
            get(super::error::not_found).post(super::error::not_found),
        )
}

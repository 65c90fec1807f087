//! The customer portal: server-rendered pages (askama) on top of the same
//! services, rules and audit as API V2. Each file does one job:
//!
//! - [`assets`]: the stylesheet, scripts and vendored Swagger UI, long-cached
//! - [`headers`]: security headers of every portal answer
//! - [`session`]: database sessions behind an HttpOnly cookie, customers' and staff's apart
//! - [`csrf`]: the per-session form token and the Origin/Referer check; `CsrfForm`, the checked form
//! - [`throttle`]: failed logins counted in the database, lockout
//! - [`login`]: sign in and sign out, for customers and (with `staff::login`) staff
//! - [`layout`]: the navigation a user's permissions allow
//! - [`home`], [`catalog`], [`developer`], [`explorer`], [`support`], [`maintenance`], [`billing`]: the pages
//! - [`charts`]: pictures drawn on the server as inline SVG
//! - [`users`]: User Management; [`account`]: activation, password reset, the demo outbox
//! - [`staff`]: the provider's operations pages under `/staff`, with their own login
//! - [`form`], [`error`], [`render`]: reading forms, answering errors, rendering pages

pub mod account;
pub mod assets;
pub mod billing;
pub mod catalog;
pub mod charts;
pub mod csrf;
pub mod deactivations;
pub mod developer;
pub mod error;
mod error_page;
pub mod explorer;
pub mod form;
pub mod headers;
mod history;
pub mod home;
pub mod layout;
pub mod login;
pub mod maintenance;
mod my_account;
pub mod orders;
pub mod pager;
pub mod performance;
pub mod quotes;
pub mod render;
pub mod require;
pub mod session;
pub mod staff;
pub mod support;
pub mod throttle;
pub mod users;
pub mod webhooks;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::state::AppState;

pub use error::PortalError;
pub use session::Session;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/portal/") }))
        .route("/portal", get(|| async { Redirect::to("/portal/") }))
        .route("/portal/", get(home::page))
        .route(
            "/portal/login",
            get(login::form::<Session>).post(login::submit::<Session>),
        )
        .route("/portal/logout", post(login::logout::<Session>))
        .route("/portal/services", get(catalog::services))
        .route("/portal/services/{service_id}", get(catalog::service))
        .route("/portal/performance", get(performance::organization))
        .route(
            "/portal/services/{service_id}/deactivate",
            get(deactivations::request_form).post(deactivations::request),
        )
        .route("/portal/orders", get(orders::list))
        .route("/portal/orders/{order_id}", get(orders::show))
        .route("/portal/orders/quotes", get(quotes::list))
        .route("/portal/orders/quotes/{quote_id}", get(quotes::show))
        .route(
            "/portal/orders/quotes/{quote_id}/quote.pdf",
            get(quotes::document),
        )
        .route(
            "/portal/orders/quotes/{quote_id}/accept",
            post(quotes::accept),
        )
        .route(
            "/portal/orders/quotes/{quote_id}/decline",
            post(quotes::decline),
        )
        .route("/portal/deactivation-requests", get(deactivations::list))
        .route(
            "/portal/deactivation-requests/{request_id}",
            get(deactivations::show),
        )
        .route(
            "/portal/deactivation-requests/{request_id}/confirmation.pdf",
            get(deactivations::document),
        )
        .route(
            "/portal/deactivation-requests/{request_id}/confirm",
            post(deactivations::confirm),
        )
        .route(
            "/portal/deactivation-requests/{request_id}/withdraw",
            post(deactivations::withdraw),
        )
        .route(
            "/portal/services/{service_id}/performance",
            get(performance::page),
        )
        .route(
            "/portal/services/{service_id}/performance.csv",
            get(performance::csv),
        )
        .route("/portal/sites", get(catalog::sites))
        .route("/portal/sites/{site_id}", get(catalog::site))
        .route("/portal/developer", get(developer::index))
        .route("/portal/developer/", get(developer::index))
        .route(
            "/portal/developer/clients",
            get(developer::list).post(developer::create),
        )
        .route("/portal/developer/clients/new", get(developer::new_form))
        .route(
            "/portal/developer/clients/{client_id}/secret/{reveal}",
            get(developer::reveal),
        )
        .route(
            "/portal/developer/clients/{client_id}/rotate",
            get(developer::rotate_form).post(developer::rotate),
        )
        .route(
            "/portal/developer/clients/{client_id}/revoke",
            get(developer::revoke_form).post(developer::revoke),
        )
        .route(
            "/portal/developer/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/portal/developer/webhooks/new", get(webhooks::new_form))
        .route(
            "/portal/developer/webhooks/{endpoint_id}",
            get(webhooks::show),
        )
        .route(
            "/portal/developer/webhooks/{endpoint_id}/secret/{reveal}",
            get(webhooks::reveal),
        )
        .route(
            "/portal/developer/webhooks/{endpoint_id}/test",
            post(webhooks::send_test),
        )
        .route(
            "/portal/developer/webhooks/{endpoint_id}/enabled",
            post(webhooks::set_enabled),
        )
        .route(
            "/portal/developer/webhooks/{endpoint_id}/recover",
            post(webhooks::recover),
        )
        .route(
            "/portal/developer/webhooks/{endpoint_id}/delete",
            post(webhooks::delete),
        )
        .route(
            "/portal/developer/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/portal/developer/api", get(explorer::page))
        .route("/portal/developer/api/token", post(explorer::token))
        .route(
            "/portal/developer/getting-started",
            get(explorer::getting_started),
        )
        .merge(support::routes())
        .merge(staff::routes())
        .merge(billing::routes())
        // User Management, and the pages e-mails link to.
        .route("/portal/users", get(users::list).post(users::create))
        .route(
            "/portal/users/new",
            get(users::new_form).post(users::step_two),
        )
        .route(
            "/portal/users/{user_id}",
            get(users::edit_form).post(users::update),
        )
        .route("/portal/users/{user_id}/resend", post(users::resend))
        .route(
            "/portal/users/{user_id}/remove",
            get(users::remove_form).post(users::remove),
        )
        .route(
            "/portal/activate",
            get(account::activate_form).post(account::activate),
        )
        .route(
            "/portal/password/forgot",
            get(account::forgot_form).post(account::forgot),
        )
        .route(
            "/portal/password/reset",
            get(account::reset_form).post(account::reset),
        )
        .route("/portal/account", get(my_account::page))
        .route(
            "/portal/account/notifications",
            post(my_account::save_notifications),
        )
        .route(
            "/portal/account/calendar",
            post(my_account::calendar_address),
        )
        .route(
            "/portal/calendar/maintenance.ics",
            get(maintenance::calendar_feed),
        )
        .route("/portal/outbox", get(account::demo_outbox))
        .route("/portal/outbox/{id}", get(account::demo_outbox_message))
        .route("/portal/assets/{file}", get(assets::own))
        .route("/portal/assets/swagger/{file}", get(assets::swagger))
        .route(
            "/portal/{*rest}",
            get(error::not_found).post(error::not_found),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::middleware,
        ))
}

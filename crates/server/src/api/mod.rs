//! API V2: handlers and the OpenAPI document, from one source (utoipa-axum).

pub mod api_clients;
pub mod cases;
pub mod catalog;
pub mod deactivations;
pub mod events;
mod guard;
pub mod invoices;
pub mod maintenances;
pub mod me;
pub mod metrics;
pub mod orders;
pub mod person;
pub mod quotes;
pub mod users;
pub mod webhooks;

use axum::Router;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "OnePortal API V2",
        description = "Your organization's accounts, sites, services, support cases and invoices, and the API clients that reach them.\n\nAuthenticate with an access token from `POST /oauth2/token` (OAuth 2.0 Client Credentials) in `Authorization: Bearer <token>`. API clients themselves are managed with a short-lived user token.\n\nLists page with `offset` (at most 10,000) and `limit` (at most 200), or with `cursor` at any depth; a filter takes at most 20 values. No text may contain the NUL character (U+0000): a body, query or form that holds one is a 400 naming the field.",
        version = "2.0.0"
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "Me", description = "Who is calling"),
        (name = "APIClients", description = "Machine credentials with fixed scopes, managed by people: call with a user token (`Authorization: Bearer`), or from a portal page with its session cookie, this site's `Origin` and the page's CSRF token in `X-CSRF-Token`. Client-credentials tokens are refused here."),
        (name = "Users", description = "User Management"),
        (name = "Accounts", description = "Contract and delivery accounts [customerapi/basic.read]"),
        (name = "Sites", description = "Where services are delivered [customerapi/basic.read]"),
        (name = "Services", description = "Network services and their technical details [customerapi/basic.read]"),
        (name = "Cases", description = "Support cases, their conversation, attachments and RFOs [customerapi/support.read to read, customerapi/support.read-write to change]"),
        (name = "Maintenance", description = "Planned maintenance on your services, in the NANOG BCOP's terms [customerapi/support.read]"),
        (name = "Deactivation", description = "Requests to end a service, as the provider's help article describes them [customerapi/support.read to read, customerapi/support.read-write to ask and withdraw; confirming is a person's act in the portal]"),
        (name = "Events", description = "What changed, oldest first: the event feed [customerapi/basic.read, support.read or billing.read; each event needs the scope of its record]"),
        (name = "Webhooks", description = "Endpoints OnePortal POSTs your organization's events to, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried for about 28 hours with the same `webhook-id`; managed by people with `Developer Portal (API)` (user token or portal session)"),
        (name = "Orders", description = "Orders in delivery: lines, milestones and delays [customerapi/orders.read]"),
        (name = "Quotes", description = "Quotes from the provider, their versions and answers; accepting is done in the portal [customerapi/orders.read]"),
        (name = "Invoices", description = "Invoices and credit notes, their lines, PDF summaries and CSV line items [customerapi/billing.read]"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scopes = Scopes::from_iter(
            oneportal_domain::ApiScope::ALL
                .iter()
                .map(|s| (s.oauth_name(), s.description())),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    "/oauth2/token",
                    scopes,
                ))],
                "Client Credentials grant with an API client's id and secret",
            )),
        );
        components.add_security_scheme(
            "userToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A short-lived user token from the portal or `oneportal users token`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The `/v2` routes and their OpenAPI document.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(api_clients::create, api_clients::list))
        .routes(routes!(
            api_clients::get,
            api_clients::revoke,
            api_clients::refuse_change
        ))
        .routes(routes!(api_clients::rotate_secret))
        .routes(routes!(api_clients::transfer))
        .routes(routes!(users::update, users::remove))
        .routes(routes!(catalog::list_accounts))
        .routes(routes!(catalog::get_account))
        .routes(routes!(catalog::list_account_sites))
        .routes(routes!(catalog::list_account_services))
        .routes(routes!(catalog::list_sites))
        .routes(routes!(catalog::get_site))
        .routes(routes!(catalog::list_services))
        .routes(routes!(catalog::get_service))
        .routes(routes!(metrics::get_service_metrics))
        .routes(routes!(metrics::scrape_service_metrics))
        .routes(routes!(cases::list_cases, cases::create_case))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::list_communications, cases::reply))
        .merge(
            // Uploads enforce the attachment limit themselves, chunk by chunk, with a 413 problem.
            OpenApiRouter::new()
                .routes(routes!(cases::list_attachments, cases::upload_attachment))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(cases::download_attachment))
        .routes(routes!(cases::close_case))
        .routes(routes!(cases::reopen_case))
        .routes(routes!(cases::cancel_case))
        .routes(routes!(cases::get_rfo))
        .routes(routes!(cases::rfo_document))
        .routes(routes!(maintenances::list_maintenances))
        .routes(routes!(maintenances::get_maintenance))
        .routes(routes!(maintenances::maintenance_calendar))
        .routes(routes!(deactivations::request_deactivation))
        .routes(routes!(deactivations::list_deactivation_requests))
        .routes(routes!(deactivations::get_deactivation_request))
        .routes(routes!(deactivations::deactivation_document))
        .routes(routes!(deactivations::withdraw_deactivation_request))
        .routes(routes!(deactivations::confirm_deactivation_request))
        .routes(routes!(events::list_events))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhooks::recover))
        .routes(routes!(orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(quotes::list_quotes))
        .routes(routes!(quotes::get_quote))
        .routes(routes!(quotes::quote_document))
        .routes(routes!(quotes::accept_quote))
        .routes(routes!(invoices::list_invoices))
        .routes(routes!(invoices::get_invoice))
        .routes(routes!(invoices::list_invoice_lines))
        .routes(routes!(invoices::get_invoice_document))
        .routes(routes!(invoices::get_invoice_lines_csv))
        .split_for_parts();
    // The routes' operations exist only now, so the common answers are added last.
    let mut openapi = openapi;
    crate::http::openapi::CommonResponses.modify(&mut openapi);
    crate::http::openapi::MergeClosedAllOf.modify(&mut openapi);
    cases::CaseTypeVariants.modify(&mut openapi);
    cases::AttachmentTypes.modify(&mut openapi);
    (router, openapi)
}

pub fn router(state: &AppState) -> Router<AppState> {
    let (router, openapi) = routes();
    let router = router.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        guard::guard,
    ));
    router.route(
        "/v2/openapi.json",
        crate::http::openapi::document_route(&openapi),
    )
}

/// The caller's address, for the audit log.
pub fn client_ip(connect: &axum::extract::ConnectInfo<std::net::SocketAddr>) -> Option<String> {
    Some(connect.0.ip().to_string())
}

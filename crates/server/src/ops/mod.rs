//! The provider's operations API (`/ops/v1`): staff move cases through their
//! statuses, reply to customers, publish RFOs, announce maintenance and import back-office data, through the same services
//! (rules and audit) as the customer API. Staff authenticate with staff tokens.

pub mod alerts;
pub mod auth;
pub mod cases;
pub mod deactivations;
pub mod imports;
pub mod maintenances;
pub mod metrics;
pub mod orders;
pub mod outbox;
pub mod queue;
pub mod quotes;

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "OnePortal operations API",
        description = "For the provider's staff and back-office systems: case status changes, public replies and RFOs. Authenticate with a staff token (`oneportal staff token --email …`) in `Authorization: Bearer <token>`.",
        version = "1.0.0"
    ),
    modifiers(&StaffTokenScheme),
    tags((name = "Cases", description = "Customer cases as the provider works them"),
        (name = "Deactivation", description = "Customers' requests to end services: review, terms, billing end date"),
        (name = "Imports", description = "Bulk upserts from the provider's back office"),
        (name = "Maintenance", description = "Planned maintenance: announce, change, reschedule, start, complete, cancel"),
        (name = "Monitoring", description = "Alerts and measurements from the provider's monitoring (Alertmanager, PagerDuty-shaped events, Prometheus remote-write) and the integration tokens they authenticate with"),
        (name = "Orders", description = "Orders in delivery: place, record milestones, move planned days"),
        (name = "Quotes", description = "Quotes: write, send, revise (new versions), withdraw; the PDF"),
        (name = "Organizations", description = "Customer organizations"),
        (name = "Outbox", description = "Every e-mail OnePortal sent, and its delivery state"))
)]
struct OpsDoc;

struct StaffTokenScheme;

impl Modify for StaffTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "staffToken",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some("A staff token from `oneportal staff token`"))
                        .build(),
                ),
            );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
            "integrationToken",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An integration token (`opi_…`) staff issue for the provider's monitoring",
                    ))
                    .build(),
            ),
        );
    }
}

/// `RfoBody` and `RfoRecord` flatten `RfoContent` beside `status`. utoipa writes that
/// as an `allOf` of two closed objects, which no document satisfies; this writes the
/// one closed object the server actually reads.
struct FlattenedRfo;

impl Modify for FlattenedRfo {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(content) = components
            .schemas
            .get("RfoContent")
            .and_then(|s| serde_json::to_value(s).ok())
        else {
            return;
        };
        for name in ["RfoBody", "RfoRecord"] {
            let Some(flattened) = components
                .schemas
                .get(name)
                .and_then(|s| serde_json::to_value(s).ok())
            else {
                continue;
            };
            let mut merged = content.clone();
            for part in flattened["allOf"].as_array().into_iter().flatten() {
                for (key, value) in part["properties"].as_object().into_iter().flatten() {
                    merged["properties"][key] = value.clone();
                }
                for required in part["required"].as_array().into_iter().flatten() {
                    if let Some(list) = merged["required"].as_array_mut() {
                        list.push(required.clone());
                    }
                }
            }
            if let Some(description) = flattened.get("description") {
                merged["description"] = description.clone();
            }
            if let Ok(schema) = serde_json::from_value(merged) {
                components.schemas.insert(name.into(), schema);
            }
        }
    }
}

pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(OpsDoc::openapi())
        .routes(routes!(queue::list_organizations))
        .routes(routes!(queue::list_cases))
        .routes(routes!(cases::change_status))
        .routes(routes!(cases::reply))
        .routes(routes!(cases::publish_rfo))
        .routes(routes!(orders::place, orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::reach))
        .routes(routes!(orders::delay))
        .routes(routes!(orders::cancel))
        .routes(routes!(quotes::create, quotes::list))
        .routes(routes!(quotes::get, quotes::revise))
        .routes(routes!(quotes::send))
        .routes(routes!(quotes::withdraw))
        .routes(routes!(quotes::document))
        .routes(routes!(deactivations::list))
        .routes(routes!(deactivations::get))
        .routes(routes!(deactivations::move_status))
        .routes(routes!(maintenances::announce, maintenances::list))
        .routes(routes!(maintenances::get, maintenances::change))
        .routes(routes!(maintenances::move_status))
        .routes(routes!(maintenances::history))
        .routes(routes!(outbox::list_outbox))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::issue, alerts::list_tokens))
        .routes(routes!(alerts::revoke))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(alerts::receive_alertmanager))
                .routes(routes!(alerts::receive_event))
                .layer(crate::http::request_body::limit(
                    crate::services::monitoring::intake::MAX_BODY_BYTES,
                )),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(metrics::receive_remote_write))
                .layer(crate::http::request_body::limit(
                    crate::services::metrics::remote_write::MAX_BODY_BYTES,
                )),
        )
        .merge(OpenApiRouter::new().routes(routes!(imports::import)).layer(
            crate::http::request_body::limit(crate::services::import::MAX_DOCUMENT_BYTES),
        ))
        .split_for_parts();
    crate::http::openapi::CommonResponses.modify(&mut openapi);
    crate::http::openapi::MergeClosedAllOf.modify(&mut openapi);
    FlattenedRfo.modify(&mut openapi);
    (router, openapi)
}

pub fn router() -> Router<AppState> {
    let (router, openapi) = routes();
    router.route(
        "/ops/v1/openapi.json",
        crate::http::openapi::document_route(&openapi),
    )
}

//! The provider's operations API (`/ops/v1`): staff move cases through their
//! statuses, reply to customers, publish RFOs and import back-office data, through the same services
//! (rules and audit) as the customer API. Staff authenticate with staff tokens.

pub mod auth;
pub mod cases;
pub mod imports;
pub mod queue;

use axum::{Json, Router};
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
        (name = "Imports", description = "Bulk upserts from the provider's back office"),
        (name = "Organizations", description = "Customer organizations"))
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
    }
}

pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(OpsDoc::openapi())
        .routes(routes!(queue::list_organizations))
        .routes(routes!(queue::list_cases))
        .routes(routes!(cases::change_status))
        .routes(routes!(cases::reply))
        .routes(routes!(cases::publish_rfo))
        .merge(OpenApiRouter::new().routes(routes!(imports::import)).layer(
            axum::extract::DefaultBodyLimit::max(imports::MAX_DOCUMENT_BYTES),
        ))
        .split_for_parts();
    crate::api::CommonResponses.modify(&mut openapi);
    (router, openapi)
}

pub fn router() -> Router<AppState> {
    let (router, openapi) = routes();
    let document = serde_json::to_value(&openapi).expect("OpenAPI serializes");
    router.route(
        "/ops/v1/openapi.json",
        axum::routing::get(move || async move { Json(document.clone()) }),
    )
}

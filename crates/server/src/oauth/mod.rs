//! The OAuth 2.0 authorization server: token, introspection and revocation
//! endpoints, discovery metadata and the JWKS.

pub mod client_auth;
pub mod error;
pub mod form;
pub mod introspection;
pub mod metadata;
pub mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/introspect", post(introspection::introspect))
        .route("/oauth2/revoke", post(introspection::revoke))
        .route("/.well-known/jwks.json", get(metadata::jwks))
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server),
        )
        .route(
            "/.well-known/openid-configuration",
            get(metadata::openid_configuration),
        )
}

//! The Developer Portal's API tab: the interactive API reference (vendored
//! Swagger UI) with one-click authorization by a short-lived user token, and a
//! getting-started page whose commands carry this server's own URLs.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::layout::Layout;
use super::require::{DeveloperPortal, Require};
use super::{PortalError, csrf, render};
use crate::audit::Actor;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/developer/api.html")]
struct ApiPage {
    layout: Layout,
    ttl_minutes: u32,
}

#[derive(Template)]
#[template(path = "portal/developer/getting_started.html")]
struct GettingStartedPage {
    layout: Layout,
    url: String,
    token_endpoint: String,
}

pub async fn page(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
) -> Result<Response, PortalError> {
    render::page(&ApiPage {
        layout: Layout::for_session(&state, &session, "API reference", "developer").await,
        ttl_minutes: state.config.oauth.user_token_ttl_secs / 60,
    })
}

/// Mints the logged-in person's user token for the API reference, audited as
/// `oneportal users token` is. Called by the page's script with the CSRF header.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Require<DeveloperPortal>,
) -> Result<Response, PortalError> {
    let given = headers.get(csrf::HEADER).and_then(|v| v.to_str().ok());
    csrf::verify(&state, &headers, &session, given)?;
    let ttl = state.config.oauth.user_token_ttl_secs;
    let token = crate::services::users::mint_user_token(
        &state.db,
        &state.authority,
        &state.keys.current(),
        &session.user,
        ttl,
        &Actor::user(&session.user),
    )
    .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "accessToken": token, "tokenType": "Bearer", "expiresIn": ttl })),
    )
        .into_response())
}

pub async fn getting_started(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
) -> Result<Response, PortalError> {
    render::page(&GettingStartedPage {
        layout: Layout::for_session(&state, &session, "Getting started", "developer").await,
        url: state.public_url.clone(),
        token_endpoint: state.token_endpoint(),
    })
}

//! The caller of an endpoint that people manage (their API clients, their
//! password): a user token, or the portal's session cookie.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::access::Caller;
use crate::directory::UserEntry;
use crate::http::ApiError;
use crate::portal::{Session, csrf, session};
use crate::state::AppState;

/// A person: a user token, or (with no `Authorization` header) a portal session.
/// Endpoints managed by people take this, so a machine token is refused (403)
/// before the body is even read.
///
/// A session rides on a cookie the browser sends by itself, so a changing request
/// with one must also prove it comes from a portal page: this server's `Origin`
/// and the session's CSRF token in `X-CSRF-Token` (pages carry it in
/// `<meta name="csrf-token">`).
pub struct Person(pub Arc<UserEntry>);

impl FromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(header::AUTHORIZATION)
            && let Some(session) = session::current::<Session>(state, &parts.headers).await?
        {
            if !parts.method.is_safe() {
                let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                let from_portal = csrf::same_origin(state, &parts.headers).is_ok()
                    && csrf::token_matches(&session.csrf_token, given);
                if !from_portal {
                    return Err(ApiError::forbidden(
                        "csrf_failed",
                        "a request with a portal session must come from this site and carry the page's CSRF token in X-CSRF-Token (from <meta name=\"csrf-token\">); or call with Authorization: Bearer <user token>",
                    ));
                }
            }
            return Ok(Person(session.user));
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Person(caller.require_user()?.clone()))
    }
}

/// The header a portal page's script sends its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

//! What every API V2 request passes before its handler: the caller is resolved
//! once (and handed to the handler's extractors), its rate limit counted, and a
//! creating POST with an `Idempotency-Key` run at most once.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::access::Caller;
use crate::http::{ApiError, idempotency};
use crate::state::AppState;

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    guarded(&state, request, next)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn guarded(state: &AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    // A bad token is left to the handler's extractor, which answers the 401.
    let caller = match parts.headers.contains_key(header::AUTHORIZATION) {
        true => match Caller::from_request_parts(&mut parts, state).await {
            Ok(caller) => Some(caller),
            // The handler would only wait for the database a second time.
            Err(error @ (ApiError::Unavailable | ApiError::Internal(_))) => return Err(error),
            Err(_) => None,
        },
        false => None,
    };
    let mut request = Request::from_parts(parts, body);
    let Some(caller) = caller else {
        return Ok(next.run(request).await);
    };
    let subject = caller.subject().to_owned();
    let allowance = match &state.rate_limits {
        Some(limits) => Some(limits.check(&subject)?),
        None => None,
    };
    request.extensions_mut().insert(caller);
    let key = match request.method() == Method::POST && replayable(request.uri().path()) {
        true => idempotency::key_of(&request)?,
        false => None,
    };
    let mut response = match key {
        Some(key) => {
            let limit = body_limit(state, request.uri().path());
            idempotency::run_once(&state.db, &subject, &key, limit, request, next).await?
        }
        None => next.run(request).await,
    };
    if let Some(allowance) = allowance {
        allowance.write(response.headers_mut());
    }
    Ok(response)
}

/// Answers that carry a client secret are never stored, so those POSTs ignore the key.
fn replayable(path: &str) -> bool {
    !(path == "/v2/api-clients" || path.ends_with("/secrets"))
}

fn body_limit(state: &AppState, path: &str) -> usize {
    if path.ends_with("/attachments") {
        state.config.cases.attachment_max_bytes as usize + 64 * 1024
    } else {
        1024 * 1024
    }
}

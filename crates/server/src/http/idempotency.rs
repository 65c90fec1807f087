//! `Idempotency-Key` on creating POSTs: the first answer is stored and replayed
//! to the same caller for 24 hours; the same key with another body is 422, and a
//! retry while the first request still runs is 409. Keys live in the database,
//! so they hold across nodes.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use oneportal_store::idempotency::{self, Claim};
use oneportal_store::now_ms;
use sha2::Digest;

use super::ApiError;
use oneportal_store::Db;

/// How long an answer is kept (the contract says at least 24 hours).
pub const KEPT_FOR_MS: i64 = 25 * 3_600_000;
/// A claim older than this without an answer belongs to a node that died.
const ABANDONED_AFTER_MS: i64 = 60_000;
const MAX_KEY_LEN: usize = 255;

/// Whether a request asks for idempotency, with a well-formed key.
pub fn key_of(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("").trim();
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!(
                "Idempotency-Key must be 1–{MAX_KEY_LEN} printable ASCII characters; a UUID is a good choice"
            ),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// Runs `request` at most once per (`owner`, `key`), replaying the stored answer to retries.
pub async fn run_once(
    db: &Db,
    owner: &str,
    key: &str,
    body_limit: usize,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes =
        axum::body::to_bytes(body, body_limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge {
                detail: format!(
                    "the request body is larger than the {body_limit} bytes this endpoint accepts"
                ),
            })?;
    let hash = request_hash(parts.method.as_str(), parts.uri.path(), &bytes);
    let now = now_ms();
    match idempotency::claim(db, owner, key, &hash, now, now - ABANDONED_AFTER_MS).await? {
        Claim::Existing(stored) if stored.request_hash != hash => Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            detail: "this Idempotency-Key was already used with a different request; use a new key for a new request".into(),
            errors: vec![],
        }),
        Claim::Existing(stored) if !stored.is_finished() => Err(ApiError::conflict(
            "idempotency_key_in_flight",
            "a request with this Idempotency-Key is still being processed; retry in a moment",
        )),
        Claim::Existing(stored) => Ok(replay(stored)),
        Claim::Claimed => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            remember(db, owner, key, response).await
        }
    }
}

fn request_hash(method: &str, path: &str, body: &Bytes) -> String {
    let mut digest = sha2::Sha256::new();
    digest.update(method.as_bytes());
    digest.update([0]);
    digest.update(path.as_bytes());
    digest.update([0]);
    digest.update(body);
    hex::encode(digest.finalize())
}

/// Stores the answer (server errors and rate limits are not stored: a retry may succeed).
async fn remember(
    db: &Db,
    owner: &str,
    key: &str,
    response: Response,
) -> Result<Response, ApiError> {
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        idempotency::release(db, owner, key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(format!("response body: {e}")))?;
    let text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    idempotency::finish(
        db,
        owner,
        key,
        status.as_u16(),
        text(header::CONTENT_TYPE).as_deref(),
        text(header::LOCATION).as_deref(),
        bytes.to_vec(),
    )
    .await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(stored: idempotency::StoredRequest) -> Response {
    let status = stored
        .status_code
        .and_then(|c| axum::http::StatusCode::from_u16(c as u16).ok())
        .unwrap_or(axum::http::StatusCode::OK);
    let mut response = (status, stored.body.unwrap_or_default()).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, stored.content_type),
        (header::LOCATION, stored.location),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

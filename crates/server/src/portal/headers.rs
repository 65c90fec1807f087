//! Security headers of every portal answer. Pages load scripts and styles only
//! from this server (no inline scripts), cannot be framed, and are not cached.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Pages: own scripts and styles only, forms post only here, no framing.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The API explorer: Swagger UI sets style attributes while it renders, so styles
/// (never scripts) may be inline there.
pub const EXPLORER_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const COMMON: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];

pub async fn middleware(request: Request, next: Next) -> Response {
    let explorer = request.uri().path() == "/portal/developer/api";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = if explorer { EXPLORER_CSP } else { PAGE_CSP };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    for (name, value) in COMMON {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages can carry a secret or a CSRF token; only the assets are cached.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

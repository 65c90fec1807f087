//! The portal's stylesheet and scripts, compiled into the binary, and the
//! vendored Swagger UI files. Their URLs carry a content version, so they are
//! cached for a year.

use std::sync::{Arc, LazyLock};

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const FILES: [(&str, &str, &str); 3] = [
    (
        "portal.css",
        "text/css; charset=utf-8",
        include_str!("assets/portal.css"),
    ),
    (
        "copy.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/copy.js"),
    ),
    (
        "api-explorer.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/api-explorer.js"),
    ),
];

const LONG_CACHE: &str = "public, max-age=31536000, immutable";

/// A short hash of every asset, put in their URLs so a new build is fetched at once.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hasher = Sha256::new();
    for (name, _, body) in FILES {
        hasher.update(name.as_bytes());
        hasher.update(body.as_bytes());
    }
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hex::encode(&hasher.finalize()[..6])
});

pub async fn own(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, LONG_CACHE),
            ],
            *body,
        )
            .into_response(),
        None => missing(),
    }
}

static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
    LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::new(["/v2/openapi.json"])));

/// Swagger UI's own files; its HTML page and initializer are ours (see `explorer`).
pub async fn swagger(Path(file): Path<String>) -> Response {
    let allowed = file.ends_with(".js") || file.ends_with(".css") || file.ends_with(".png");
    if !allowed || file == "swagger-initializer.js" {
        return missing();
    }
    match utoipa_swagger_ui::serve(&file, SWAGGER_CONFIG.clone()) {
        Ok(Some(found)) => {
            let mut response = (
                [(header::CACHE_CONTROL, LONG_CACHE)],
                found.bytes.into_owned(),
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&found.content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            if found.gzpipped {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        }
        _ => missing(),
    }
}

fn missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "no such portal asset",
    )
        .into_response()
}

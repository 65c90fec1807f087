//! RFC 9457 problem details for `/v2/*`: one error type, one rendering.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ApiScope;
use oneportal_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one field of the request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON Pointer (RFC 6901) to the field in the body, or the query parameter name.
    pub pointer: String,
    pub code: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(
        pointer: impl Into<String>,
        code: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        FieldError {
            pointer: pointer.into(),
            code: code.into(),
            detail: detail.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI reference naming the kind of problem; `/problems/{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The `X-Request-Id` of the request, for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every way a `/v2` request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{detail}")]
    Unprocessable {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// No credentials at all.
    #[error("this endpoint needs an access token in 'Authorization: Bearer <token>'")]
    MissingToken,
    #[error("{0}")]
    InvalidToken(String),
    #[error("this request needs the scope {}", .0.oauth_name())]
    InsufficientScope(ApiScope),
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    #[error("{detail}")]
    PayloadTooLarge { detail: String },
    /// The body did not arrive within `http.body_read_timeout_secs`.
    #[error("{detail}")]
    RequestTimeout { detail: String },
    #[error("{detail}")]
    MethodNotAllowed { code: &'static str, detail: String },
    #[error("too many requests; retry after {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the database is unavailable; retry shortly")]
    Unavailable,
    /// A system OnePortal reads from on the caller's behalf did not answer.
    #[error("{detail}")]
    BadGateway { code: &'static str, detail: String },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The fields a 400 or 422 points at; none for other errors.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => errors,
            _ => &[],
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
            errors: vec![],
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [only] => only.detail.clone(),
            _ => format!("{} fields need attention; see errors", errors.len()),
        };
        ApiError::Unprocessable {
            code: "validation_failed",
            detail,
            errors,
        }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::NotFound {
            code: "not_found",
            detail: what.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code, "Bad request"),
            ApiError::Unprocessable { code, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, code, "Validation failed")
            }
            ApiError::MissingToken => (
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "Authentication required",
            ),
            ApiError::InvalidToken(_) => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Invalid access token",
            ),
            ApiError::InsufficientScope(_) => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "Insufficient scope",
            ),
            ApiError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code, "Forbidden"),
            ApiError::NotFound { code, .. } => (StatusCode::NOT_FOUND, code, "Not found"),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code, "Conflict"),
            ApiError::UnsupportedMediaType { .. } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            ),
            ApiError::PayloadTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
            ),
            ApiError::RequestTimeout { .. } => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "Request timeout",
            ),
            ApiError::MethodNotAllowed { code, .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, code, "Method not allowed")
            }
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::BadGateway { code, .. } => (StatusCode::BAD_GATEWAY, code, "Bad gateway"),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        let request_id = super::request_id::current();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, request_id = request_id.as_deref().unwrap_or("-"), "internal error");
                "something went wrong on our side; quote the request id to support".to_owned()
            }
            other => other.to_string(),
        };
        let errors = match &self {
            ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => {
                errors.clone()
            }
            _ => vec![],
        };
        let problem = Problem {
            problem_type: format!("/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            request_id,
            errors,
        };
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            ApiError::MissingToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"oneportal\""),
                );
            }
            ApiError::InvalidToken(description) => {
                let value = format!(
                    "Bearer realm=\"oneportal\", error=\"invalid_token\", error_description=\"{}\"",
                    description.replace('"', "'")
                );
                if let Ok(v) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, v);
                }
            }
            ApiError::InsufficientScope(scope) => {
                let value = format!(
                    "Bearer realm=\"oneportal\", error=\"insufficient_scope\", scope=\"{}\"",
                    scope.oauth_name()
                );
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(&value).expect("scope names are ASCII"),
                );
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
            // The rest of the body may still be on its way: this connection cannot carry another request.
            ApiError::RequestTimeout { .. } => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::not_found("the record was not found"),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

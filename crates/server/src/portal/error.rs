//! How portal requests fail: as a page that says what to do next, never a stack trace.

use axum::http::{StatusCode, Uri};
use oneportal_store::StoreError;

use crate::http::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("log in first")]
    LoginRequired { next: String },
    /// A staff page without a staff session: to the staff login, never the customers'.
    #[error("log in as staff first")]
    StaffLoginRequired { next: String },
    #[error("{0}")]
    Csrf(&'static str),
    #[error("the form could not be read")]
    BadForm,
    #[error("page not found")]
    NotFound,
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("page rendering failed: {0}")]
    Render(#[from] askama::Error),
}

impl From<crate::services::metrics::source::ReadError> for PortalError {
    fn from(error: crate::services::metrics::source::ReadError) -> Self {
        PortalError::Api(error.into())
    }
}

/// Where to send someone after login: only paths inside the portal.
pub fn safe_next(next: &str) -> &str {
    safe_next_under("/portal/", next)
}

/// Where to send someone after login: only paths under `home` (`/portal/`, `/staff/`).
pub fn safe_next_under<'a>(home: &'static str, next: &'a str) -> &'a str {
    // Visible ASCII only: a control character would not fit in a Location header.
    let rest = next.strip_prefix(home).unwrap_or_default();
    let inside = next.starts_with(home)
        && next.bytes().all(|b| b.is_ascii_graphic())
        && !next.contains("..")
        && !next.contains('\\')
        && !rest.starts_with("login")
        && !rest.starts_with("logout");
    if inside { next } else { home }
}

impl PortalError {
    pub(super) fn describe(&self) -> (StatusCode, String, String, Vec<String>) {
        match self {
            PortalError::LoginRequired { .. } | PortalError::StaffLoginRequired { .. } => (
                StatusCode::UNAUTHORIZED,
                "Please log in".into(),
                "Log in to see this page.".into(),
                vec![],
            ),
            PortalError::Csrf(why) => (
                StatusCode::FORBIDDEN,
                "This form could not be accepted".into(),
                format!(
                    "For your protection the request was refused: {why}. Go back, reload the page and submit the form again."
                ),
                vec![],
            ),
            PortalError::BadForm => (
                StatusCode::BAD_REQUEST,
                "This form could not be read".into(),
                "Go back, reload the page and submit the form again.".into(),
                vec![],
            ),
            PortalError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found".into(),
                "There is no portal page at this address. Use the navigation to find what you need.".into(),
                vec![],
            ),
            PortalError::Api(error) => describe_api(error),
            PortalError::Store(StoreError::Unavailable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The portal is briefly unavailable".into(),
                "The database is not reachable right now. Wait a moment and reload the page.".into(),
                vec![],
            ),
            PortalError::Store(_) | PortalError::Render(_) => {
                tracing::error!(error = %self, "portal request failed");
                internal()
            }
        }
    }
}

fn internal() -> (StatusCode, String, String, Vec<String>) {
    let id = crate::http::request_id::current().unwrap_or_default();
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side".into(),
        format!(
            "Reload the page to try again. If it keeps failing, tell support the request id {id}."
        ),
        vec![],
    )
}

fn describe_api(error: &ApiError) -> (StatusCode, String, String, Vec<String>) {
    let message = error.to_string();
    match error {
        ApiError::Forbidden { .. } | ApiError::InsufficientScope(_) => (
            StatusCode::FORBIDDEN,
            "You do not have access to this".into(),
            message,
            vec![],
        ),
        ApiError::NotFound { .. } => (StatusCode::NOT_FOUND, "Not found".into(), message, vec![]),
        ApiError::Conflict { .. } => (
            StatusCode::CONFLICT,
            "This cannot be done now".into(),
            message,
            vec![],
        ),
        ApiError::BadRequest { errors, .. } | ApiError::Unprocessable { errors, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check the form".into(),
            message,
            errors.iter().map(|e| e.detail.clone()).collect(),
        ),
        ApiError::TooManyRequests { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests".into(),
            message,
            vec![],
        ),
        ApiError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The portal is briefly unavailable".into(),
            "Wait a moment and reload the page.".into(),
            vec![],
        ),
        ApiError::BadGateway { .. } => (
            StatusCode::BAD_GATEWAY,
            "This could not be read just now".into(),
            message,
            vec![],
        ),
        ApiError::Internal(cause) => {
            tracing::error!(%cause, "portal request failed");
            internal()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            "This request could not be completed".into(),
            message,
            vec![],
        ),
    }
}

pub async fn not_found(_uri: Uri) -> PortalError {
    PortalError::NotFound
}

/// The message of a refusal the person can fix (a form error), or the error to answer with.
pub(crate) fn fixable(error: ApiError) -> Result<(StatusCode, String), PortalError> {
    let status = match &error {
        ApiError::Unprocessable { .. } | ApiError::BadRequest { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ApiError::Conflict { .. } => StatusCode::CONFLICT,
        ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => return Err(error.into()),
    };
    let text = match &error {
        ApiError::Unprocessable { errors, .. } | ApiError::BadRequest { errors, .. }
            if !errors.is_empty() =>
        {
            errors
                .iter()
                .map(|e| e.detail.clone())
                .collect::<Vec<_>>()
                .join("; ")
        }
        other => other.to_string(),
    };
    Ok((status, capitalize(&text)))
}

pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_portal_paths_are_followed_after_login() {
        assert_eq!(
            safe_next("/portal/developer/clients"),
            "/portal/developer/clients"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/portal/../v2/me",
            "/portal/\\evil.example",
            "/portal/x\r\nSet-Cookie: a=b",
            "/portal/login",
            "",
        ] {
            assert_eq!(safe_next(bad), "/portal/", "{bad:?}");
        }
    }

    #[test]
    fn staff_are_sent_only_to_staff_pages_after_login() {
        use super::safe_next_under;
        assert_eq!(
            safe_next_under("/staff/", "/staff/cases?status=Pending"),
            "/staff/cases?status=Pending"
        );
        for bad in [
            "/portal/",
            "/staff/login",
            "/staff/logout",
            "/staff/../portal/",
            "//evil.example",
        ] {
            assert_eq!(safe_next_under("/staff/", bad), "/staff/", "{bad:?}");
        }
    }
}

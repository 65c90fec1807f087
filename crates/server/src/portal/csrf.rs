//! Cross-site request forgery: every state-changing portal request must come
//! from a page of this server (Origin, or Referer when Origin is absent) and
//! carry the session's token (a hidden form field, or `X-CSRF-Token` for scripts).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

use super::PortalError;
use super::form::FormFields;
use super::session::Session;
use crate::state::AppState;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

/// `scheme://host[:port]` of a URL, lower-cased.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() {
        return None;
    }
    Some(format!("{}://{}", scheme, host).to_ascii_lowercase())
}

/// Refuses a request whose Origin (or Referer) is not this server.
pub fn same_origin(state: &AppState, headers: &HeaderMap) -> Result<(), PortalError> {
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .and_then(origin_of)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let Some(claimed) = claimed else {
        return Err(PortalError::Csrf(
            "the browser did not say which page sent this form (no Origin or Referer header)",
        ));
    };
    let mut allowed = origin_of(&state.public_url).into_iter().collect::<Vec<_>>();
    // The address the browser used, in case it differs from the public URL (a local demo).
    if let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) {
        for scheme in ["http", "https"] {
            allowed.push(format!("{scheme}://{host}").to_ascii_lowercase());
        }
    }
    if allowed.contains(&claimed) {
        Ok(())
    } else {
        Err(PortalError::Csrf("the form was sent from another site"))
    }
}

/// Compares the token a request carries with the expected one in constant time.
pub fn token_matches(expected: &str, given: Option<&str>) -> bool {
    match given {
        Some(given) if !expected.is_empty() => {
            bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    }
}

/// A session that carries a CSRF token: a customer's or a staff member's.
pub trait CsrfBound {
    fn csrf_token(&self) -> &str;
}

impl CsrfBound for Session {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Both checks for a logged-in person's request.
pub fn verify(
    state: &AppState,
    headers: &HeaderMap,
    session: &impl CsrfBound,
    given: Option<&str>,
) -> Result<(), PortalError> {
    same_origin(state, headers)?;
    if token_matches(session.csrf_token(), given) {
        Ok(())
    } else {
        Err(PortalError::Csrf(
            "the form's security token is missing or out of date",
        ))
    }
}

/// A logged-in person's form whose Origin and CSRF token were checked: the
/// session (`S`) and the fields. Every state-changing form handler takes one.
pub struct CsrfForm<S>(pub S, pub FormFields);

impl<S> FromRequest<AppState> for CsrfForm<S>
where
    S: FromRequestParts<AppState, Rejection = PortalError> + CsrfBound + Send,
{
    type Rejection = PortalError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PortalError> {
        let (mut parts, body) = request.into_parts();
        let session = S::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| PortalError::BadForm)?;
        let fields = FormFields::parse(&body)?;
        verify(state, &headers, &session, fields.get(FIELD))?;
        Ok(CsrfForm(session, fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            origin_of("https://Portal.Example:8443/portal/x?y").as_deref(),
            Some("https://portal.example:8443")
        );
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(token_matches("abc", Some("abc")));
        assert!(!token_matches("abc", Some("abd")));
        assert!(!token_matches("abc", None));
        assert!(!token_matches("", Some("")));
    }
}

//! Reading `application/x-www-form-urlencoded` bodies the way RFC 6749 asks:
//! parameters sent twice are an error, not a silent choice.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

use super::error::OAuthError;

pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Form, OAuthError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the request body must be form-encoded: send 'Content-Type: application/x-www-form-urlencoded'",
            ));
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            OAuthError::invalid_request("the request body is not valid form encoding")
        })?;
        let mut params = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if params.contains_key(&name) {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter '{name}' is included more than once"
                )));
            }
            params.insert(name, value);
        }
        Ok(Form(params))
    }

    /// A parameter's value; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

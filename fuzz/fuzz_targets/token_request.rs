//! `POST /oauth2/token` before any database: the form body and the HTTP Basic
//! `Authorization` header, through the endpoint's own parsers.
//! Input: the header value, a newline, then the body.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use oneportal::oauth::client_auth;
use oneportal::oauth::form::Form;
use oneportal_domain::ScopeSet;

fuzz_target!(|data: &[u8]| {
    let (authorization, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (Some(&data[..at]), &data[at + 1..]),
        None => (None, data),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    if let Some(value) = authorization.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(header::AUTHORIZATION, value);
    }
    let Ok(form) = Form::parse(&headers, body) else {
        return;
    };
    let _ = form.get("grant_type");
    if let Some(scope) = form.get("scope") {
        let _ = ScopeSet::parse_oauth_string(scope);
    }
    let _ = client_auth::credentials(&headers, &form);
});

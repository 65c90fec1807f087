//! `POST /oauth2/token`: the Client Credentials grant (RFC 6749 §4.4).

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::{ApiScope, ScopeSet};
use serde::Serialize;

use super::client_auth;
use super::error::OAuthError;
use super::form::Form;
use crate::auth::tokens::{TokenRequest, TokenUse};
use crate::state::AppState;

/// RFC 6749 §5.1.
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u32,
    pub scope: String,
}

pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = Form::parse(&headers, &body)?;
    match form.get("grant_type") {
        None => {
            return Err(OAuthError::invalid_request(
                "grant_type is required; this server supports client_credentials",
            ));
        }
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::unsupported_grant_type(format!(
                "grant_type '{other}' is not supported; this server supports client_credentials"
            )));
        }
    }
    let creds = client_auth::credentials(&headers, &form)?;
    let client = client_auth::authenticate(&state, &creds, peer.ip()).await?;

    let scopes = match form.get("scope") {
        None => client.scopes,
        Some(requested) => {
            let requested = ScopeSet::parse_oauth_string(requested).map_err(|unknown| {
                let known: Vec<_> = ApiScope::ALL.iter().map(|s| s.oauth_name()).collect();
                OAuthError::invalid_scope(format!(
                    "unknown scope '{unknown}'; known scopes are: {}",
                    known.join(", ")
                ))
            })?;
            if let Some(missing) = requested.iter().find(|s| !client.scopes.contains(*s)) {
                return Err(OAuthError::invalid_scope(format!(
                    "this API client does not hold the scope '{}'; it holds: {}",
                    missing.oauth_name(),
                    client.scopes.to_oauth_string()
                )));
            }
            requested
        }
    };

    if let Some(quota) = &state.issuance_quota
        && let Err(wait) = quota.check(&client.client_id)
    {
        return Err(OAuthError::slow_down(
            "this API client requests tokens faster than its quota allows; reuse each token until it expires",
            wait,
        ));
    }

    let ttl = state.config.oauth.access_token_ttl_secs;
    let (access_token, _) = state.authority.issue(
        &state.keys.current(),
        TokenRequest {
            subject: &client.client_id,
            client_id: &client.client_id,
            org_id: client.org_id,
            scopes,
            token_use: TokenUse::Client,
            ttl_secs: ttl,
        },
    );
    state
        .last_used
        .insert(client.client_id.clone(), oneportal_store::now_ms());
    metrics::counter!("oneportal_tokens_issued_total").increment(1);

    let mut response = Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        scope: scopes.to_oauth_string(),
    })
    .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

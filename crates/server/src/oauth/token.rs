//! `POST /oauth2/token`: the Client Credentials grant (RFC 6749 §4.4).
//!
//! A client acts at most with its owner's current permissions: an omitted `scope`
//! gets the client's scopes the owner still backs (`SupportReadWrite` narrowed to
//! `SupportRead` while the owner can still read cases), a `scope` naming one the
//! owner no longer backs is `invalid_scope` naming the permission, and a client
//! with none left is `invalid_scope` as well. Tokens already issued lose the same
//! scopes at the API guard (see `crate::access`), as soon as the owner's change
//! reaches the node.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::{ApiScope, PermissionSet, ScopeSet, UserStatus};
use serde::Serialize;

use super::client_auth;
use super::error::OAuthError;
use super::form::Form;
use crate::access::{client_scopes_in_force, scope_needs};
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

    // A client acts at most with its owner's current permissions.
    let owner_permissions = state
        .directory
        .user(&state.db, client.owner_user_id)
        .await?
        .filter(|owner| owner.status == UserStatus::Active)
        .map(|owner| owner.permissions)
        .unwrap_or_default();
    let in_force = client_scopes_in_force(client.scopes, owner_permissions);
    let scopes = match form.get("scope") {
        None if in_force.is_empty() => {
            return Err(OAuthError::invalid_scope(format!(
                "this API client's owner no longer holds the permissions behind any of its scopes ({}); ask your organization's administrator to give the owner the permission back or to transfer the client",
                lost_permissions(client.scopes, owner_permissions)
            )));
        }
        None => in_force,
        Some(requested) => {
            let requested = ScopeSet::parse_oauth_string(requested).map_err(|unknown| {
                let known: Vec<_> = ApiScope::ALL.iter().map(|s| s.oauth_name()).collect();
                OAuthError::invalid_scope(format!(
                    "unknown scope '{unknown}'; known scopes are: {}",
                    known.join(", ")
                ))
            })?;
            // A downgraded SupportReadWrite client may ask for the SupportRead it has now.
            if let Some(missing) = requested
                .iter()
                .find(|s| !client.scopes.contains(*s) && !in_force.contains(*s))
            {
                return Err(OAuthError::invalid_scope(format!(
                    "this API client does not hold the scope '{}'; it holds: {}",
                    missing.oauth_name(),
                    client.scopes.to_oauth_string()
                )));
            }
            if let Some(lost) = requested.iter().find(|s| !in_force.contains(*s)) {
                return Err(OAuthError::invalid_scope(format!(
                    "the scope '{}' is suspended: {}, which this API client's owner no longer holds; a token can have: {}",
                    lost.oauth_name(),
                    scope_needs(lost),
                    if in_force.is_empty() {
                        "no scope".to_owned()
                    } else {
                        in_force.to_oauth_string()
                    }
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
    let (access_token, _) = state.authority.issue_for_client(
        &state.keys.current(),
        TokenRequest {
            subject: &client.client_id,
            client_id: &client.client_id,
            org_id: client.org_id,
            scopes,
            token_use: TokenUse::Client,
            ttl_secs: ttl,
        },
        client.token_generation,
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

/// "SupportReadWrite needs 'Support (Edit)'; BillingRead needs 'Billing (View)'" for
/// the client's scopes the owner's permissions no longer back.
fn lost_permissions(held: ScopeSet, owner_permissions: PermissionSet) -> String {
    held.iter()
        .filter(|s| !s.may_be_granted_by(owner_permissions))
        .map(scope_needs)
        .collect::<Vec<_>>()
        .join("; ")
}

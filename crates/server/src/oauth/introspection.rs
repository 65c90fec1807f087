//! `POST /oauth2/introspect` (RFC 7662) and `POST /oauth2/revoke` (RFC 7009).
//! A client sees and revokes only tokens of its own organization.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_store::revocations::{self, RevokedTokenRow};
use serde_json::json;

use super::client_auth;
use super::error::OAuthError;
use super::form::Form;
use crate::auth::tokens::AccessClaims;
use crate::cluster::Change;
use crate::state::AppState;

/// Authenticates the calling client and verifies the `token` parameter;
/// `None` when the token is not a live token of the caller's organization.
async fn token_of_callers_org(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<AccessClaims>, OAuthError> {
    let form = Form::parse(headers, body)?;
    let creds = client_auth::credentials(headers, &form)?;
    let client = client_auth::authenticate(state, &creds, peer.ip()).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("the token parameter is required"))?;
    let Ok(claims) = state.authority.verify(&state.keys.current(), token) else {
        return Ok(None);
    };
    if claims.org_id != IdKind::Organization.format(client.org_id)
        || state.revoked_tokens.contains_key(&claims.jti)
    {
        return Ok(None);
    }
    Ok(Some(claims))
}

pub async fn introspect(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let claims = token_of_callers_org(&state, peer, &headers, &body).await?;
    let active_client = match &claims {
        Some(c) if c.token_use == crate::auth::tokens::TokenUse::Client => state
            .directory
            .client(&state.db, &c.client_id)
            .await?
            .is_some_and(|entry| entry.status == oneportal_domain::ApiClientStatus::Active),
        Some(_) => true,
        None => false,
    };
    let body = match claims {
        Some(c) if active_client => json!({
            "active": true,
            "scope": c.scope,
            "client_id": c.client_id,
            "sub": c.sub,
            "token_type": "Bearer",
            "exp": c.exp,
            "iat": c.iat,
            "nbf": c.nbf,
            "iss": c.iss,
            "aud": c.aud,
            "jti": c.jti,
            "org_id": c.org_id,
        }),
        _ => json!({ "active": false }),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    if let Some(claims) = token_of_callers_org(&state, peer, &headers, &body).await? {
        let org_id = IdKind::Organization
            .parse(&claims.org_id)
            .unwrap_or_default();
        revocations::insert(
            &state.db,
            &RevokedTokenRow {
                jti: claims.jti.clone(),
                client_id: claims.client_id.clone(),
                org_id,
                expires_at: claims.exp * 1000,
            },
        )
        .await?;
        state
            .publish(Change::TokenRevoked {
                jti: claims.jti,
                exp: claims.exp,
            })
            .await;
    }
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    Ok(([(header::CACHE_CONTROL, "no-store")], "").into_response())
}

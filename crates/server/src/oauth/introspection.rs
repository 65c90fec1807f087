//! `POST /oauth2/introspect` (RFC 7662) and `POST /oauth2/revoke` (RFC 7009).
//! A client sees and revokes only its own tokens (see [`callers_own_token`]).

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use oneportal_domain::ScopeSet;
use oneportal_domain::ids::IdKind;
use oneportal_store::revocations::{self, RevokedTokenRow};
use serde_json::json;

use super::client_auth;
use super::error::OAuthError;
use super::form::Form;
use crate::access::{client_of_token, client_scopes_in_force};
use crate::auth::tokens::{AccessClaims, TokenUse};
use crate::cluster::Change;
use crate::state::AppState;

/// Authenticates the calling client and verifies the `token` parameter; `None`
/// when the token is not a live token issued to the calling client.
///
/// RFC 7009 §2.1 lets a client revoke only its own tokens, and RFC 7662 §4 lets
/// the server decide what a client may introspect: here both see only the
/// caller's own tokens. Another client's token, of the same organization or not,
/// and a user token are to the caller as an invalid token: `{"active": false}`,
/// and revocation answers 200 without revoking (RFC 7009 §2.2 answers invalid
/// tokens with 200, and an error would tell the caller that the token is live).
async fn callers_own_token(
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
    if claims.token_use != TokenUse::Client
        || claims.client_id != client.client_id
        || claims.org_id != IdKind::Organization.format(client.org_id)
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
    let claims = callers_own_token(&state, peer, &headers, &body).await?;
    // Live means what the API guard would accept now: the client active, not
    // transferred since, its owner active; the scope is what the owner still backs.
    let live = match claims {
        Some(claims) => {
            let org_id = IdKind::Organization
                .parse(&claims.org_id)
                .unwrap_or_default();
            match client_of_token(&state, &claims, org_id).await? {
                Ok((_, owner)) => {
                    let granted = ScopeSet::parse_oauth_string(&claims.scope).unwrap_or_default();
                    let scope =
                        client_scopes_in_force(granted, owner.permissions).to_oauth_string();
                    Some((claims, scope))
                }
                Err(_) => None,
            }
        }
        None => None,
    };
    let body = match live {
        Some((c, scope)) => json!({
            "active": true,
            "scope": scope,
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
        None => json!({ "active": false }),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    if let Some(claims) = callers_own_token(&state, peer, &headers, &body).await? {
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

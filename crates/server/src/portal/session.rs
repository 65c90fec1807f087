//! Portal sessions. The cookie carries 256 random bits; the database keeps only
//! their SHA-256, so a leaked table does not log anyone in. Sessions end when
//! idle for [`IDLE_MS`] or [`ABSOLUTE_MS`] after login, on every node alike.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use oneportal_domain::UserStatus;
use oneportal_store::{StoreError, now_ms, portal};
use sha2::{Digest, Sha256};

use super::PortalError;
use crate::auth::random;
use crate::directory::UserEntry;
use crate::state::AppState;

/// A session ends after this long without a request.
pub const IDLE_MS: i64 = 30 * 60 * 1000;
/// And at the latest this long after login.
pub const ABSOLUTE_MS: i64 = 12 * 60 * 60 * 1000;
/// `last_seen_at` is written at most this often, not on every request.
pub(crate) const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A logged-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub user: Arc<UserEntry>,
}

/// Whether cookies get `Secure`: when people reach this server over HTTPS.
pub fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

/// `__Host-` binds the cookie to this host and path `/`; browsers allow it only with `Secure`.
pub fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        "__Host-op_session"
    } else {
        "op_session"
    }
}

pub fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The value of the cookie `name` in the request, if present and of sane length.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty() && c.value().len() <= 128)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value for the portal: HttpOnly, SameSite=Lax, Secure over HTTPS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let cookie = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Starts a session for `user_id`; returns the cookie value to send.
pub async fn start(
    state: &AppState,
    user_id: i64,
    ip: Option<String>,
) -> Result<String, StoreError> {
    let value = random::alphanumeric(43);
    let now = now_ms();
    portal::insert_session(
        &state.db,
        portal::NewSession {
            token_hash: &hash(&value),
            user_id,
            csrf_token: &random::alphanumeric(32),
            now,
            expires_at: now + ABSOLUTE_MS,
            ip,
        },
    )
    .await?;
    Ok(value)
}

/// The session the request's cookie names, if it is still valid and its user active.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, StoreError> {
    let Some(value) = cookie_value(headers, cookie_name(state)) else {
        return Ok(None);
    };
    let token_hash = hash(&value);
    let Some(row) = portal::find_session(&state.db, &token_hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if row.expires_at <= now || row.last_seen_at + IDLE_MS <= now {
        portal::delete_session(&state.db, &token_hash).await?;
        return Ok(None);
    }
    let user = state
        .directory
        .user(&state.db, row.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active);
    let Some(user) = user else {
        // Removed or deactivated since login: access ends at once.
        portal::delete_session(&state.db, &token_hash).await?;
        return Ok(None);
    };
    if now - row.last_seen_at >= TOUCH_EVERY_MS {
        portal::touch_session(&state.db, &token_hash, now).await?;
    }
    Ok(Some(Session {
        token_hash,
        csrf_token: row.csrf_token,
        user,
    }))
}

pub async fn end(state: &AppState, session: &Session) -> Result<(), StoreError> {
    portal::delete_session(&state.db, &session.token_hash).await
}

/// Drops expired sessions (customers' and staff's) and unshown secrets; run by the periodic tasks.
pub async fn purge(state: &AppState) -> Result<(), StoreError> {
    let now = now_ms();
    portal::purge_expired(&state.db, now, now - IDLE_MS).await?;
    oneportal_store::staff::purge_expired(&state.db, now, now - IDLE_MS).await
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PortalError> {
        match current(state, &parts.headers).await? {
            Some(session) => Ok(session),
            None => Err(PortalError::LoginRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/portal/".into()),
            }),
        }
    }
}

//! Portal sessions. The cookie carries 256 random bits; the database keeps only
//! their SHA-256, so a leaked table does not log anyone in. Sessions end when
//! idle for [`IDLE_MS`] or [`ABSOLUTE_MS`] after login, on every node alike.
//!
//! Customers' users and provider staff log in the same way, but each kind
//! ([`SessionKind`]) has its own cookie and table, so a customer's session never
//! opens a staff page and a staff session never opens a customer's.

use std::future::Future;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};
use oneportal_domain::UserStatus;
use oneportal_store::sessions::{self, SessionTable};
use oneportal_store::{StoreError, now_ms, portal};

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

/// What sets one kind of session apart: its cookie, its table, its people and
/// where it sends someone who is not logged in. Implemented by [`Session`] and
/// by the staff's `StaffSession`.
pub trait SessionKind: Sized + Send {
    /// Who is logged in.
    type Person: Send;
    /// The cookie's name over plain HTTP; over HTTPS it gets the `__Host-` prefix.
    const COOKIE: &'static str;
    /// Where this kind's sessions are stored.
    const TABLE: SessionTable;
    /// The pages this kind may use start here; `next` after login stays below it.
    const HOME: &'static str;

    /// The person with this id, if they may still use the pages.
    fn active_person(
        state: &AppState,
        id: i64,
    ) -> impl Future<Output = Result<Option<Self::Person>, StoreError>> + Send;
    fn new(token_hash: String, csrf_token: String, person: Self::Person) -> Self;
    fn token_hash(&self) -> &str;
    /// The error that sends a request without a session to this kind's login page.
    fn login_required(next: String) -> PortalError;
}

/// A logged-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub csrf_token: String,
    pub user: Arc<UserEntry>,
}

impl SessionKind for Session {
    type Person = Arc<UserEntry>;
    const COOKIE: &'static str = "op_session";
    const TABLE: SessionTable = sessions::CUSTOMERS;
    const HOME: &'static str = "/portal/";

    async fn active_person(
        state: &AppState,
        id: i64,
    ) -> Result<Option<Arc<UserEntry>>, StoreError> {
        Ok(state
            .directory
            .user(&state.db, id)
            .await?
            .filter(|u| u.status == UserStatus::Active))
    }

    fn new(token_hash: String, csrf_token: String, user: Arc<UserEntry>) -> Self {
        Session {
            token_hash,
            csrf_token,
            user,
        }
    }

    fn token_hash(&self) -> &str {
        &self.token_hash
    }

    fn login_required(next: String) -> PortalError {
        PortalError::LoginRequired { next }
    }
}

/// Whether cookies get `Secure`: when people reach this server over HTTPS.
pub fn secure(state: &AppState) -> bool {
    state.public_url.starts_with("https://")
}

/// `__Host-` binds the cookie to this host and path `/`; browsers allow it only with `Secure`.
pub fn cookie_name<K: SessionKind>(state: &AppState) -> String {
    if secure(state) {
        format!("__Host-{}", K::COOKIE)
    } else {
        K::COOKIE.to_owned()
    }
}

pub fn hash(value: &str) -> String {
    crate::auth::digest::sha256_hex(value)
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

/// Starts a session of kind `K` for the person `person_id`; returns the cookie value to send.
pub async fn start<K: SessionKind>(
    state: &AppState,
    person_id: i64,
    ip: Option<String>,
) -> Result<String, StoreError> {
    let value = random::alphanumeric(43);
    let now = now_ms();
    sessions::insert(
        &state.db,
        &K::TABLE,
        sessions::NewSession {
            token_hash: &hash(&value),
            person_id,
            csrf_token: &random::alphanumeric(32),
            now,
            expires_at: now + ABSOLUTE_MS,
            ip,
        },
    )
    .await?;
    Ok(value)
}

/// The session of kind `K` the request's cookie names, if it is still valid and its person active.
pub async fn current<K: SessionKind>(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<K>, StoreError> {
    let Some(value) = cookie_value(headers, &cookie_name::<K>(state)) else {
        return Ok(None);
    };
    let token_hash = hash(&value);
    let Some(row) = sessions::find(&state.db, &K::TABLE, &token_hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if row.expires_at <= now || row.last_seen_at + IDLE_MS <= now {
        sessions::delete(&state.db, &K::TABLE, &token_hash).await?;
        return Ok(None);
    }
    let Some(person) = K::active_person(state, row.person_id).await? else {
        // Removed or deactivated since login: access ends at once.
        sessions::delete(&state.db, &K::TABLE, &token_hash).await?;
        return Ok(None);
    };
    if now - row.last_seen_at >= TOUCH_EVERY_MS {
        sessions::touch(&state.db, &K::TABLE, &token_hash, now).await?;
    }
    Ok(Some(K::new(token_hash, row.csrf_token, person)))
}

pub async fn end<K: SessionKind>(state: &AppState, session: &K) -> Result<(), StoreError> {
    sessions::delete(&state.db, &K::TABLE, session.token_hash()).await
}

/// Drops expired sessions (customers' and staff's) and unshown secrets; run by the periodic tasks.
pub async fn purge(state: &AppState) -> Result<(), StoreError> {
    let now = now_ms();
    sessions::purge_expired(&state.db, &sessions::CUSTOMERS, now, now - IDLE_MS).await?;
    portal::purge_expired_reveals(&state.db, now).await?;
    sessions::purge_expired(&state.db, &sessions::STAFF, now, now - IDLE_MS).await
}

/// The session a page handler takes; without one, to this kind's login page
/// with the way back (axum's orphan rule wants an `impl` per kind, each calling this).
pub async fn extract<K: SessionKind>(parts: &Parts, state: &AppState) -> Result<K, PortalError> {
    match current::<K>(state, &parts.headers).await? {
        Some(session) => Ok(session),
        None => Err(K::login_required(
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| K::HOME.into()),
        )),
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PortalError> {
        extract(parts, state).await
    }
}

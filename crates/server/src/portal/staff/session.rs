//! Staff sessions: the customer portal's scheme (256 random bits in an HttpOnly
//! cookie, only their SHA-256 stored, the same idle and absolute timeouts) under
//! their own cookie and table, so a customer's session never opens a staff page
//! and a staff session never opens a customer's.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use oneportal_store::portal::NewSession;
use oneportal_store::users::{self, StaffRow};
use oneportal_store::{StoreError, now_ms, staff};

use crate::auth::random;
use crate::portal::PortalError;
use crate::portal::csrf::CsrfBound;
use crate::portal::session::{ABSOLUTE_MS, IDLE_MS, TOUCH_EVERY_MS, cookie_value, hash, secure};
use crate::services::cases::CaseActor;
use crate::state::AppState;

/// A logged-in, active staff member.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub staff: StaffRow,
}

impl StaffSession {
    /// How this staff member appears on cases and in the audit log.
    pub fn case_actor(&self) -> CaseActor {
        crate::ops::auth::staff_case_actor(&self.staff)
    }
}

impl CsrfBound for StaffSession {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// `__Host-` over HTTPS, as the customers' cookie.
pub fn cookie_name(state: &AppState) -> &'static str {
    if secure(state) {
        "__Host-op_staff"
    } else {
        "op_staff"
    }
}

/// Starts a session for `staff_id`; returns the cookie value to send.
pub async fn start(
    state: &AppState,
    staff_id: i64,
    ip: Option<String>,
) -> Result<String, StoreError> {
    let value = random::alphanumeric(43);
    let now = now_ms();
    staff::insert_session(
        &state.db,
        NewSession {
            token_hash: &hash(&value),
            user_id: staff_id,
            csrf_token: &random::alphanumeric(32),
            now,
            expires_at: now + ABSOLUTE_MS,
            ip,
        },
    )
    .await?;
    Ok(value)
}

/// The staff session the request's staff cookie names, if valid and its staff member active.
pub async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<StaffSession>, StoreError> {
    let Some(value) = cookie_value(headers, cookie_name(state)) else {
        return Ok(None);
    };
    let token_hash = hash(&value);
    let Some(row) = staff::find_session(&state.db, &token_hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if row.expires_at <= now || row.last_seen_at + IDLE_MS <= now {
        staff::delete_session(&state.db, &token_hash).await?;
        return Ok(None);
    }
    let member = users::find_staff(&state.db, row.staff_id)
        .await?
        .filter(|s| s.status == "Active");
    let Some(member) = member else {
        staff::delete_session(&state.db, &token_hash).await?;
        return Ok(None);
    };
    if now - row.last_seen_at >= TOUCH_EVERY_MS {
        staff::touch_session(&state.db, &token_hash, now).await?;
    }
    Ok(Some(StaffSession {
        token_hash,
        csrf_token: row.csrf_token,
        staff: member,
    }))
}

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PortalError> {
        match current(state, &parts.headers).await? {
            Some(session) => Ok(session),
            None => Err(PortalError::StaffLoginRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/staff/".into()),
            }),
        }
    }
}

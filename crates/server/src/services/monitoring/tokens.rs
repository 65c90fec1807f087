//! Integration tokens: the credentials of the provider's own systems
//! (Alertmanager, a PagerDuty-style sender), issued by staff and shown once.
//! Only a hash is kept; a presented token is found by its hash.

use oneportal_store::monitoring::{self, IntegrationTokenRow};
use oneportal_store::users::StaffRow;
use oneportal_store::{StoreError, now_ms};
use serde_json::json;

use crate::audit::{Actor, Event};
use crate::auth::digest::sha256_hex;
use crate::auth::random;
use crate::http::{ApiError, FieldError};
use crate::state::AppState;

/// Every integration token starts so, which lets secret scanners find leaked ones.
pub const PREFIX: &str = "opi_";
const RANDOM_CHARS: usize = 40;
const NAME_MAX: usize = 100;

/// A token just issued: the only time its secret is seen.
pub struct Issued {
    pub id: i64,
    pub token: String,
}

/// A token's name: 1–100 characters on one line.
pub fn check_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "/name",
            "invalid_name",
            format!(
                "name the token after what uses it (e.g. 'Alertmanager eu-west'): 1 to {NAME_MAX} characters on one line"
            ),
        ));
    }
    Ok(name.to_owned())
}

pub async fn issue(state: &AppState, staff: &StaffRow, name: &str) -> Result<Issued, ApiError> {
    let name = check_name(name).map_err(|e| ApiError::validation(vec![e]))?;
    let token = format!("{PREFIX}{}", random::alphanumeric(RANDOM_CHARS));
    let hint = format!("{}…", &token[..PREFIX.len() + 4]);
    let tx = state.db.begin().await?;
    let id = monitoring::insert_token(&tx, &name, &sha256_hex(&token), &hint, staff.id, now_ms())
        .await?;
    let audit = Event::new(Actor::Staff { id: staff.id }, "integration_token.issued")
        .target("integration_token", id.to_string())
        .details(json!({ "name": name }));
    crate::audit::record(&tx, audit).await?;
    tx.commit().await?;
    Ok(Issued { id, token })
}

/// Revokes a token at once; answers whether a live one was revoked.
pub async fn revoke(state: &AppState, staff: &StaffRow, id: i64) -> Result<bool, StoreError> {
    let tx = state.db.begin().await?;
    if !monitoring::revoke_token(&tx, id, now_ms()).await? {
        return Ok(false);
    }
    let audit = Event::new(Actor::Staff { id: staff.id }, "integration_token.revoked")
        .target("integration_token", id.to_string());
    crate::audit::record(&tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

/// The live token behind `presented`, if any. "Last used" is written at most
/// once a minute, so a storm of alerts costs no extra writes.
pub async fn authenticate(
    state: &AppState,
    presented: &str,
) -> Result<Option<IntegrationTokenRow>, StoreError> {
    let well_formed = presented.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    if !well_formed {
        return Ok(None);
    }
    let Some(row) = monitoring::find_live_token(&state.db, &sha256_hex(presented)).await? else {
        return Ok(None);
    };
    let now = now_ms();
    if row.last_used_at.is_none_or(|at| now - at >= 60_000) {
        // In a transaction, to wait for SQLite's write lock in turn (see `intake::accept`).
        let tx = state.db.begin().await?;
        monitoring::mark_token_used(&tx, row.id, now).await?;
        tx.commit().await?;
    }
    Ok(Some(row))
}

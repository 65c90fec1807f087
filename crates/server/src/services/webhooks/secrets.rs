//! Webhook signing secrets at rest: sealed with the master key, since each
//! delivery must be signed with them (a hash would not do).

use oneportal_store::webhooks::EndpointRow;

use crate::state::AppState;

/// The master-key purpose signing secrets are sealed under.
const PURPOSE: &str = "oneportal/webhook-secret";

pub fn seal(state: &AppState, secret: &str) -> Vec<u8> {
    state.master_key.seal_for(PURPOSE, secret.as_bytes())
}

/// The secrets that sign a delivery now: the current one, and a rotated-out one in its grace period.
pub fn signing_secrets(state: &AppState, endpoint: &EndpointRow, now: i64) -> Vec<String> {
    let open = |sealed: &[u8]| {
        state
            .master_key
            .open_for(PURPOSE, sealed)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    let mut secrets: Vec<String> = open(&endpoint.secret_sealed).into_iter().collect();
    if let (Some(previous), Some(until)) = (
        &endpoint.previous_secret_sealed,
        endpoint.previous_secret_expires_at,
    ) && until > now
    {
        secrets.extend(open(previous));
    }
    secrets
}

//! Failed logins, counted in the database so the limits hold across nodes:
//! per email address (lockout) and per source address (against guessing many
//! accounts). Unknown addresses are counted like known ones, so a lockout
//! tells nothing about which accounts exist.

use std::time::Duration;

use oneportal_store::{StoreError, now_ms, portal};

use crate::state::AppState;

/// Failures within [`WINDOW_MS`] that lock an email address.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failures within [`WINDOW_MS`] that lock a source address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 50;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

fn subjects(email: &str, ip: Option<&str>) -> Vec<(String, i64)> {
    let mut list = vec![(
        format!("email:{}", email.trim().to_lowercase()),
        MAX_FAILURES_PER_EMAIL,
    )];
    if let Some(ip) = ip {
        list.push((format!("ip:{ip}"), MAX_FAILURES_PER_ADDRESS));
    }
    list
}

/// Until when (Unix ms) login is refused for this email or address, if it is.
pub async fn locked_until(
    state: &AppState,
    email: &str,
    ip: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let now = now_ms();
    let mut until = None;
    for (subject, _) in subjects(email, ip) {
        if let Some(row) = portal::login_failures(&state.db, &subject).await?
            && let Some(locked) = row.locked_until.filter(|t| *t > now)
        {
            until = until.max(Some(locked));
        }
    }
    Ok(until)
}

/// Counts a failure; returns the lock's end when this failure locked the email or address.
pub async fn record_failure(
    state: &AppState,
    email: &str,
    ip: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let now = now_ms();
    let mut locked = None;
    let mut email_failures = 0;
    for (subject, limit) in subjects(email, ip) {
        let failures = portal::add_login_failure(&state.db, &subject, now, now - WINDOW_MS).await?;
        if subject.starts_with("email:") {
            email_failures = failures;
        }
        if failures >= limit {
            portal::lock_login(&state.db, &subject, now + LOCK_MS).await?;
            locked = Some(now + LOCK_MS);
        }
    }
    // Throttling before the lockout: each further failure answers a little later.
    if locked.is_none() && email_failures >= 3 {
        tokio::time::sleep(Duration::from_millis(250 * (email_failures as u64 - 2))).await;
    }
    Ok(locked)
}

pub async fn clear(state: &AppState, email: &str) -> Result<(), StoreError> {
    portal::clear_login_failures(&state.db, &format!("email:{}", email.trim().to_lowercase())).await
}

/// "14:05 UTC (in 12 minutes)" for a lock's end.
pub fn describe_until(until_ms: i64) -> String {
    let minutes = ((until_ms - now_ms()).max(0) + 59_999) / 60_000;
    let clock = time::OffsetDateTime::from_unix_timestamp(until_ms / 1000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[hour]:[minute] UTC"))
                .ok()
        })
        .unwrap_or_default();
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("{clock} (in {minutes} {unit})")
}

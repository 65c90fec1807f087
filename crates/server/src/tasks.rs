//! Background work: batching `lastUsedDate` writes, turning failure counts into
//! audit entries, forgetting expired state, and scheduled key rotation.

use std::time::Duration;

use oneportal_store::{api_clients, now_ms, revocations};
use serde_json::json;
use tokio::sync::watch;

use crate::audit::{self, Actor, Event};
use crate::auth::key_ring;
use crate::cluster::Change;
use crate::state::AppState;

pub fn spawn(state: AppState, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
            ticks += 1;
            flush(&state).await;
            if ticks.is_multiple_of(6) {
                forget_expired(&state).await;
                roll_up_metrics(&state).await;
            }
            if ticks.is_multiple_of(360) {
                rotate_if_due(&state).await;
                forget_old_metrics(&state).await;
            }
        }
    });
}

/// Writes what is pending in memory; also run at shutdown.
pub async fn flush(state: &AppState) {
    let used: Vec<(String, i64)> = state
        .last_used
        .iter()
        .map(|e| (e.key().clone(), *e.value()))
        .collect();
    for (client_id, at) in used {
        state.last_used.remove_if(&client_id, |_, v| *v == at);
        if let Err(error) = api_clients::record_last_used(&state.db, &client_id, at).await {
            tracing::warn!(%error, "could not record lastUsedDate");
        }
    }
    for ((client_id, ip, reason), count) in state.failure_log.drain() {
        let org_id = state
            .directory
            .client(&state.db, &client_id)
            .await
            .ok()
            .flatten()
            .map(|c| c.org_id);
        let event = Event::new(Actor::System, "oauth.client_authentication_failed")
            .org(org_id)
            .target("api_client", client_id)
            .details(json!({ "reason": reason, "count": count }))
            .ip(Some(ip));
        if let Err(error) = audit::record(&state.db, event).await {
            tracing::warn!(%error, "could not record authentication failures");
        }
    }
}

async fn forget_expired(state: &AppState) {
    state.throttle.sweep();
    if let Some(limits) = &state.rate_limits {
        limits.forget_idle();
    }
    if let Some(quota) = &state.issuance_quota {
        quota.forget_idle();
    }
    let _ = oneportal_store::idempotency::purge(
        &state.db,
        now_ms() - crate::http::idempotency::KEPT_FOR_MS,
    )
    .await;
    let now_secs = now_ms() / 1000;
    state.revoked_tokens.retain(|_, exp| *exp > now_secs);
    let _ = revocations::purge_expired(&state.db, now_ms()).await;
    let _ = crate::portal::session::purge(state).await;
    crate::services::mail::deliver_due(state).await;
    crate::services::mail::purge_old(state).await;
    let events_before = now_ms() - crate::services::events::KEPT_FOR_MS;
    let _ = oneportal_store::events::purge_before(&state.db, events_before).await;
    let _ = oneportal_store::notifications::purge_before(&state.db, events_before).await;
    // Acted-on alert notifications are kept as long as events, for staff to look back.
    let _ = oneportal_store::monitoring::prune_inbox(&state.db, events_before).await;
    // Picks up a rotation made from the command line on a node without a change feed (SQLite).
    if let Err(error) = state.keys.reload().await {
        tracing::warn!(%error, "could not reload signing keys");
    }
    match crate::services::cases::auto_close(state).await {
        Ok(0) => {}
        Ok(closed) => tracing::info!(closed, "closed resolved cases automatically"),
        Err(error) => tracing::warn!(%error, "could not close resolved cases"),
    }
    match crate::services::quotes::expire_due(state).await {
        Ok(0) => {}
        Ok(expired) => tracing::info!(expired, "expired quotes past their validity"),
        Err(error) => tracing::warn!(%error, "could not expire quotes"),
    }
}

async fn roll_up_metrics(state: &AppState) {
    if !crate::services::metrics::source::MeasurementSource::of(state).stores() {
        return;
    }
    if let Err(error) = crate::services::metrics::rollup::run(state).await {
        tracing::warn!(%error, "could not roll up metrics");
    }
}

async fn forget_old_metrics(state: &AppState) {
    if !crate::services::metrics::source::MeasurementSource::of(state).stores() {
        return;
    }
    if let Err(error) = crate::services::metrics::rollup::purge(state).await {
        tracing::warn!(%error, "could not forget old metrics");
    }
}

async fn rotate_if_due(state: &AppState) {
    let period = state.config.oauth.key_rotation_days;
    match key_ring::rotation_due(&state.db, period).await {
        Ok(true) => {
            let lifetime = state
                .config
                .oauth
                .access_token_ttl_secs
                .max(state.config.oauth.user_token_ttl_secs);
            match key_ring::rotate(
                &state.db,
                &state.master_key,
                state.config.oauth.signing_alg,
                lifetime,
            )
            .await
            {
                Ok(rotation) => {
                    let _ = audit::record(
                        &state.db,
                        Event::new(Actor::System, "signing_key.rotated")
                            .target("signing_key", rotation.now_signing.clone())
                            .details(json!({ "next": rotation.next, "scheduled": true })),
                    )
                    .await;
                    state.publish(Change::Keys).await;
                }
                Err(error) => tracing::error!(%error, "scheduled key rotation failed"),
            }
        }
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "could not check whether key rotation is due"),
    }
}

//! Delivering events to webhook endpoints, at least once, signed per Standard
//! Webhooks.
//!
//! Every node runs [`spawn`]'s loop: it copies each enabled endpoint's new
//! events into deliveries (the fan-out), then leases due deliveries and
//! attempts them. A failed attempt is retried after 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h and 10 h (with up to 10 % jitter; about 28 hours in all), always
//! with the same `webhook-id` and a fresh timestamp and signature. While an
//! endpoint cannot be reached (no answer, a 5xx or a 429), its other deliveries
//! wait behind the failed one, which probes it on that schedule. Concurrency
//! is bounded on the node and per endpoint, and an endpoint whose last attempt
//! failed gets one attempt at a time (see [`super::slots`]), so a slow or dead
//! endpoint cannot hold back the others: a due delivery whose endpoint is busy
//! waits for a later round.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_store::events::{self, EventRow};
use oneportal_store::webhooks::{self, DeliveryRow, EndpointRow, NewAttempt, NewDelivery};
use oneportal_store::{StoreError, Tx, now_ms};
use rand::Rng;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, watch};

use super::slots::{EndpointSlots, Slot};

use crate::auth::webhook_signature;
use crate::http::outbound::OutboundPolicy;
use crate::http::time::rfc3339;
use crate::models::event::Event;
use crate::state::AppState;

/// Seconds before the next attempt, after each failed one; past the last, the delivery fails.
pub const RETRY_DELAYS_SECS: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// An endpoint failing for this long without a success is disabled.
pub const DISABLE_AFTER_MS: i64 = 5 * 86_400_000;
/// A leased delivery is this node's for this long: twice what an attempt may take, so a
/// delivery cut off by a node's death is taken over by another within half a minute.
const LEASE_MS: i64 = 30_000;
/// At most this much of an answer is read, and this much of it kept in the log.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
const EXCERPT_BYTES: usize = 1024;
/// Events copied into deliveries per endpoint and round.
const FAN_OUT_BATCH: i64 = 500;

/// Where this installation may deliver.
pub fn policy(state: &AppState) -> OutboundPolicy {
    OutboundPolicy {
        allow_http: state.config.webhooks.allow_http || state.config.demo,
        allowed: state.config.webhooks.networks(),
    }
}

/// The node's delivery machinery: one HTTP client and the concurrency limits.
struct Deliverer {
    client: reqwest::Client,
    total: Arc<Semaphore>,
    per_endpoint: Arc<EndpointSlots>,
    /// An attempt ended: when the last round leased all it could, more may be due.
    freed: Arc<Notify>,
    /// Attempts made, for [`settle_batches`] to record.
    ended: mpsc::Sender<Settlement>,
}

/// Runs the fan-out and the deliveries until shutdown.
pub fn spawn(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let config = &state.config.webhooks;
    let (ended, to_settle) = mpsc::channel(4096);
    tokio::spawn(settle_batches(state.clone(), to_settle));
    let deliverer = Arc::new(Deliverer {
        client: policy(&state).client(),
        total: Arc::new(Semaphore::new(config.max_concurrent_deliveries as usize)),
        per_endpoint: EndpointSlots::new(config.max_concurrent_per_endpoint as usize),
        freed: Arc::new(Notify::new()),
        ended,
    });
    tokio::spawn(watch_queues(state.clone(), shutdown.clone()));
    tokio::spawn(async move {
        loop {
            let woken = state.event_wakeups.any();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Err(error) = fan_out(&state).await {
                tracing::warn!(%error, "webhook fan-out failed; retrying");
            }
            let saturated = match start_due(&state, &deliverer).await {
                Ok(saturated) => saturated,
                Err(error) => {
                    tracing::warn!(%error, "could not lease webhook deliveries; retrying");
                    false
                }
            };
            tokio::select! {
                () = &mut woken => {}
                () = deliverer.freed.notified(), if saturated => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    });
}

/// Every 10 s, measures the queues and refreshes the planner's statistics of
/// the queue, beside the delivery loop: on PostgreSQL `ANALYZE` of a large
/// queue takes a few hundred milliseconds, and run inside the loop it held
/// every delivery due meanwhile (`bench events`: the healthy p99 while 10
/// endpoints time out went to 607 ms). Not less often: a queue that grows
/// from empty under statistics of an empty table is leased with a plan that
/// sorts it all (refreshed once a minute, the first minute's p99 was 9.7 s).
async fn watch_queues(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        if let Err(error) = gauge_queues(&state).await {
            tracing::warn!(%error, "could not measure the webhook queues");
        }
        if let Err(error) = webhooks::refresh_queue_statistics(&state.db).await {
            tracing::warn!(%error, "could not refresh the webhook queue's statistics");
        }
    }
}

/// `oneportal_webhook_queue_depth` and `oneportal_webhook_oldest_pending_seconds` per endpoint.
async fn gauge_queues(state: &AppState) -> Result<(), StoreError> {
    let now = now_ms();
    for (endpoint, waiting, oldest) in webhooks::pending_by_endpoint(&state.db).await? {
        let label = IdKind::WebhookEndpoint.format(endpoint);
        metrics::gauge!("oneportal_webhook_queue_depth", "endpoint" => label.clone())
            .set(waiting as f64);
        metrics::gauge!("oneportal_webhook_oldest_pending_seconds", "endpoint" => label)
            .set(((now - oldest).max(0) / 1000) as f64);
    }
    Ok(())
}

/// Counts a delivery's end or an attempt's outcome for `/metrics`.
fn count(outcome: &'static str) {
    metrics::counter!("oneportal_webhook_deliveries_total", "outcome" => outcome).increment(1);
}

/// Copies each enabled endpoint's new events into deliveries, every endpoint
/// in one transaction. Moving each endpoint's cursor in the same transaction
/// means a node that stops half-way loses nothing, and two nodes never copy the
/// same events twice.
pub async fn fan_out(state: &AppState) -> Result<(), StoreError> {
    let behind = webhooks::endpoints_behind(&state.db).await?;
    if behind.is_empty() {
        return Ok(());
    }
    let mut copies = Vec::with_capacity(behind.len());
    for endpoint in behind {
        let new = events::between(
            &state.db,
            endpoint.org_id,
            (endpoint.last_sequence, endpoint.latest),
            &subscribed_types(&endpoint.event_types),
            FAN_OUT_BATCH,
        )
        .await?;
        // Everything up to `latest` has committed (sequences commit in order), so
        // the cursor passes events of other types too, unless the batch was full.
        let to = match new.last() {
            Some(last) if new.len() as i64 == FAN_OUT_BATCH => last.sequence,
            _ => endpoint.latest,
        };
        copies.push((endpoint, new, to));
    }
    let tx = state.db.begin().await?;
    let at = now_ms();
    for (endpoint, new, to) in &copies {
        if !webhooks::advance_cursor(&tx, endpoint.id, endpoint.last_sequence, *to).await? {
            continue; // another node copied them
        }
        // While the endpoint cannot be reached, new deliveries wait behind the one probing it.
        let due = if endpoint.failing {
            let held = webhooks::held_until(&tx, endpoint.id).await?;
            held.map_or(at, |held| held.max(at))
        } else {
            at
        };
        for event in new {
            queue_event(&tx, endpoint.id, event, at, due).await?;
        }
    }
    tx.commit().await
}

/// A delivery of the event to the endpoint, made at `at`, first tried at `due`.
pub async fn queue_event(
    tx: &oneportal_store::Tx,
    endpoint_id: i64,
    event: &EventRow,
    at: i64,
    due: i64,
) -> Result<i64, StoreError> {
    webhooks::insert_delivery(
        tx,
        NewDelivery {
            endpoint_id,
            event_row_id: Some(event.id),
            message_id: &event.event_id,
            event_type: event.event_type.name(),
            body: None,
            leased_until: None,
            at,
            due_at: due,
        },
    )
    .await
}

/// Logs an attempt's outcome under its delivery.
async fn record_attempt(
    db: &impl oneportal_store::Exec,
    delivery_id: i64,
    at: i64,
    outcome: &Outcome,
) -> Result<(), StoreError> {
    webhooks::insert_attempt(
        db,
        NewAttempt {
            delivery_id,
            attempted_at: at,
            status_code: outcome.status_code.map(i64::from),
            latency_ms: outcome.latency_ms,
            response_excerpt: &outcome.excerpt,
            error: outcome.error.as_deref(),
        },
    )
    .await
}

/// The event types the endpoint receives.
pub fn subscribed(endpoint: &EndpointRow) -> Vec<EventType> {
    subscribed_types(&endpoint.event_types)
}

/// The event types of a stored subscription (`*` or comma-separated names).
fn subscribed_types(stored: &str) -> Vec<EventType> {
    if stored == "*" {
        return EventType::ALL.to_vec();
    }
    stored.split(',').filter_map(EventType::parse).collect()
}

/// Leases what is due (as many as may run now) and starts each on its own task;
/// answers whether it leased all it could (then more may be waiting).
async fn start_due(state: &AppState, deliverer: &Arc<Deliverer>) -> Result<bool, StoreError> {
    let free = deliverer.total.available_permits();
    if free == 0 {
        return Ok(true);
    }
    let busy = deliverer.per_endpoint.full();
    let now = now_ms();
    let due = webhooks::lease_due(
        &state.db,
        state.db.backend(),
        webhooks::LeaseRequest {
            now,
            lease_until: now + LEASE_MS,
            limit: free as i64,
            busy_endpoints: &busy,
        },
    )
    .await?;
    let saturated = due.len() == free;
    let mut untried = Vec::new();
    let mut claimed = Vec::new();
    for delivery in due {
        let (Some(slot), Ok(total)) = (
            deliverer.per_endpoint.try_take(delivery.endpoint_id),
            deliverer.total.clone().try_acquire_owned(),
        ) else {
            // More of this endpoint's deliveries were due than it may take now.
            untried.push(delivery.id);
            continue;
        };
        let claim = Claim {
            slots: Some((slot, total)),
            freed: deliverer.freed.clone(),
        };
        claimed.push((delivery, claim));
    }
    // Given back before any attempt starts: a failed attempt holds its endpoint's
    // other deliveries behind it, but not those still leased, so one given back
    // after a quick failure was recorded would stay due and be tried at once.
    webhooks::release_leases(&state.db, &untried).await?;
    for (delivery, claim) in claimed {
        let (state, deliverer) = (state.clone(), deliverer.clone());
        tokio::spawn(async move {
            let endpoint = delivery.endpoint_id;
            match attempt(&state, &deliverer.client, delivery).await {
                Ok(Some(mut settlement)) => {
                    deliverer
                        .per_endpoint
                        .record(endpoint, settlement.outcome.succeeded());
                    settlement.claim = Some(claim);
                    // Closed only while the node stops: the lease runs out and another tries.
                    let _ = deliverer.ended.send(settlement).await;
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "a webhook delivery could not be made; it will be tried again");
                }
            }
        });
    }
    Ok(saturated)
}

/// What an attempt came to.
pub struct Outcome {
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub excerpt: String,
    pub error: Option<String>,
    /// `Retry-After` in seconds, on a 429 or 503.
    pub retry_after: Option<i64>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }

    /// The endpoint itself is down, overloaded or asking us to slow down (no
    /// answer, a 5xx, a 429), rather than refusing this one event (another 4xx).
    fn endpoint_unavailable(&self) -> bool {
        match self.status_code {
            None => true,
            Some(status) => status == 429 || status >= 500,
        }
    }
}

/// One attempt at a leased delivery; answers what to record, if it was made.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    delivery: DeliveryRow,
) -> Result<Option<Settlement>, StoreError> {
    let now = now_ms();
    let Some(endpoint) = webhooks::endpoint_by_id(&state.db, delivery.endpoint_id).await? else {
        return Ok(None); // deleted meanwhile; its deliveries went with it
    };
    let attempts = delivery.attempts + 1;
    if !endpoint.is_enabled() {
        webhooks::finish_delivery(&state.db, delivery.id, "Failed", delivery.attempts, now).await?;
        return Ok(None);
    }
    let body = match delivery.event_row_id {
        None => delivery.body.clone().unwrap_or_default(),
        Some(row_id) => match events::by_id(&state.db, row_id).await? {
            Some(event) if owner_may_read(state, &endpoint, &event).await? => {
                serde_json::to_string(&Event::from_row(event)).expect("an event serializes")
            }
            // Gone past retention, or the owner may no longer read its record.
            _ => {
                webhooks::finish_delivery(
                    &state.db,
                    delivery.id,
                    "Withheld",
                    delivery.attempts,
                    now,
                )
                .await?;
                return Ok(None);
            }
        },
    };
    let outcome = send(state, client, &endpoint, &delivery.message_id, &body).await;
    metrics::histogram!("oneportal_webhook_attempt_seconds")
        .record(outcome.latency_ms as f64 / 1000.0);
    Ok(Some(Settlement {
        endpoint,
        delivery,
        attempts,
        attempted_at: now,
        outcome,
        claim: None,
    }))
}

/// Whether the endpoint's owner may read the event's record now.
async fn owner_may_read(
    state: &AppState,
    endpoint: &EndpointRow,
    event: &EventRow,
) -> Result<bool, StoreError> {
    match state
        .directory
        .user(&state.db, endpoint.owner_user_id)
        .await?
    {
        Some(owner) => crate::services::events::person_may_read(state, &owner, event).await,
        None => Ok(false),
    }
}

/// POSTs the signed body; never fails, the outcome says what happened.
pub async fn send(
    state: &AppState,
    client: &reqwest::Client,
    endpoint: &EndpointRow,
    message_id: &str,
    body: &str,
) -> Outcome {
    let started = Instant::now();
    let elapsed = |started: Instant| started.elapsed().as_millis() as i64;
    let failed = |error: String, started: Instant| Outcome {
        status_code: None,
        latency_ms: elapsed(started),
        excerpt: String::new(),
        error: Some(error),
        retry_after: None,
    };
    let url = match policy(state).check_url(&endpoint.url) {
        Ok(url) => url,
        Err(why) => return failed(why, started),
    };
    let now = now_ms();
    let secrets = super::secrets::signing_secrets(state, endpoint, now);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let timestamp = now / 1000;
    let signature = webhook_signature::header(&secrets, message_id, timestamp, body.as_bytes());
    let request = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_owned());
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return failed(describe(&error), started),
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|_| status == 429 || status == 503);
    let mut read = Vec::new();
    while read.len() < MAX_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            _ => break,
        }
    }
    read.truncate(EXCERPT_BYTES);
    Outcome {
        status_code: Some(status),
        latency_ms: elapsed(started),
        excerpt: String::from_utf8_lossy(&read).into_owned(),
        error: None,
        retry_after,
    }
}

/// Why a request got no answer, in words (a refused address says which).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    if error.is_timeout() {
        format!(
            "no answer within {} seconds ({text})",
            crate::http::outbound::TOTAL_TIMEOUT.as_secs()
        )
    } else {
        text
    }
}

/// An attempt made, to be recorded with what follows from it.
struct Settlement {
    endpoint: EndpointRow,
    delivery: DeliveryRow,
    attempts: i64,
    attempted_at: i64,
    outcome: Outcome,
    /// Given back once the attempt is recorded.
    claim: Option<Claim>,
}

/// An attempt's share of the node's slots and of its endpoint's. It is given
/// back once the attempt is recorded, not when the answer arrives: the next
/// attempt to that endpoint then sees what this one changed (an endpoint that
/// could not be reached has its other deliveries held behind this one).
struct Claim {
    slots: Option<(Slot, OwnedSemaphorePermit)>,
    freed: Arc<Notify>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        drop(self.slots.take());
        self.freed.notify_one();
    }
}

/// What an attempt changes about its endpoint, after it is recorded.
enum Health {
    Unchanged,
    Healthy,
    Gone,
    Failing,
}

/// Records attempts as they end, many in one transaction: one write per attempt
/// would queue every attempt behind the others for SQLite's single writer. An
/// attempt not yet recorded when the node dies is made again once its lease
/// ends, with the same `webhook-id`.
async fn settle_batches(state: AppState, mut ended: mpsc::Receiver<Settlement>) {
    let mut batch = Vec::new();
    while ended.recv_many(&mut batch, 256).await > 0 {
        let health = match record_all(&state, &batch).await {
            Ok(health) => health,
            // One attempt that cannot be recorded must not cost the others theirs.
            Err(_) => {
                let mut health = Vec::with_capacity(batch.len());
                for settlement in batch.chunks(1) {
                    match record_all(&state, settlement).await {
                        Ok(mut one) => health.append(&mut one),
                        Err(error) => {
                            tracing::warn!(%error, delivery = settlement[0].delivery.id, "could not record a webhook attempt; its delivery is tried again when its lease ends");
                            health.push(Health::Unchanged);
                        }
                    }
                }
                health
            }
        };
        for (settlement, health) in batch.iter().zip(health) {
            if let Err(error) = apply_health(&state, &settlement.endpoint, health).await {
                tracing::warn!(%error, endpoint = settlement.endpoint.id, "could not update a webhook endpoint's health; its next attempt does");
            }
        }
        batch.clear();
    }
}

/// Logs the attempts and what follows from each in one transaction; answers
/// what each changes about its endpoint.
async fn record_all(state: &AppState, batch: &[Settlement]) -> Result<Vec<Health>, StoreError> {
    let now = now_ms();
    let tx = state.db.begin().await?;
    let mut health = Vec::with_capacity(batch.len());
    for settlement in batch {
        health.push(settle(&tx, settlement, now).await?);
    }
    tx.commit().await?;
    Ok(health)
}

/// Marks the endpoint healthy or failing, or disables it, as an attempt showed.
async fn apply_health(
    state: &AppState,
    endpoint: &EndpointRow,
    health: Health,
) -> Result<(), StoreError> {
    match health {
        Health::Unchanged => {}
        Health::Healthy => webhooks::mark_healthy(&state.db, endpoint.id).await?,
        Health::Gone => disable(state, endpoint, "the endpoint answered 410 Gone").await?,
        Health::Failing => {
            let now = now_ms();
            if let Some(since) = webhooks::mark_failing(&state.db, endpoint.id, now).await?
                && now - since >= DISABLE_AFTER_MS
            {
                disable(
                    state,
                    endpoint,
                    "deliveries failed for five days without a success",
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Logs one attempt and what follows from it (done, the next try, or giving up).
async fn settle(tx: &Tx, settlement: &Settlement, now: i64) -> Result<Health, StoreError> {
    let Settlement {
        endpoint,
        delivery,
        attempts,
        attempted_at,
        outcome,
        ..
    } = settlement;
    let attempts = *attempts;
    record_attempt(tx, delivery.id, *attempted_at, outcome).await?;
    if outcome.succeeded() {
        count("delivered");
        webhooks::finish_delivery(tx, delivery.id, "Delivered", attempts, now).await?;
        return Ok(if endpoint.failing_since.is_some() {
            Health::Healthy
        } else {
            Health::Unchanged
        });
    }
    if outcome.status_code == Some(410) {
        count("gone");
        webhooks::finish_delivery(tx, delivery.id, "Failed", attempts, now).await?;
        return Ok(Health::Gone);
    }
    match RETRY_DELAYS_SECS.get(attempts as usize - 1) {
        Some(delay) => {
            count("retrying");
            let jitter = rand::rng().random_range(0..=delay * 100);
            let wait_ms = (delay * 1000 + jitter).max(outcome.retry_after.unwrap_or(0) * 1000);
            let next = now + wait_ms;
            webhooks::retry_delivery(tx, delivery.id, attempts, next).await?;
            if outcome.endpoint_unavailable() && delivery.event_row_id.is_some() {
                webhooks::hold_behind(tx, endpoint.id, delivery.id, next, now).await?;
            }
        }
        None => {
            count("failed");
            webhooks::finish_delivery(tx, delivery.id, "Failed", attempts, now).await?
        }
    }
    Ok(if delivery.event_row_id.is_some() {
        Health::Failing
    } else {
        Health::Unchanged
    })
}

/// Disables the endpoint and tells its owner by e-mail.
async fn disable(state: &AppState, endpoint: &EndpointRow, reason: &str) -> Result<(), StoreError> {
    if !webhooks::disable_endpoint(&state.db, endpoint.id, reason, now_ms()).await? {
        return Ok(()); // already disabled
    }
    let id = IdKind::WebhookEndpoint.format(endpoint.id);
    crate::audit::record(
        &state.db,
        crate::audit::Event::new(crate::audit::Actor::System, "webhook_endpoint.disabled")
            .org(Some(endpoint.org_id))
            .target("webhook_endpoint", id.clone())
            .details(serde_json::json!({ "reason": reason })),
    )
    .await?;
    if let Some(owner) = state
        .directory
        .user(&state.db, endpoint.owner_user_id)
        .await?
    {
        let body = format!(
            "Your webhook endpoint {id} ({url}) was disabled: {reason}.\n\n\
             Events are kept for 30 days. Once the endpoint answers again, enable it in the \
             Developer Portal ({portal}/portal/developer/webhooks) and recover what it missed.\n",
            url = endpoint.url,
            portal = state.public_url,
        );
        crate::services::mail::enqueue(
            &state.db,
            state,
            &owner.email,
            "Your webhook endpoint was disabled",
            &body,
            None,
            None,
        )
        .await?;
    }
    Ok(())
}

/// A `webhook.test` event for the endpoint, delivered at once; answers the outcome.
pub async fn send_test(
    state: &AppState,
    endpoint: &EndpointRow,
) -> Result<(i64, Outcome), StoreError> {
    let message_id = format!("evt_{}", crate::auth::random::alphanumeric(22));
    let now = now_ms();
    let body = serde_json::json!({
        "id": message_id,
        "type": "webhook.test",
        "occurredAt": rfc3339(now),
        "organizationId": IdKind::Organization.format(endpoint.org_id),
        "data": { "endpointId": IdKind::WebhookEndpoint.format(endpoint.id) },
    })
    .to_string();
    let id = webhooks::insert_delivery(
        &state.db,
        NewDelivery {
            endpoint_id: endpoint.id,
            event_row_id: None,
            message_id: &message_id,
            event_type: "webhook.test",
            body: Some(&body),
            leased_until: Some(now + LEASE_MS),
            at: now,
            due_at: now,
        },
    )
    .await?;
    let client = policy(state).client();
    let outcome = send(state, &client, endpoint, &message_id, &body).await;
    record_attempt(&state.db, id, now, &outcome).await?;
    // A test is tried once; it is not retried and does not count against the endpoint.
    let state_name = if outcome.succeeded() {
        "Delivered"
    } else {
        "Failed"
    };
    webhooks::finish_delivery(&state.db, id, state_name, 1, now_ms()).await?;
    Ok((id, outcome))
}

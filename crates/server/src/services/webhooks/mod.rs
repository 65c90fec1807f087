//! Webhook endpoints (PRODUCT §7): made and managed by developers of the
//! organization (`Developer Portal (API)`), delivered by [`delivery`].

pub mod delivery;
pub mod secrets;
mod slots;

use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet, UserStatus};
use oneportal_store::webhooks::{self, EndpointChange, EndpointRow, NewEndpoint};
use oneportal_store::{StoreError, events, now_ms, users};
use serde_json::json;

use crate::access::Caller;
use crate::audit::{self, Actor, Event};
use crate::auth::webhook_signature;
use crate::directory::UserEntry;
use crate::http::public_id::{id_of, not_found};
use crate::http::{ApiError, FieldError};
use crate::state::AppState;

/// The longest URL and description an endpoint takes.
const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;
/// How long a rotated-out secret may keep signing, at most.
pub const MAX_GRACE_HOURS: u32 = 168;

/// What a developer asks for when adding or changing an endpoint.
pub struct EndpointRequest<'a> {
    pub url: Option<&'a str>,
    pub description: Option<&'a str>,
    pub event_types: Option<&'a [String]>,
    pub enabled: Option<bool>,
}

fn developer(user: &UserEntry) -> Result<(), ApiError> {
    Caller::require_permission(user, Permission::DeveloperPortal)
}

/// Checks a request's fields; answers the stored form of the event types.
fn check(state: &AppState, request: &EndpointRequest<'_>) -> Result<Option<String>, ApiError> {
    let mut errors = Vec::new();
    if let Some(url) = request.url {
        if url.len() > MAX_URL {
            errors.push(FieldError::new(
                "/url",
                "too_long",
                format!("the URL may be at most {MAX_URL} characters"),
            ));
        } else if let Err(why) = delivery::policy(state).check_url(url) {
            errors.push(FieldError::new("/url", "invalid_url", why));
        }
    }
    if let Some(description) = request.description
        && description.chars().count() > MAX_DESCRIPTION
    {
        errors.push(FieldError::new(
            "/description",
            "too_long",
            format!("the description may be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    let mut stored = None;
    if let Some(types) = request.event_types {
        if types.is_empty() {
            errors.push(FieldError::new(
                "/eventTypes",
                "required",
                "name at least one event type, or \"*\" for every type",
            ));
        } else if types.iter().any(|t| t == "*") {
            stored = Some("*".to_owned());
        } else {
            let mut known = Vec::new();
            for (i, name) in types.iter().enumerate() {
                match EventType::parse(name) {
                    Some(t) if !known.contains(&t) => known.push(t),
                    Some(_) => {}
                    None => errors.push(FieldError::new(
                        format!("/eventTypes/{i}"),
                        "unknown_event_type",
                        format!(
                            "'{}' is not an event type; the types are {}",
                            name.chars().take(64).collect::<String>(),
                            EventType::NAMES.join(", ")
                        ),
                    )),
                }
            }
            stored = Some(known.iter().map(|t| t.name()).collect::<Vec<_>>().join(","));
        }
    }
    if errors.is_empty() {
        Ok(stored)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Adds an endpoint for the developer's organization; answers it with its secret.
pub async fn create(
    state: &AppState,
    user: &UserEntry,
    request: EndpointRequest<'_>,
) -> Result<(EndpointRow, String), ApiError> {
    developer(user)?;
    let event_types = check(state, &request)?.unwrap_or_else(|| "*".into());
    let url = request.url.ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            "/url",
            "required",
            "give the HTTPS URL to deliver to",
        )])
    })?;
    let max = state.config.webhooks.max_endpoints_per_organization;
    if webhooks::count_endpoints(&state.db, user.org_id).await? >= i64::from(max) {
        return Err(ApiError::conflict(
            "endpoint_limit_reached",
            format!(
                "your organization has {max} webhook endpoints, the most it may have; delete one first"
            ),
        ));
    }
    let secret = webhook_signature::new_secret();
    let at = now_ms();
    let tx = state.db.begin().await?;
    let id = webhooks::insert_endpoint(
        &tx,
        NewEndpoint {
            org_id: user.org_id,
            owner_user_id: user.id,
            url,
            description: request.description.unwrap_or(""),
            event_types: &event_types,
            secret_sealed: secrets::seal(state, &secret),
            last_sequence: events::latest_sequence(&tx, user.org_id).await?,
            at,
        },
    )
    .await?;
    audited(
        &tx,
        user,
        "webhook_endpoint.created",
        id,
        json!({ "url": url, "eventTypes": event_types }),
    )
    .await?;
    tx.commit().await?;
    let row = webhooks::endpoint_by_id(&state.db, id)
        .await?
        .ok_or(ApiError::Internal("the new endpoint vanished".into()))?;
    state.event_wakeups.wake_workers();
    Ok((row, secret))
}

async fn audited(
    tx: &oneportal_store::Tx,
    user: &UserEntry,
    action: &'static str,
    id: i64,
    details: serde_json::Value,
) -> Result<(), oneportal_store::StoreError> {
    audit::record(
        tx,
        Event::new(Actor::user(user), action)
            .org(Some(user.org_id))
            .target("webhook_endpoint", IdKind::WebhookEndpoint.format(id))
            .details(details),
    )
    .await
}

pub async fn list(state: &AppState, user: &UserEntry) -> Result<Vec<EndpointRow>, ApiError> {
    developer(user)?;
    Ok(webhooks::list_endpoints(&state.db, user.org_id).await?)
}

/// The organization's endpoint with this public id (another's is a 404).
pub async fn find(state: &AppState, user: &UserEntry, id: &str) -> Result<EndpointRow, ApiError> {
    developer(user)?;
    let number = id_of(IdKind::WebhookEndpoint, id, "webhook endpoint")?;
    webhooks::find_endpoint(&state.db, user.org_id, number)
        .await?
        .ok_or_else(|| not_found("webhook endpoint"))
}

pub async fn update(
    state: &AppState,
    user: &UserEntry,
    id: &str,
    request: EndpointRequest<'_>,
) -> Result<EndpointRow, ApiError> {
    let endpoint = find(state, user, id).await?;
    let event_types = check(state, &request)?;
    let tx = state.db.begin().await?;
    webhooks::update_endpoint(
        &tx,
        endpoint.id,
        EndpointChange {
            url: request.url,
            description: request.description,
            event_types: event_types.as_deref(),
            enabled: request.enabled,
        },
        now_ms(),
    )
    .await?;
    audited(
        &tx,
        user,
        "webhook_endpoint.changed",
        endpoint.id,
        json!({ "url": request.url, "eventTypes": event_types, "enabled": request.enabled }),
    )
    .await?;
    tx.commit().await?;
    find(state, user, id).await
}

pub async fn delete(state: &AppState, user: &UserEntry, id: &str) -> Result<(), ApiError> {
    let endpoint = find(state, user, id).await?;
    let tx = state.db.begin().await?;
    webhooks::delete_endpoint(&tx, user.org_id, endpoint.id).await?;
    audited(
        &tx,
        user,
        "webhook_endpoint.deleted",
        endpoint.id,
        json!({ "url": endpoint.url }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret, shown once; the old one keeps signing beside it for `grace_hours`.
pub async fn rotate_secret(
    state: &AppState,
    user: &UserEntry,
    id: &str,
    grace_hours: u32,
) -> Result<String, ApiError> {
    if grace_hours > MAX_GRACE_HOURS {
        return Err(ApiError::validation(vec![FieldError::new(
            "/graceHours",
            "out_of_range",
            format!("the old secret may keep signing for at most {MAX_GRACE_HOURS} hours"),
        )]));
    }
    let endpoint = find(state, user, id).await?;
    let secret = webhook_signature::new_secret();
    let at = now_ms();
    let tx = state.db.begin().await?;
    webhooks::rotate_secret(
        &tx,
        endpoint.id,
        secrets::seal(state, &secret),
        at + i64::from(grace_hours) * 3_600_000,
        at,
    )
    .await?;
    audited(
        &tx,
        user,
        "webhook_endpoint.secret_rotated",
        endpoint.id,
        json!({ "graceHours": grace_hours }),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Why an endpoint is disabled while its owner may not manage webhooks; it is
/// enabled again when they may (as an API client follows its owner).
pub const OWNER_MAY_NOT_MANAGE: &str =
    "its owner was removed or no longer holds Developer Portal (API)";

/// After a user changed: disables their endpoints when they may no longer
/// manage webhooks, and enables those it disabled for that when they may again.
pub async fn follow_owner(state: &AppState, user_id: i64) -> Result<(), StoreError> {
    let Some(owner) = users::find(&state.db, user_id).await? else {
        return Ok(());
    };
    let may = owner.status == UserStatus::Active
        && PermissionSet::from_codes(&owner.permissions).contains(Permission::DeveloperPortal);
    for endpoint in webhooks::endpoints_of_owner(&state.db, user_id).await? {
        let (action, change) = if !may && endpoint.is_enabled() {
            (
                "webhook_endpoint.suspended",
                webhooks::disable_endpoint(&state.db, endpoint.id, OWNER_MAY_NOT_MANAGE, now_ms())
                    .await?,
            )
        } else if may && endpoint.disabled_reason.as_deref() == Some(OWNER_MAY_NOT_MANAGE) {
            let enable = EndpointChange {
                enabled: Some(true),
                ..EndpointChange::default()
            };
            webhooks::update_endpoint(&state.db, endpoint.id, enable, now_ms()).await?;
            ("webhook_endpoint.reinstated", true)
        } else {
            continue;
        };
        if change {
            audit::record(
                &state.db,
                Event::new(Actor::System, action)
                    .org(Some(endpoint.org_id))
                    .target(
                        "webhook_endpoint",
                        IdKind::WebhookEndpoint.format(endpoint.id),
                    )
                    .details(json!({ "ownerUserId": IdKind::User.format(user_id) })),
            )
            .await?;
        }
    }
    Ok(())
}

/// The most events one recovery queues.
pub const MAX_RECOVERED: i64 = 10_000;

/// Queues every subscribed event since `since` (Unix ms) that the endpoint has
/// not received, oldest first; answers how many.
pub async fn recover_since(
    state: &AppState,
    user: &UserEntry,
    id: &str,
    since: i64,
) -> Result<usize, ApiError> {
    let endpoint = find(state, user, id).await?;
    let kept_from = now_ms() - super::events::KEPT_FOR_MS;
    let since = since.max(kept_from);
    let types = delivery::subscribed(&endpoint);
    let events = events::since(&state.db, endpoint.org_id, since, &types, MAX_RECOVERED).await?;
    let delivered: std::collections::HashSet<i64> =
        webhooks::delivered_events(&state.db, endpoint.id, since)
            .await?
            .into_iter()
            .collect();
    let tx = state.db.begin().await?;
    let at = now_ms();
    let mut queued = 0;
    for event in events.iter().filter(|e| !delivered.contains(&e.id)) {
        delivery::queue_event(&tx, endpoint.id, event, at, at).await?;
        queued += 1;
    }
    audited(
        &tx,
        user,
        "webhook_endpoint.recovered",
        endpoint.id,
        json!({ "since": crate::http::time::rfc3339(since), "queued": queued }),
    )
    .await?;
    tx.commit().await?;
    state.event_wakeups.wake_workers();
    Ok(queued)
}

/// Makes a delivery due again (its earlier attempts stay in the log).
pub async fn redeliver(
    state: &AppState,
    user: &UserEntry,
    id: &str,
    delivery_id: &str,
) -> Result<(), ApiError> {
    let endpoint = find(state, user, id).await?;
    let number = id_of(IdKind::WebhookDelivery, delivery_id, "delivery")?;
    webhooks::find_delivery(&state.db, endpoint.id, number)
        .await?
        .ok_or_else(|| not_found("delivery"))?;
    let tx = state.db.begin().await?;
    webhooks::requeue_delivery(&tx, number, now_ms()).await?;
    audited(
        &tx,
        user,
        "webhook_endpoint.redelivered",
        endpoint.id,
        json!({ "deliveryId": delivery_id }),
    )
    .await?;
    tx.commit().await?;
    state.event_wakeups.wake_workers();
    Ok(())
}

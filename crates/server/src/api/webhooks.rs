//! Webhook endpoints [people with `Developer Portal (API)`]: add, list, change,
//! delete, rotate the secret, send a test, see deliveries, redeliver.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_store::webhooks as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::person::Person;
use crate::http::ApiError;
use crate::http::json::ApiJson;
use crate::http::problem::Problem;
use crate::models::webhook::{
    CreatedWebhookEndpoint, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
};
use crate::services::webhooks::{self as service, EndpointRequest, delivery};
use crate::state::AppState;

/// Adding an endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// Where to POST: `https://` (plain `http://` only where the operator allows it).
    #[schema(example = "https://hooks.example.com/oneportal")]
    pub url: String,
    #[serde(default)]
    pub description: String,
    /// Event types to deliver (e.g. `["case.status_changed", "rfo.published"]`), or
    /// `["*"]` for every type; default every type.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
}

/// Changing an endpoint; what is left out stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookEndpointChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `false` stops deliveries; `true` resumes them (and clears a disablement).
    pub enabled: Option<bool>,
}

/// Rotating the signing secret.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateWebhookSecret {
    /// Hours the old secret keeps signing beside the new one (0–168, default 24), so a
    /// receiver can switch without losing a delivery.
    #[serde(default = "default_grace", deserialize_with = "whole_hours")]
    #[schema(maximum = 168)]
    pub grace_hours: u32,
}

fn default_grace() -> u32 {
    24
}

/// A whole number of hours, also when written `11.0` (JSON does not tell them apart).
fn whole_hours<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let hours = f64::deserialize(deserializer)?;
    if hours.fract() == 0.0 && (0.0..=f64::from(service::MAX_GRACE_HOURS)).contains(&hours) {
        Ok(hours as u32)
    } else {
        Err(serde::de::Error::custom(format!(
            "graceHours is a whole number of hours from 0 to {}",
            service::MAX_GRACE_HOURS
        )))
    }
}

/// The new signing secret, shown once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedWebhookSecret {
    pub secret: String,
}

/// What the test delivery got back.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTestResult {
    pub delivery_id: String,
    /// Whether the endpoint answered 2xx.
    pub delivered: bool,
    pub attempt: WebhookAttempt,
}

/// The endpoints' list.
#[derive(Serialize, ToSchema)]
pub struct WebhookEndpoints {
    pub data: Vec<WebhookEndpoint>,
}

/// The latest deliveries, newest first.
#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveries {
    pub data: Vec<WebhookDelivery>,
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Add a webhook endpoint.
///
/// The answer carries the signing secret (`whsec_…`) this once. Deliveries start
/// with the next event and carry only what you may read.
#[utoipa::path(post, path = "/v2/webhook-endpoints", tag = "Webhooks", operation_id = "create_webhook_endpoint", security(("userToken" = [])),
    request_body = NewWebhookEndpoint,
    responses((status = 201, description = "Added; the secret is shown this once", body = CreatedWebhookEndpoint),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, description = "A client-credentials token, or no Developer Portal (API) permission", body = Problem),
        (status = 409, description = "The organization has as many endpoints as it may", body = Problem),
        (status = 415, body = Problem),
        (status = 422, description = "A URL that is not https://, holds credentials or names an internal address; an unknown event type", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Person(user): Person,
    ApiJson(body): ApiJson<NewWebhookEndpoint>,
) -> Result<Response, ApiError> {
    let request = EndpointRequest {
        url: Some(&body.url),
        description: Some(&body.description),
        event_types: body.event_types.as_deref(),
        enabled: None,
    };
    let (row, secret) = service::create(&state, &user, request).await?;
    let endpoint = WebhookEndpoint::from(&row);
    let location = format!("/v2/webhook-endpoints/{}", endpoint.endpoint_id);
    let mut response = (
        StatusCode::CREATED,
        Json(CreatedWebhookEndpoint { endpoint, secret }),
    )
        .into_response();
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("endpoint ids are URL-safe"),
    );
    Ok(no_store(response))
}

/// List the organization's webhook endpoints.
#[utoipa::path(get, path = "/v2/webhook-endpoints", tag = "Webhooks", operation_id = "list_webhook_endpoints", security(("userToken" = [])),
    responses((status = 200, body = WebhookEndpoints), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Person(user): Person,
) -> Result<Json<WebhookEndpoints>, ApiError> {
    let rows = service::list(&state, &user).await?;
    Ok(Json(WebhookEndpoints {
        data: rows.iter().map(WebhookEndpoint::from).collect(),
    }))
}

/// Get a webhook endpoint.
#[utoipa::path(get, path = "/v2/webhook-endpoints/{endpointId}", tag = "Webhooks", operation_id = "get_webhook_endpoint", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    Ok(Json(WebhookEndpoint::from(
        &service::find(&state, &user, &id).await?,
    )))
}

/// Change a webhook endpoint: URL, description, event types, enabled.
#[utoipa::path(patch, path = "/v2/webhook-endpoints/{endpointId}", tag = "Webhooks", operation_id = "update_webhook_endpoint", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    request_body = WebhookEndpointChange,
    responses((status = 200, body = WebhookEndpoint), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookEndpointChange>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    let request = EndpointRequest {
        url: body.url.as_deref(),
        description: body.description.as_deref(),
        event_types: body.event_types.as_deref(),
        enabled: body.enabled,
    };
    let row = service::update(&state, &user, &id, request).await?;
    Ok(Json(WebhookEndpoint::from(&row)))
}

/// Delete a webhook endpoint and its delivery log.
#[utoipa::path(delete, path = "/v2/webhook-endpoints/{endpointId}", tag = "Webhooks", operation_id = "delete_webhook_endpoint", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    service::delete(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the signing secret; the old one keeps signing beside it for `graceHours`.
#[utoipa::path(post, path = "/v2/webhook-endpoints/{endpointId}/secret", tag = "Webhooks", operation_id = "rotate_webhook_secret", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    request_body = RotateWebhookSecret,
    responses((status = 200, description = "The new secret, shown this once", body = RotatedWebhookSecret),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RotateWebhookSecret>,
) -> Result<Response, ApiError> {
    let secret = service::rotate_secret(&state, &user, &id, body.grace_hours).await?;
    Ok(no_store(
        Json(RotatedWebhookSecret { secret }).into_response(),
    ))
}

/// Send a signed `webhook.test` event at once and see what the endpoint answered.
#[utoipa::path(post, path = "/v2/webhook-endpoints/{endpointId}/test", tag = "Webhooks", operation_id = "send_webhook_test", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    responses((status = 200, body = WebhookTestResult), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn send_test(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
) -> Result<Json<WebhookTestResult>, ApiError> {
    let endpoint = service::find(&state, &user, &id).await?;
    let (delivery_id, outcome) = delivery::send_test(&state, &endpoint).await?;
    Ok(Json(WebhookTestResult {
        delivery_id: IdKind::WebhookDelivery.format(delivery_id),
        delivered: outcome.succeeded(),
        attempt: WebhookAttempt {
            attempted_date: crate::http::time::rfc3339(
                oneportal_store::now_ms() - outcome.latency_ms,
            ),
            status_code: outcome.status_code.map(i64::from),
            latency_ms: outcome.latency_ms,
            response: outcome.excerpt,
            error: outcome.error,
        },
    }))
}

/// The endpoint's latest 100 deliveries with every attempt: time, status, latency, answer, error.
#[utoipa::path(get, path = "/v2/webhook-endpoints/{endpointId}/deliveries", tag = "Webhooks", operation_id = "list_webhook_deliveries", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    responses((status = 200, body = WebhookDeliveries), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
) -> Result<Json<WebhookDeliveries>, ApiError> {
    let endpoint = service::find(&state, &user, &id).await?;
    let rows = store::list_deliveries(&state.db, endpoint.id, 100).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut attempts = store::attempts_of(&state.db, &ids).await?;
    let data = rows
        .into_iter()
        .map(|row| {
            let mine: Vec<WebhookAttempt> = attempts
                .extract_if(.., |a| a.delivery_id == row.id)
                .map(WebhookAttempt::from)
                .collect();
            WebhookDelivery::new(row, mine)
        })
        .collect();
    Ok(Json(WebhookDeliveries { data }))
}

/// Recovering what an endpoint missed.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoverWebhookEvents {
    /// RFC 3339; events are kept for 30 days, so an earlier time means 30 days ago.
    #[schema(format = DateTime, example = "2026-12-01T00:00:00Z")]
    pub since: String,
}

/// How many events were queued.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveredWebhookEvents {
    pub queued: usize,
}

/// Queue every subscribed event since a time that the endpoint has not received (up to 10,000, oldest first).
#[utoipa::path(post, path = "/v2/webhook-endpoints/{endpointId}/recover", tag = "Webhooks", operation_id = "recover_webhook_events", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001")),
    request_body = RecoverWebhookEvents,
    responses((status = 202, body = RecoveredWebhookEvents), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn recover(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecoverWebhookEvents>,
) -> Result<(StatusCode, Json<RecoveredWebhookEvents>), ApiError> {
    let since = crate::http::time::parse_time("/since", &body.since)
        .map_err(|error| ApiError::validation(vec![error]))?;
    let queued = service::recover_since(&state, &user, &id, since).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RecoveredWebhookEvents { queued }),
    ))
}

/// Deliver one event again (its earlier attempts stay in the log).
#[utoipa::path(post, path = "/v2/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/redeliver", tag = "Webhooks", operation_id = "redeliver_webhook", security(("userToken" = [])),
    params(("endpointId" = String, Path, description = "WHE-000001"), ("deliveryId" = String, Path, description = "WHD-000001")),
    responses((status = 202, description = "Queued; it is tried within a second"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn redeliver(
    State(state): State<AppState>,
    Person(user): Person,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    service::redeliver(&state, &user, &id, &delivery_id).await?;
    Ok(StatusCode::ACCEPTED)
}

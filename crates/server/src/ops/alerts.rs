//! The provider's monitoring talks to OnePortal here: Alertmanager's webhook
//! and PagerDuty-shaped events, with an integration token. Staff issue and
//! revoke those tokens, and read what monitoring sent (unmatched alerts first
//! of all: a rule that names no known service opens no case).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oneportal_store::monitoring::{self as store, AlertFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Staff, integration};
use crate::http::ApiError;
use crate::http::problem::Problem;
use crate::models::monitoring::{AlertRecord, IntegrationToken};
use crate::services::monitoring::intake::{self, Source};
use crate::services::monitoring::tokens;
use crate::state::AppState;

/// What the intake answers once the notification is safely written.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// Always `success` (the PagerDuty Events API's word).
    #[schema(example = "success")]
    pub status: &'static str,
    pub message: &'static str,
    /// The alerts the notification carried.
    pub alerts: usize,
    /// The event's alert key (PagerDuty-shaped events only; generated for a trigger without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedup_key: Option<String>,
}

fn accepted(alerts: usize, dedup_key: Option<String>) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "success",
            message: "Event processed",
            alerts,
            dedup_key,
        }),
    )
        .into_response()
}

/// Receive an Alertmanager notification.
#[utoipa::path(post, path = "/ops/v1/alerts/alertmanager", operation_id = "receive_alertmanager", tag = "Monitoring",
    security(("integrationToken" = [])),
    description = "Point an Alertmanager `webhook_configs` receiver here (version 4 payload) with `http_config.authorization.credentials` set to an integration token. \
Each alert names its service by the `service_id` label (configurable: `monitoring.service_label`). The notification is written before it is answered and acted on \
within moments: a firing alert on a service opens one proactive Incident case per alert key; a resolved one posts a recovery message on it.",
    request_body = intake::AlertmanagerNotification,
    responses((status = 202, body = Accepted, description = "Written; it will be acted on"),
        (status = 400, description = "A field is missing or wrong; `errors` names each", body = Problem),
        (status = 401, description = "No integration token, or not a live one", body = Problem)))]
pub async fn receive_alertmanager(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = integration(&state, &headers, None).await?;
    let observations = intake::from_alertmanager(&state.config.monitoring, &body)?;
    intake::accept(&state, &token, Source::Alertmanager, &observations).await?;
    Ok(accepted(observations.len(), None))
}

/// Receive a PagerDuty-shaped event.
#[utoipa::path(post, path = "/ops/v1/alerts/events", operation_id = "receive_alert_event", tag = "Monitoring",
    security(("integrationToken" = [])),
    description = "The PagerDuty Events API v2 shape: `trigger`, `acknowledge` and `resolve` with a `dedup_key`. The integration token goes in \
`Authorization: Bearer …` or in `routing_key`. The service is `payload.custom_details.service_id` (configurable), or `payload.component` when it is a service id; \
`payload.class` (`down`, `degraded`, `intermittent`) sets the case subject.",
    request_body = intake::PagerDutyEvent,
    responses((status = 202, body = Accepted, description = "Written; it will be acted on"),
        (status = 400, description = "A field is missing or wrong; `errors` names each", body = Problem),
        (status = 401, description = "No integration token, or not a live one", body = Problem)))]
pub async fn receive_event(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The token is checked before the body is judged, as for any other endpoint.
    let routing_key = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["routing_key"].as_str().map(str::to_owned));
    let token = integration(&state, &headers, routing_key.as_deref()).await?;
    let (_, observation) = intake::from_event(&state.config.monitoring, &body)?;
    let dedup_key = observation.key.strip_prefix("events:").map(str::to_owned);
    intake::accept(
        &state,
        &token,
        Source::Events,
        std::slice::from_ref(&observation),
    )
    .await?;
    Ok(accepted(1, dedup_key))
}

/// Which alerts to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// `open` (firing or acknowledged), `unmatched` (no known service) or `all` (default).
    #[param(inline)]
    pub show: Option<Shown>,
    /// Most recently seen first; default 100, at most 500.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Which alerts a list shows.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Shown {
    Open,
    Unmatched,
    All,
}

/// List alerts, most recently seen first.
#[utoipa::path(get, path = "/ops/v1/alerts", operation_id = "list_alerts", tag = "Monitoring", security(("staffToken" = [])),
    params(AlertsQuery),
    responses((status = 200, body = Vec<AlertRecord>),
        (status = 400, description = "Unknown `show` or `limit` out of range", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    query: Result<Query<AlertsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AlertRecord>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let filter = match query.show.unwrap_or(Shown::All) {
        Shown::All => AlertFilter::All,
        Shown::Open => AlertFilter::Open,
        Shown::Unmatched => AlertFilter::Unmatched,
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit is between 1 and 500",
        ));
    }
    let rows = store::list_alerts(&state.db, filter, i64::from(limit)).await?;
    Ok(Json(rows.into_iter().map(AlertRecord::from).collect()))
}

/// A new token's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntegrationToken {
    /// What uses it, e.g. `Alertmanager eu-west`.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
}

/// A token just issued, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedIntegrationToken {
    #[serde(flatten)]
    pub record: IntegrationToken,
    /// The secret; OnePortal keeps only its hash.
    #[schema(example = "opi_Ab3dEf5gHi7jKl9mNo1pQr3sTu5vWx7yZa9bCd1e")]
    pub token: String,
}

/// Issue an integration token.
#[utoipa::path(post, path = "/ops/v1/integration-tokens", operation_id = "issue_integration_token", tag = "Monitoring", security(("staffToken" = [])),
    request_body = NewIntegrationToken,
    responses((status = 201, body = IssuedIntegrationToken, description = "The token; its secret is shown only now"),
        (status = 422, description = "The name is empty, too long or not on one line", body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    staff: Staff,
    crate::http::json::ApiJson(body): crate::http::json::ApiJson<NewIntegrationToken>,
) -> Result<Response, ApiError> {
    let issued = tokens::issue(&state, &staff.0, &body.name).await?;
    let record = store::find_token(&state.db, issued.id)
        .await?
        .ok_or_else(|| ApiError::Internal("a token vanished as it was issued".into()))?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedIntegrationToken {
            record: record.into(),
            token: issued.token,
        }),
    )
        .into_response())
}

/// List integration tokens, newest first, revoked ones too.
#[utoipa::path(get, path = "/ops/v1/integration-tokens", operation_id = "list_integration_tokens", tag = "Monitoring", security(("staffToken" = [])),
    responses((status = 200, body = Vec<IntegrationToken>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<Vec<IntegrationToken>>, ApiError> {
    let rows = store::tokens(&state.db).await?;
    Ok(Json(rows.into_iter().map(IntegrationToken::from).collect()))
}

/// Revoke an integration token at once.
#[utoipa::path(delete, path = "/ops/v1/integration-tokens/{id}", operation_id = "revoke_integration_token", tag = "Monitoring", security(("staffToken" = [])),
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked: it is refused from now on"),
        (status = 404, description = "No live token has this id", body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::not_found("no live integration token has this id");
    let id: i64 = id.trim().parse().map_err(|_| not_found())?;
    if tokens::revoke(&state, &staff.0, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

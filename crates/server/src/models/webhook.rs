//! Webhook endpoints and their deliveries as API V2 answers them and the
//! Developer Portal shows them.

use oneportal_domain::ids::IdKind;
use oneportal_store::webhooks::{AttemptRow, DeliveryRow, EndpointRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// Where OnePortal POSTs the events of your organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    #[schema(example = "WHE-000001")]
    pub endpoint_id: String,
    pub url: String,
    pub description: String,
    /// Event types delivered; `["*"]` for every type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why it was disabled (by its owner, `410 Gone`, five days of failures).
    pub disabled_reason: Option<String>,
    /// Deliveries have failed without a success since then.
    pub failing_since: Option<String>,
    /// The developer who made it: deliveries carry only what this user may read.
    #[schema(example = "USR-000001")]
    pub owner_user_id: String,
    pub created_date: String,
    pub last_modified_date: String,
}

impl From<&EndpointRow> for WebhookEndpoint {
    fn from(row: &EndpointRow) -> Self {
        WebhookEndpoint {
            endpoint_id: IdKind::WebhookEndpoint.format(row.id),
            url: row.url.clone(),
            description: row.description.clone(),
            event_types: row.event_types.split(',').map(str::to_owned).collect(),
            enabled: row.is_enabled(),
            disabled_reason: row.disabled_reason.clone(),
            failing_since: row.failing_since.map(rfc3339),
            owner_user_id: IdKind::User.format(row.owner_user_id),
            created_date: rfc3339(row.created_at),
            last_modified_date: rfc3339(row.updated_at),
        }
    }
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhookEndpoint {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: verify deliveries with it (any Standard Webhooks library). Shown once.
    pub secret: String,
}

/// One try at delivering.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    pub attempted_date: String,
    /// The endpoint's HTTP status; absent when it did not answer.
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    /// The first 1 KiB of the answer.
    pub response: String,
    /// What went wrong before an answer (refused address, timeout, connection).
    pub error: Option<String>,
}

impl From<AttemptRow> for WebhookAttempt {
    fn from(row: AttemptRow) -> Self {
        WebhookAttempt {
            attempted_date: rfc3339(row.attempted_at),
            status_code: row.status_code,
            latency_ms: row.latency_ms,
            response: row.response_excerpt,
            error: row.error,
        }
    }
}

/// An event on its way to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    #[schema(example = "WHD-000001")]
    pub delivery_id: String,
    /// The `webhook-id` header: the event's id, the same on every attempt.
    pub message_id: String,
    pub event_type: String,
    /// `Pending` (will be tried, see `nextAttemptDate`), `Delivered`, `Failed` (gave
    /// up after the last retry), or `Withheld` (the owner may no longer read its record).
    pub state: String,
    pub next_attempt_date: Option<String>,
    pub created_date: String,
    pub attempts: Vec<WebhookAttempt>,
}

impl WebhookDelivery {
    pub fn new(row: DeliveryRow, attempts: Vec<WebhookAttempt>) -> Self {
        WebhookDelivery {
            delivery_id: IdKind::WebhookDelivery.format(row.id),
            message_id: row.message_id,
            event_type: row.event_type,
            next_attempt_date: (row.state == "Pending").then(|| rfc3339(row.next_attempt_at)),
            state: row.state,
            created_date: rfc3339(row.created_at),
            attempts,
        }
    }
}

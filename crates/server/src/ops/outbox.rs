//! Staff read the e-mail outbox: what was sent to whom, and whether SMTP took it.

use axum::Json;
use axum::extract::{Query, State};
use oneportal_store::outbox::{self, OutboxRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Staff;
use crate::http::ApiError;
use crate::http::time::rfc3339;
use crate::state::AppState;

/// One e-mail OnePortal wrote.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    pub outbox_id: i64,
    pub to: String,
    pub subject: String,
    /// Plain text; activation and reset e-mails carry their (single-use) link.
    pub body: String,
    /// `Pending` (waiting for SMTP), `Sent`, or `Stored` (no SMTP server configured).
    pub state: String,
    pub attempts: i64,
    /// The last SMTP failure while still `Pending`.
    pub last_error: Option<String>,
    pub created_date: String,
    pub sent_date: Option<String>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(row: OutboxRow) -> Self {
        OutboxMessage {
            outbox_id: row.id,
            to: row.recipient,
            subject: row.subject,
            body: row.body,
            state: row.state,
            attempts: row.attempts,
            last_error: row.last_error,
            created_date: rfc3339(row.created_at),
            sent_date: row.sent_at.map(rfc3339),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Newest messages first; default 50, at most 200.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Read the e-mail outbox, newest first.
#[utoipa::path(get, path = "/ops/v1/outbox", tag = "Outbox", security(("staffToken" = [])),
    params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxMessage>),
        (status = 400, description = "limit out of range", body = crate::http::problem::Problem)))]
pub async fn list_outbox(
    State(state): State<AppState>,
    _staff: Staff,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    // axum's own rejection is plain text; every API error here is a problem document.
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit is between 1 and 200",
        ));
    }
    let rows = outbox::list(&state.db, i64::from(limit)).await?;
    Ok(Json(rows.into_iter().map(OutboxMessage::from).collect()))
}

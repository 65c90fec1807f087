//! Cases as the provider works them: status changes, public replies, RFOs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oneportal_domain::case::{CaseStatus, RfoStatus};
use oneportal_domain::ids::IdKind;
use oneportal_store::cases::{self, CaseRow};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Staff;
use crate::http::ApiError;
use crate::http::json::ApiJson;
use crate::models::case::{Case, Communication};
use crate::services::cases as case_service;
use crate::services::rfo::{self, Rfo, RfoContent};
use crate::state::AppState;

async fn any_case(state: &AppState, id: &str) -> Result<CaseRow, ApiError> {
    let found = match IdKind::Case.parse(id) {
        Some(number) => cases::find_case_anywhere(&state.db, number).await?,
        None => None,
    };
    found.ok_or_else(|| ApiError::not_found(format!("no case '{id}'")))
}

const MAX_REASON_CHARS: usize = 2000;

/// A provider's status change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeBody {
    /// `InProgress`, `Pending`, `Held`, `Resolved` or `Rejected`, as the status machine allows.
    pub status: CaseStatus,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// Move a case to another status.
#[utoipa::path(post, path = "/ops/v1/cases/{caseId}/status", tag = "Cases", security(("staffToken" = [])),
    params(("caseId" = String, Path, description = "CASE-0000001")), request_body = StatusChangeBody,
    description = "The provider's moves: Acknowledged → InProgress | Rejected; InProgress → Pending | Held | Resolved; Pending | Held → InProgress. Moving to the current status changes nothing.",
    responses((status = 200, body = Case), (status = 404, body = crate::http::problem::Problem),
        (status = 409, description = "The status machine does not allow this move; the detail names the current status", body = crate::http::problem::Problem)))]
pub async fn change_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusChangeBody>,
) -> Result<Response, ApiError> {
    let reason = body.reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::validation(vec![crate::http::FieldError::new(
            "/reason",
            "too_long",
            format!("reason is at most {MAX_REASON_CHARS} characters"),
        )]));
    }
    let case = any_case(&state, &id).await?;
    case_service::provider_move(&state, &case, &staff.case_actor(), body.status, reason).await?;
    let case = any_case(&state, &id).await?;
    Ok(Json(Case::from(case)).into_response())
}

/// A public reply to the customer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderReplyBody {
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub message: String,
}

/// Reply to the customer on a case.
#[utoipa::path(post, path = "/ops/v1/cases/{caseId}/communications", tag = "Cases", security(("staffToken" = [])),
    params(("caseId" = String, Path, description = "CASE-0000001")), request_body = ProviderReplyBody,
    responses((status = 201, body = Communication), (status = 404, body = crate::http::problem::Problem)))]
pub async fn reply(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProviderReplyBody>,
) -> Result<Response, ApiError> {
    let case = any_case(&state, &id).await?;
    let communication_id =
        case_service::provider_reply(&state, &case, &staff.case_actor(), &body.message, None)
            .await?
            .id();
    let created = cases::communications(&state.db, case.id)
        .await?
        .into_iter()
        .find(|c| c.id == communication_id)
        .ok_or_else(|| ApiError::Internal("a reply vanished after it was written".into()))?;
    Ok((StatusCode::CREATED, Json(Communication::from(created))).into_response())
}

/// An RFO as the provider publishes it.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RfoBody {
    /// `Preliminary` first, then `Final`; a Final RFO never goes back.
    pub status: RfoStatus,
    #[serde(flatten)]
    pub content: RfoContent,
}

/// Publish a case's RFO.
#[utoipa::path(put, path = "/ops/v1/cases/{caseId}/rfo", tag = "Cases", security(("staffToken" = [])),
    params(("caseId" = String, Path, description = "CASE-0000001")), request_body = RfoBody,
    description = "Publishes (or corrects) the RFO of an incident; the customer sees it at once at `/v2/cases/{caseId}/rfo`. Each change raises the version; publishing the same content again changes nothing.",
    responses((status = 200, body = Rfo), (status = 404, body = crate::http::problem::Problem),
        (status = 409, description = "Not an incident, or a Final RFO set back to Preliminary", body = crate::http::problem::Problem)))]
pub async fn publish_rfo(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RfoBody>,
) -> Result<Response, ApiError> {
    let case = any_case(&state, &id).await?;
    rfo::publish(
        &state,
        &case,
        &staff.case_actor(),
        body.status,
        &body.content,
    )
    .await?;
    Ok(Json(rfo::published(&state, &case).await?).into_response())
}

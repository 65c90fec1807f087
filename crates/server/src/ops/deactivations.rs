//! Deactivation requests as the provider's staff work them: review, state the
//! terms, decline, set the billing end date, record the deactivation.

use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use oneportal_domain::deactivation::DeactivationStatus;
use oneportal_store::deactivations::DEACTIVATIONS;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Staff;
use crate::http::ApiError;
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::models::deactivation::{DeactivationRequest, DeactivationRequestDetail};
use crate::services::deactivations::{self as service, ProviderAct, StepInput};
use crate::state::AppState;

/// A fee and its currency.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeeBody {
    /// Decimal, at most two decimals, not negative.
    #[schema(example = "450.00")]
    pub amount: String,
    /// ISO 4217.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// A provider's step. Which fields it takes depends on `status`:
/// `InReview` takes `note` and optionally `caseId` (the case the questions are
/// asked in); `PendingConfirmation` takes `earliestEndDate`, `fee` (or none for
/// no fee) and `note`; `Declined` takes `reason`; `Scheduled` takes
/// `billingEndDate`; `Completed` takes `note`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeactivationStepBody {
    pub status: DeactivationStatus,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
    #[serde(default)]
    #[schema(example = "CASE-0000001")]
    pub case_id: Option<String>,
    #[serde(default)]
    pub fee: Option<FeeBody>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub earliest_end_date: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub billing_end_date: Option<String>,
}

impl From<DeactivationStepBody> for StepInput {
    fn from(body: DeactivationStepBody) -> Self {
        StepInput {
            status: body.status,
            note: body.note,
            case_id: body.case_id,
            fee: body.fee.map(|fee| (fee.amount, fee.currency)),
            earliest_end_date: body.earliest_end_date,
            reason: body.reason,
            billing_end_date: body.billing_end_date,
        }
    }
}

/// List every deactivation request.
#[utoipa::path(get, path = "/ops/v1/deactivation-requests", operation_id = "list_all_deactivation_requests", tag = "Deactivation", security(("staffToken" = [])),
    description = "Every organization's requests. Filters, sort and paging as for `GET /v2/deactivation-requests`; `billingEndDateOverdue` marks confirmed requests whose billing end date is late (five business days after confirmation).",
    responses((status = 200, body = Page<DeactivationRequest>), (status = 400, description = "Unknown parameter, filter value or sort key", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&DEACTIVATIONS, raw.as_deref())?;
    let page = service::page(&state.db, None, &query).await?;
    Ok(page_response::<_, DeactivationRequest>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a deactivation request.
#[utoipa::path(get, path = "/ops/v1/deactivation-requests/{deactivationRequestId}", operation_id = "get_any_deactivation_request", tag = "Deactivation", security(("staffToken" = [])),
    params(("deactivationRequestId" = String, Path, description = "DRQ-000001")),
    responses((status = 200, body = DeactivationRequestDetail), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    Ok(Json(service::detail(&state.db, &row).await?).into_response())
}

/// Move a deactivation request.
#[utoipa::path(post, path = "/ops/v1/deactivation-requests/{deactivationRequestId}/status", operation_id = "move_deactivation_request", tag = "Deactivation", security(("staffToken" = [])),
    params(("deactivationRequestId" = String, Path, description = "DRQ-000001")), request_body = DeactivationStepBody,
    description = "The provider's steps: Submitted → InReview; Submitted | InReview → PendingConfirmation (the terms; stating them again from InReview raises their version, and an earlier version can no longer be confirmed); \
        PendingConfirmation → InReview (take the terms back); Submitted | InReview | PendingConfirmation → Declined; Confirmed → Scheduled (the billing end date: the service becomes PendingDeactivation); \
        Scheduled → Completed (the service becomes Deactivated). Each step is an event to the customer.",
    responses((status = 200, body = DeactivationRequest), (status = 404, body = Problem),
        (status = 409, description = "The status machine does not allow this step; the detail says which it allows", body = Problem),
        (status = 422, description = "A field the step needs is missing or wrong; `errors[].pointer` names it", body = Problem)))]
pub async fn move_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DeactivationStepBody>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let act = ProviderAct::parse(StepInput::from(body))?;
    let moved = service::provider_act(&state, &row, &staff.case_actor(), &act).await?;
    Ok(Json(DeactivationRequest::new(&moved, service::today())).into_response())
}

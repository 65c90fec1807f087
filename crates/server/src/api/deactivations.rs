//! Deactivation requests [support.read / support.read-write]: ask for a service
//! to end, follow the request, withdraw it. Confirming the provider's terms
//! binds the customer legally, so it is a person's act in the portal, never an
//! API call: the API's confirm answers a 403 that says where to do it.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_store::deactivations::{DEACTIVATIONS, LocalContact};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::{Access, SupportRead, SupportReadWrite};
use crate::http::ApiError;
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, detail_response, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::models::deactivation::{DeactivationRequest, DeactivationRequestDetail};
use crate::services::cases::CaseActor;
use crate::services::deactivations::{self as service, RequestForm};
use crate::state::AppState;

/// The service's Local Point of Contact: the person on site the provider
/// contacts about the deactivation. It is recorded on the service too.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalContactBody {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    #[schema(max_length = 254, example = "facilities@example.com")]
    pub email: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub phone: String,
}

/// Asking for a service to end.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDeactivationBody {
    /// `YYYY-MM-DD`, today or later: the day you want the service to end. The
    /// provider's terms say the earliest day the contract allows.
    #[schema(example = "2027-03-31", pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub requested_end_date: String,
    /// Why the service should end.
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub reason: String,
    pub local_contact: LocalContactBody,
}

/// Why the request is withdrawn (optional).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// List deactivation requests.
#[utoipa::path(get, path = "/v2/deactivation-requests", tag = "Deactivation", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    description = "Requests to deactivate services you may see, newest first. \
        Filters: `status` (`status=PendingConfirmation`), `serviceId`, `requestedEndDate` and `billingEndDate` (`YYYY-MM-DD`), \
        `createdDate` and `lastModifiedDate` (RFC 3339); suffixes `.gte .gt .lte .lt`. \
        Sort: `createdDate` (default `-createdDate`), `lastModifiedDate`, `status`, `requestedEndDate`; `-` for descending. \
        Paging: `offset` and `limit` (default 50, max 200), or `cursor` with `pagination.nextCursor`.",
    responses((status = 200, body = Page<DeactivationRequest>), (status = 400, description = "Unknown parameter, filter value or sort key; `errors[].pointer` names it", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read", body = Problem)))]
pub async fn list_deactivation_requests(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&DEACTIVATIONS, raw.as_deref())?;
    let page = service::page(&state.db, Some(&access.scope), &query).await?;
    Ok(page_response::<_, DeactivationRequest>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a deactivation request.
#[utoipa::path(get, path = "/v2/deactivation-requests/{deactivationRequestId}", tag = "Deactivation", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("deactivationRequestId" = String, Path, pattern = "^DRQ-[0-9]{6,18}$", description = "DRQ-000001")),
    description = "The request with the provider's terms, the confirmation and every step so far. Send the `ETag` back in `If-None-Match` to poll cheaply: 304 until it changes.",
    responses((status = 200, body = DeactivationRequestDetail, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read", body = Problem),
        (status = 404, description = "No such request on services you may see", body = Problem)))]
pub async fn get_deactivation_request(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    let detail = service::detail(&state.db, &row).await?;
    Ok(detail_response(&headers, &detail))
}

/// Download a deactivation's confirmation (PDF).
#[utoipa::path(get, path = "/v2/deactivation-requests/{deactivationRequestId}/document", tag = "Deactivation", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("deactivationRequestId" = String, Path, pattern = "^DRQ-[0-9]{6,18}$", description = "DRQ-000001")),
    description = "What was confirmed (the terms of one version), by whom and when, the billing end date and every step, as the record of the binding act. Exists once the request is confirmed.",
    responses((status = 200, description = "The confirmation as a PDF document", content_type = "application/pdf", body = inline(crate::documents::BinaryFile)),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read", body = Problem),
        (status = 404, description = "No such request on services you may see, or code `not_confirmed`", body = Problem)))]
pub async fn deactivation_document(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    crate::documents::downloads::deactivation_pdf(&state, &row).await
}

/// Request a service's deactivation.
#[utoipa::path(post, path = "/v2/services/{serviceId}/deactivation-requests", tag = "Deactivation", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("serviceId" = String, Path, pattern = "^SVC-[0-9]{6,18}$", description = "SVC-000001"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]*[!-~])?$", description = "Makes a retry safe: the same key and body within 24 hours returns the first answer")),
    request_body = NewDeactivationBody,
    description = "Asks the provider to end a delivered service (`RFS` or `Suspended`) and records its Local Point of Contact. The request starts `Submitted`; \
        the provider reviews it (its account manager may ask questions in a linked case) and states the terms (`PendingConfirmation`). \
        A person then confirms the terms in the portal (binding and irreversible) or withdraws the request. One request at a time per service.",
    responses((status = 201, body = DeactivationRequest, headers(("Location" = String))),
        (status = 400, description = "The body is not JSON", body = Problem),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read-write", body = Problem),
        (status = 404, description = "No such service among those you may see", body = Problem),
        (status = 409, description = "The service is not delivered, or already has a request under way (the detail names it)", body = Problem),
        (status = 422, description = "A field is missing or wrong; `errors` names each", body = Problem)))]
pub async fn request_deactivation(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(service_id): Path<String>,
    ApiJson(body): ApiJson<NewDeactivationBody>,
) -> Result<Response, ApiError> {
    let service = service::service(&state.db, &access.scope, &service_id).await?;
    let actor = CaseActor::customer(&state, &access.caller).await?;
    let form = RequestForm {
        requested_end_date: body.requested_end_date,
        reason: body.reason,
        contact: LocalContact {
            name: body.local_contact.name,
            email: body.local_contact.email,
            phone: body.local_contact.phone,
        },
    };
    let row = service::request(&state, &service, &actor, &form).await?;
    let location = HeaderValue::from_str(&format!(
        "/v2/deactivation-requests/{}",
        IdKind::DeactivationRequest.format(row.id)
    ))
    .expect("ids are ASCII");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(DeactivationRequest::new(&row, service::today())),
    )
        .into_response())
}

/// Withdraw a deactivation request.
#[utoipa::path(post, path = "/v2/deactivation-requests/{deactivationRequestId}/withdraw", tag = "Deactivation", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("deactivationRequestId" = String, Path, pattern = "^DRQ-[0-9]{6,18}$", description = "DRQ-000001")),
    request_body(content = Option<WithdrawBody>, description = "Optional reason"),
    description = "The service stays: `Submitted`, `InReview` or `PendingConfirmation` → `Withdrawn`. A confirmed request cannot be withdrawn.",
    responses((status = 200, body = DeactivationRequest),
        (status = 401, description = "No valid access token", body = Problem), (status = 403, description = "Missing customerapi/support.read-write", body = Problem),
        (status = 404, description = "No such request on services you may see", body = Problem),
        (status = 409, description = "The request is confirmed or final; the detail names its status", body = Problem),
        (status = 422, body = Problem)))]
pub async fn withdraw_deactivation_request(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
    super::cases::OptionalJson(body): super::cases::OptionalJson<WithdrawBody>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    let actor = CaseActor::customer(&state, &access.caller).await?;
    let reason = body.unwrap_or_default().reason;
    let row = service::withdraw(&state, &row, &actor, &reason).await?;
    Ok(axum::Json(DeactivationRequest::new(&row, service::today())).into_response())
}

/// Confirm a deactivation (portal only).
#[utoipa::path(post, path = "/v2/deactivation-requests/{deactivationRequestId}/confirm", tag = "Deactivation", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("deactivationRequestId" = String, Path, pattern = "^DRQ-[0-9]{6,18}$", description = "DRQ-000001")),
    description = "Always refused. Confirming the provider's terms is legally binding and irreversible, so a person does it in the portal \
        (Sites & Services → Deactivation requests), re-entering their password. The 403 names the page.",
    responses((status = 401, description = "No valid access token", body = Problem),
        (status = 403, description = "Confirming is a person's act in the portal (`code` `portal_only`), or the scope is missing", body = Problem),
        (status = 404, description = "No such request on services you may see", body = Problem)))]
pub async fn confirm_deactivation_request(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::visible(&state.db, &access.scope, &id).await?;
    let id = IdKind::DeactivationRequest.format(row.id);
    Err(ApiError::forbidden(
        "portal_only",
        format!(
            "confirming a deactivation binds your organization and cannot be undone, so a person does it in the portal: \
             open {}/portal/deactivation-requests/{id}, read the terms and confirm with your password",
            state.public_url
        ),
    ))
}

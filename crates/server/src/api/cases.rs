//! Support cases [support.read / support.read-write]: the list, one case with its
//! conversation, replies, attachments, close / reopen / cancel, and the RFO.

use axum::extract::{Multipart, OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CommunicationType, CustomerAction,
    RfoStatus,
};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::ListSpec;
use oneportal_store::cases::{
    self, AttachmentRow, CASES, CaseRow, CommunicationRow, StatusChangeRow,
};
use oneportal_store::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pagination::{Page, detail_response, list_response, page_response, parse_list_query};
use crate::auth::caller::{Access, SupportRead, SupportReadWrite};
use crate::http::json::ApiJson;
use crate::http::problem::Problem;
use crate::http::time::{parse_time, rfc3339};
use crate::http::{ApiError, FieldError};
use crate::services::cases::{self as case_service, CaseActor, CaseRequest, Upload};
use crate::services::rfo::{self, Rfo};
use crate::state::AppState;

/// Who to talk to about the case.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub name: String,
    /// Defaults to the person (or the API client's owner) who opens the case.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: String,
}

/// The RFO's state on a case; the RFO itself is at `/v2/cases/{caseId}/rfo`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfoSummary {
    pub status: RfoStatus,
    pub issued_date: String,
}

/// The SLA clock: time the case has been open, not counting time spent Pending
/// (waiting for the customer).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaClock {
    pub elapsed_minutes: i64,
    pub paused_minutes: i64,
    /// True while the case is Pending.
    pub is_paused: bool,
}

/// A support case.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    #[schema(example = "CASE-0000001")]
    pub case_id: String,
    #[serde(rename = "type")]
    pub case_type: CaseType,
    pub subject: CaseSubject,
    pub priority: CasePriority,
    pub status: CaseStatus,
    pub service_id: String,
    pub site_id: String,
    pub customer_reference: String,
    pub origin: CaseOrigin,
    pub start_of_incident: Option<String>,
    pub end_of_incident: Option<String>,
    pub contact: ContactView,
    pub created_date: String,
    pub last_modified_date: String,
    pub resolved_date: Option<String>,
    pub closed_date: Option<String>,
    pub related_case_id: Option<String>,
    pub rfo: Option<RfoSummary>,
    pub sla: SlaClock,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl From<CaseRow> for Case {
    fn from(c: CaseRow) -> Self {
        let now = now_ms();
        let paused_now = c.pending_since.map_or(0, |since| (now - since).max(0));
        let end = c.resolved_at.or(c.closed_at).unwrap_or(now);
        let paused = c.sla_paused_ms + paused_now;
        Case {
            case_id: IdKind::Case.format(c.id),
            case_type: c.case_type,
            subject: c.subject,
            priority: c.priority,
            status: c.status(),
            service_id: IdKind::Service.format(c.service_id),
            site_id: IdKind::Site.format(c.site_id),
            customer_reference: c.customer_reference,
            origin: c.origin,
            start_of_incident: c.start_of_incident.map(rfc3339),
            end_of_incident: c.end_of_incident.map(rfc3339),
            contact: ContactView {
                name: c.contact_name,
                email: c.contact_email,
                phone: c.contact_phone,
            },
            created_date: rfc3339(c.created_at),
            last_modified_date: rfc3339(c.updated_at),
            resolved_date: c.resolved_at.map(rfc3339),
            closed_date: c.closed_at.map(rfc3339),
            related_case_id: c.related_case_id.map(|id| IdKind::Case.format(id)),
            rfo: c
                .rfo_status
                .as_deref()
                .and_then(RfoStatus::parse)
                .map(|status| RfoSummary {
                    status,
                    issued_date: c.rfo_issued_at.map(rfc3339).unwrap_or_default(),
                }),
            sla: SlaClock {
                elapsed_minutes: ((end - c.created_at - paused) / 60_000).max(0),
                paused_minutes: paused / 60_000,
                is_paused: c.pending_since.is_some(),
            },
        }
    }
}

/// A file on a case.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[schema(example = "ATT-000001")]
    pub attachment_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content, to check a download.
    pub sha256: String,
    pub uploaded_by: String,
    pub created_date: String,
    /// Where to download it.
    pub href: String,
}

impl From<AttachmentRow> for Attachment {
    fn from(a: AttachmentRow) -> Self {
        let case_id = IdKind::Case.format(a.case_id);
        let attachment_id = IdKind::Attachment.format(a.id);
        Attachment {
            href: format!("/v2/cases/{case_id}/attachments/{attachment_id}"),
            attachment_id,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            created_date: rfc3339(a.created_at),
        }
    }
}

/// One message in a case's conversation (append-only).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Communication {
    #[schema(example = "COM-000001")]
    pub communication_id: String,
    pub message: String,
    #[serde(rename = "type")]
    pub communication_type: CommunicationType,
    pub sent_by: String,
    pub timestamp: String,
    pub attachments: Vec<Attachment>,
}

impl From<CommunicationRow> for Communication {
    fn from(m: CommunicationRow) -> Self {
        Communication {
            communication_id: IdKind::Communication.format(m.id),
            message: m.message,
            communication_type: CommunicationType::parse(&m.comm_type)
                .unwrap_or(CommunicationType::System),
            sent_by: m.sent_by,
            timestamp: rfc3339(m.created_at),
            attachments: Vec::new(),
        }
    }
}

/// One status change.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// Null for the case's first status.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub reason: String,
    pub changed_by: String,
    pub at: String,
}

impl From<StatusChangeRow> for StatusChange {
    fn from(s: StatusChangeRow) -> Self {
        StatusChange {
            from: s.from_status.as_deref().and_then(CaseStatus::parse),
            to: s.to_status,
            reason: s.reason,
            changed_by: s.changed_by,
            at: rfc3339(s.at),
        }
    }
}

/// A case with its whole history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub communications: Vec<Communication>,
    pub status_history: Vec<StatusChange>,
    /// Files attached to the case (also listed under the message they came with).
    pub attachments: Vec<Attachment>,
}

/// Opening a case. Subjects and priorities depend on the type (see the `CaseType` docs):
/// Incident takes `RfoRequest, ServiceDegradation, ServiceIntermittent, ServiceDown` at `P1`–`P5`;
/// NonIncident takes `ActivationSupport, ChangeRequest, EngineerDispatch, InformationRequest, Other,
/// SoftwareUpdate, UtilizationReport` at `P3`–`P5`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCaseBody {
    #[serde(rename = "type")]
    pub case_type: CaseType,
    pub subject: CaseSubject,
    pub priority: CasePriority,
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    /// What happened and what you need; the first message of the conversation.
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub message: String,
    /// RFC 3339; required for incidents.
    #[serde(default)]
    pub start_of_incident: Option<String>,
    /// RFC 3339; leave it out while the outage is ongoing.
    #[serde(default)]
    pub end_of_incident: Option<String>,
    /// Your own reference (ticket number), up to 100 characters; filterable.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub customer_reference: String,
    /// For `RfoRequest`: the incident the RFO is wanted for.
    #[serde(default)]
    pub related_case_id: Option<String>,
    #[serde(default)]
    pub contact: Option<Contact>,
}

/// Documents what [`CaseType::check`] enforces on `NewCaseBody`: one variant per
/// case type, each with its own subjects and priorities, and `startOfIncident`
/// required for incidents (and absent otherwise). Generated from the domain's
/// rules, so the document cannot drift from them.
pub struct CaseTypeVariants;

impl utoipa::Modify for CaseTypeVariants {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(schema) = components.schemas.get("NewCaseBody") else {
            return;
        };
        let Ok(base) = serde_json::to_value(schema) else {
            return;
        };
        let names =
            |values: Vec<&'static str>| serde_json::json!({"type": "string", "enum": values});
        let variants: Vec<serde_json::Value> = CaseType::ALL
            .iter()
            .map(|case_type| {
                let mut variant = base.clone();
                variant["title"] = serde_json::json!(case_type.as_str());
                variant.as_object_mut().map(|v| v.remove("description"));
                variant.as_object_mut().map(|v| v.remove("example"));
                let properties = &mut variant["properties"];
                properties["type"] = names(vec![case_type.as_str()]);
                properties["subject"] =
                    names(case_type.subjects().iter().map(|s| s.as_str()).collect());
                properties["priority"] =
                    names(case_type.priorities().iter().map(|p| p.as_str()).collect());
                if *case_type == CaseType::Incident {
                    properties["startOfIncident"] = serde_json::json!({
                        "type": "string", "format": "date-time",
                        "description": "RFC 3339: when the service was first affected"});
                    if let Some(required) = variant["required"].as_array_mut() {
                        required.push(serde_json::json!("startOfIncident"));
                    }
                } else if let Some(properties) = properties.as_object_mut() {
                    properties.remove("startOfIncident");
                    properties.remove("endOfIncident");
                }
                variant
            })
            .collect();
        let mut combined = serde_json::json!({ "oneOf": variants });
        for kept in ["description", "example"] {
            if let Some(value) = base.get(kept) {
                combined[kept] = value.clone();
            }
        }
        if let Ok(schema) = serde_json::from_value(combined) {
            components.schemas.insert("NewCaseBody".into(), schema);
        }
    }
}

/// Lists every type an attachment download can answer with: the allow-list of uploads.
pub struct AttachmentTypes;

impl utoipa::Modify for AttachmentTypes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let path = "/v2/cases/{caseId}/attachments/{attachmentId}";
        let Some(operation) = openapi
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
        else {
            return;
        };
        if let Some(utoipa::openapi::RefOr::T(response)) =
            operation.responses.responses.get_mut("200")
            && let Some(content) = response.content.shift_remove("application/octet-stream")
        {
            for allowed in case_service::ALLOWED_ATTACHMENT_TYPES {
                response
                    .content
                    .insert((*allowed).to_owned(), content.clone());
            }
        }
    }
}

/// A reply to a case.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub message: String,
}

/// Why the case is reopened or cancelled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[schema(min_length = 1, max_length = 2000, pattern = "\\S")]
    pub reason: String,
}

/// Why the case is closed (optional).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

fn times(body: &NewCaseBody) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let mut errors = Vec::new();
    let mut parse = |pointer: &str, text: &Option<String>| {
        text.as_deref()
            .and_then(|t| parse_time(pointer, t).map_err(|e| errors.push(e)).ok())
    };
    let start = parse("/startOfIncident", &body.start_of_incident);
    let end = parse("/endOfIncident", &body.end_of_incident);
    if errors.is_empty() {
        Ok((start, end))
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `POST /v2/cases`'s body as the case service takes it (the times parsed).
pub fn case_request(body: NewCaseBody) -> Result<CaseRequest, ApiError> {
    let (start, end) = times(&body)?;
    let contact = body.contact.unwrap_or_default();
    Ok(CaseRequest {
        case_type: body.case_type,
        subject: body.subject,
        priority: body.priority,
        service_id: body.service_id,
        message: body.message,
        start_of_incident: start,
        end_of_incident: end,
        customer_reference: body.customer_reference,
        related_case_id: body.related_case_id,
        contact_name: contact.name,
        contact_email: contact.email,
        contact_phone: contact.phone,
        origin: CaseOrigin::Api,
    })
}

fn case_location(id: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("/v2/cases/{}", IdKind::Case.format(id)))
        .expect("case ids are ASCII")
}

/// List cases.
#[utoipa::path(get, path = "/v2/cases", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    description = "Cases on the services you may see. Filters: `status`, `type`, `subject`, `priority`, `serviceId`, `siteId`, `customerReference`, `origin` (comma = OR), `createdDate.gte|gt|lte|lt`, `lastModifiedDate.gte|gt|lte|lt` (RFC 3339). Poll for changes with `lastModifiedDate.gt=<last poll>`. Default sort `-lastModifiedDate`.",
    responses((status = 200, body = Page<Case>, headers(("X-Total-Count" = i64), ("Link" = String))),
        (status = 400, description = "Unknown parameter, filter value or sort key", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Missing customerapi/support.read", body = Problem)))]
pub async fn list_cases(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let key = format!("{:?}|{uri}", access.scope);
    state
        .case_reads
        .answer(key, &HeaderMap::new(), async {
            let query = parse_list_query(&CASES, raw.as_deref())?;
            let page =
                cases::list_cases(&state.db, &access.scope, &query, &state.case_counts).await?;
            Ok(page_response::<_, Case>(
                &state.public_url,
                &uri,
                &query,
                page,
            ))
        })
        .await
}

/// Open a case.
#[utoipa::path(post, path = "/v2/cases", tag = "Cases", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    request_body = NewCaseBody,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]*[!-~])?$", description = "Makes a retry safe: the same key and body within 24 hours returns the first answer")),
    responses((status = 201, body = Case, headers(("Location" = String))),
        (status = 400, description = "The body is not JSON", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Missing customerapi/support.read-write", body = Problem),
        (status = 409, description = "The same Idempotency-Key is still being processed", body = Problem),
        (status = 422, description = "A field is missing or not allowed for the case type; `errors` names each", body = Problem)))]
pub async fn create_case(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    ApiJson(body): ApiJson<NewCaseBody>,
) -> Result<Response, ApiError> {
    let actor = CaseActor::customer(&state, &access.caller).await?;
    let request = case_request(body)?;
    let case = case_service::open(&state, &access.scope, &actor, request).await?;
    let location = case_location(case.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(Case::from(case)),
    )
        .into_response())
}

/// The case with its conversation, history and files (also the portal's case page).
pub(crate) async fn detail(state: &AppState, case: CaseRow) -> Result<CaseDetail, ApiError> {
    let (messages, history, files) = tokio::try_join!(
        cases::communications(&state.db, case.id),
        cases::status_history(&state.db, case.id),
        cases::attachments(&state.db, case.id),
    )?;
    let mut communications: Vec<Communication> =
        messages.into_iter().map(Communication::from).collect();
    let mut attachments = Vec::new();
    for file in files {
        if let Some(owner) = file.communication_id.and_then(|id| {
            communications
                .iter_mut()
                .find(|c| c.communication_id == IdKind::Communication.format(id))
        }) {
            owner.attachments.push(Attachment::from(file.clone()));
        }
        attachments.push(Attachment::from(file));
    }
    Ok(CaseDetail {
        case: Case::from(case),
        communications,
        status_history: history.into_iter().map(StatusChange::from).collect(),
        attachments,
    })
}

/// Get a case with its conversation and history.
#[utoipa::path(get, path = "/v2/cases/{caseId}", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001")),
    description = "The whole case: fields, every communication in order, the status history and attachments. Poll cheaply with `If-None-Match`.",
    responses((status = 200, body = CaseDetail, headers(("ETag" = String))), (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 401, body = Problem),
        (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn get_case(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let key = format!("{:?}|case|{id}", access.scope);
    state
        .case_reads
        .answer(key, &headers, async {
            let case = case_service::visible(&state, &access.scope, &id).await?;
            // The ETag check is the cache's, on every answer, kept or new.
            Ok(detail_response(
                &HeaderMap::new(),
                &detail(&state, case).await?,
            ))
        })
        .await
}

/// Paging over a short list held in memory (a case's messages or files).
pub const IN_MEMORY: ListSpec = ListSpec {
    fields: &[],
    default_sort: &[],
};

/// List a case's communications.
#[utoipa::path(get, path = "/v2/cases/{caseId}/communications", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 10000, description = "Records to skip, at most 10,000"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1–200 (default 50)")),
    description = "The conversation, oldest first.",
    responses((status = 200, body = Page<Communication>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn list_communications(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&IN_MEMORY, raw.as_deref())?;
    let case = case_service::visible(&state, &access.scope, &id).await?;
    let all = detail(&state, case).await?.communications;
    Ok(in_memory_page(&state, &uri, &query, all))
}

fn in_memory_page<T: Serialize>(
    state: &AppState,
    uri: &axum::http::Uri,
    query: &oneportal_domain::query::ListQuery,
    all: Vec<T>,
) -> Response {
    let offset = match query.start {
        oneportal_domain::query::Start::Offset(n) => n,
        oneportal_domain::query::Start::After(_) => 0,
    };
    let page = Page::slice(all, offset, query.limit);
    list_response(
        &state.public_url,
        uri,
        query,
        page.data,
        page.pagination.total as i64,
        None,
    )
}

/// Reply to a case.
#[utoipa::path(post, path = "/v2/cases/{caseId}/communications", tag = "Cases", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]*[!-~])?$", description = "Makes a retry safe")),
    request_body = ReplyBody,
    description = "Adds your message to the conversation. A reply to a `Pending` case (waiting for you) moves it back to `InProgress`.",
    responses((status = 201, body = Communication), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The case is closed, cancelled or rejected", body = Problem),
        (status = 422, body = Problem)))]
pub async fn reply(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state, &access.scope, &id).await?;
    let actor = CaseActor::customer(&state, &access.caller).await?;
    let communication_id = case_service::reply(&state, &case, &actor, &body.message).await?;
    let created = cases::communications(&state.db, case.id)
        .await?
        .into_iter()
        .find(|c| c.id == communication_id)
        .ok_or_else(|| ApiError::Internal("a reply vanished after it was written".into()))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Communication::from(created)),
    )
        .into_response())
}

/// List a case's attachments.
#[utoipa::path(get, path = "/v2/cases/{caseId}/attachments", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 10000, description = "Records to skip, at most 10,000"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1–200 (default 50)")),
    responses((status = 200, body = Page<Attachment>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn list_attachments(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    Path(id): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&IN_MEMORY, raw.as_deref())?;
    let case = case_service::visible(&state, &access.scope, &id).await?;
    let all: Vec<Attachment> = cases::attachments(&state.db, case.id)
        .await?
        .into_iter()
        .map(Attachment::from)
        .collect();
    Ok(in_memory_page(&state, &uri, &query, all))
}

/// The multipart form of an upload (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    /// The file. Its type is the part's Content-Type, or, when that is missing or
    /// `application/octet-stream`, the one its file name's extension implies; it must be an allowed type.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    pub file: String,
}

/// Attach a file to a case.
#[utoipa::path(post, path = "/v2/cases/{caseId}/attachments", tag = "Cases", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]*[!-~])?$", description = "Makes a retry safe")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    description = "Upload one file as the `file` part of a `multipart/form-data` body. Allowed types: PDF, PNG, JPEG, GIF, plain text, CSV, JSON, ZIP, e-mail (message/rfc822), packet captures (application/vnd.tcpdump.pcap), Word and Excel (OOXML). The content must be what its type says (a PDF starts with `%PDF-`, a PNG with PNG's signature, text and CSV are UTF-8 without NUL bytes, JSON parses), otherwise 415; a file name with control or bidirectional formatting characters (U+202E and the like) is refused with 422. The size limit is 10 MiB unless the provider configured another.",
    responses((status = 201, body = Attachment, headers(("Location" = String))), (status = 400, description = "Not a multipart body, or no `file` part", body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The case is closed, cancelled or rejected", body = Problem),
        (status = 413, description = "The file is larger than the limit", body = Problem),
        (status = 415, description = "The file's type is not allowed, or its content is not of that type", body = Problem),
        (status = 422, description = "The file is empty, or its name has control or bidirectional formatting characters", body = Problem)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state, &access.scope, &id).await?;
    let mut multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType {
        detail: "send the file as multipart/form-data with a part named 'file'".into(),
    })?;
    let max = state.config.cases.attachment_max_bytes;
    let upload = read_file_part(&mut multipart, max).await?;
    let actor = CaseActor::customer(&state, &access.caller).await?;
    let attachment_id = case_service::attach(&state, &case, &actor, upload).await?;
    let row = cases::attachments(&state.db, case.id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or_else(|| ApiError::Internal("an attachment vanished after it was stored".into()))?;
    let attachment = Attachment::from(row);
    let location = HeaderValue::from_str(&attachment.href).expect("ids are ASCII");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        axum::Json(attachment),
    )
        .into_response())
}

/// Reads the `file` part of an upload (also the portal's upload form).
pub(crate) async fn read_file_part(
    multipart: &mut Multipart,
    max: u64,
) -> Result<Upload, ApiError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            case_service::too_large(max)
        } else {
            ApiError::bad_request(
                "invalid_multipart",
                format!("the multipart body could not be read: {}", e.body_text()),
            )
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "attachment".to_owned());
        let declared = field
            .content_type()
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase())
            .filter(|t| t != "application/octet-stream" && !t.is_empty());
        // Tools that do not know a file's type (curl -F without ;type=) say
        // application/octet-stream or nothing; then the file name's extension tells.
        let content_type = declared.unwrap_or_else(|| {
            mime_guess::from_path(&file_name)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned()
        });
        let mut content = Vec::new();
        // Read chunk by chunk so an oversized file is refused as soon as it passes the limit.
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if (content.len() + chunk.len()) as u64 > max {
                return Err(case_service::too_large(max));
            }
            content.extend_from_slice(&chunk);
        }
        return Ok(Upload {
            // Control and bidirectional characters stay, for `attach` to refuse by name.
            file_name: file_name.chars().take(255).collect(),
            content_type,
            content,
        });
    }
    Err(ApiError::BadRequest {
        code: "missing_file",
        detail: "the multipart body has no part named 'file'".into(),
        errors: vec![FieldError::new(
            "file",
            "required",
            "add the file as a part named 'file'",
        )],
    })
}

/// Download an attachment.
#[utoipa::path(get, path = "/v2/cases/{caseId}/attachments/{attachmentId}", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001"), ("attachmentId" = String, Path, description = "ATT-000001")),
    responses((status = 200, description = "The file, with its content type and `Content-Disposition: attachment`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn download_attachment(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    attachment_download(&state, &access.scope, &id, &attachment_id).await
}

/// An attachment of a visible case as a download (also the portal's link).
pub(crate) async fn attachment_download(
    state: &AppState,
    scope: &oneportal_store::catalog::AccessScope,
    id: &str,
    attachment_id: &str,
) -> Result<Response, ApiError> {
    let case = case_service::visible(state, scope, id).await?;
    let missing = || ApiError::not_found(format!("{id} has no attachment '{attachment_id}'"));
    let number = IdKind::Attachment
        .parse(attachment_id)
        .ok_or_else(missing)?;
    let (row, content) = cases::attachment_content(&state.db, case.id, number)
        .await?
        .ok_or_else(missing)?;
    Ok(file_response(&row.content_type, &row.file_name, content))
}

/// A download: its type, `attachment` disposition with an RFC 6266 file name, no sniffing.
pub fn file_response(content_type: &str, file_name: &str, content: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(file_name, percent_encoding::NON_ALPHANUMERIC);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        content,
    )
        .into_response()
}

async fn act(
    state: AppState,
    access: Access<SupportReadWrite>,
    id: String,
    reason: Option<String>,
    action: CustomerAction,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state, &access.scope, &id).await?;
    let actor = CaseActor::customer(&state, &access.caller).await?;
    case_service::customer_action(&state, &case, &actor, action, reason.as_deref()).await?;
    let case = case_service::visible(&state, &access.scope, &id).await?;
    Ok(axum::Json(Case::from(case)).into_response())
}

/// An optional JSON body: absent, empty or `null` is `None`.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S>
    for OptionalJson<T>
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let has_body = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v != "0")
            && request.headers().contains_key(header::CONTENT_TYPE);
        if !has_body {
            return Ok(OptionalJson(None));
        }
        let ApiJson(value) = ApiJson::<Option<T>>::from_request(request, state).await?;
        Ok(OptionalJson(value))
    }
}

/// Close a resolved case.
#[utoipa::path(post, path = "/v2/cases/{caseId}/close", tag = "Cases", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001")), request_body(content = Option<ActionBody>, description = "Optional reason"),
    description = "Confirms the resolution: `Resolved` → `Closed`. Resolved cases also close by themselves after a number of days the provider configures.",
    responses((status = 200, body = Case), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The case is not Resolved; the detail names its status", body = Problem),
        (status = 422, body = Problem)))]
pub async fn close_case(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<Response, ApiError> {
    act(
        state,
        access,
        id,
        body.and_then(|b| b.reason),
        CustomerAction::Close,
    )
    .await
}

/// Reopen a resolved case.
#[utoipa::path(post, path = "/v2/cases/{caseId}/reopen", tag = "Cases", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001")), request_body = ReasonBody,
    description = "The problem is back: `Resolved` → `InProgress`. Say why in `reason`.",
    responses((status = 200, body = Case), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The case is not Resolved; the detail names its status", body = Problem),
        (status = 422, description = "No reason given", body = Problem)))]
pub async fn reopen_case(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Response, ApiError> {
    act(state, access, id, Some(body.reason), CustomerAction::Reopen).await
}

/// Cancel a case.
#[utoipa::path(post, path = "/v2/cases/{caseId}/cancel", tag = "Cases", security(("oauth2" = ["customerapi/support.read-write"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001")), request_body = ReasonBody,
    description = "Withdraws a case before it is resolved (`Acknowledged`, `InProgress`, `Pending` or `Held` → `Cancelled`). Say why in `reason`.",
    responses((status = 200, body = Case), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, description = "The case is already resolved or final; the detail names its status", body = Problem),
        (status = 422, description = "No reason given", body = Problem)))]
pub async fn cancel_case(
    State(state): State<AppState>,
    access: Access<SupportReadWrite>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Response, ApiError> {
    act(state, access, id, Some(body.reason), CustomerAction::Cancel).await
}

/// Get a case's RFO.
#[utoipa::path(get, path = "/v2/cases/{caseId}/rfo", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001")),
    description = "The reason for outage of an incident, once the provider has published it (first `Preliminary`, then `Final`). Until then: 404 with code `rfo_not_available`.",
    responses((status = 200, body = Rfo, headers(("ETag" = String))), (status = 304, description = "Not modified"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such case, or code `rfo_not_available`", body = Problem)))]
pub async fn get_rfo(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state, &access.scope, &id).await?;
    let rfo = rfo::published(&state, &case).await?;
    Ok(detail_response(&headers, &rfo))
}

/// Download a case's RFO as PDF.
#[utoipa::path(get, path = "/v2/cases/{caseId}/rfo/document", tag = "Cases", security(("oauth2" = ["customerapi/support.read"]), ("userToken" = [])),
    params(("caseId" = String, Path, pattern = "^CASE-[0-9]{7,18}$", description = "CASE-0000001")),
    responses((status = 200, description = "The RFO as a PDF document", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such case, or code `rfo_not_available`", body = Problem)))]
pub async fn rfo_document(
    State(state): State<AppState>,
    access: Access<SupportRead>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state, &access.scope, &id).await?;
    rfo_pdf(&state, &case).await
}

/// The published RFO of a case as its PDF download (also the portal's link).
pub(crate) async fn rfo_pdf(state: &AppState, case: &CaseRow) -> Result<Response, ApiError> {
    let rfo = rfo::published(state, case).await?;
    let case_id = IdKind::Case.format(case.id);
    let file_name = format!("RFO-{case_id}-v{}.pdf", rfo.version);
    let case = case.clone();
    let pdf =
        crate::documents::render_pdf(move || crate::documents::rfo::render(&case, &rfo)).await?;
    Ok(file_response("application/pdf", &file_name, pdf))
}

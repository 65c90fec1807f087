//! Support cases [support.read / support.read-write]: the list, one case with its
//! conversation, replies, attachments, close / reopen / cancel, and the RFO.

use axum::extract::{Multipart, OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::case::{CaseOrigin, CasePriority, CaseSubject, CaseType, CustomerAction};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::ListSpec;
use oneportal_store::cases::{self, CASES};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{Access, SupportRead, SupportReadWrite};
use crate::documents::downloads::{attachment_download, rfo_pdf};
use crate::http::ApiError;
use crate::http::json::ApiJson;
use crate::http::pagination::{
    Page, Total, detail_response, list_response, page_response, parse_list_query,
};
use crate::http::problem::Problem;
use crate::http::time::parse_time;
use crate::http::upload::read_file_part;
use crate::models::case::{Attachment, Case, CaseDetail, Communication, Contact};
use crate::services::cases::{self as case_service, CaseActor, CaseRequest};
use crate::services::rfo::{self, Rfo};
use crate::state::AppState;

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
    responses((status = 200, body = Page<Case>, headers(("X-Total-Count" = i64, description = "How many cases match, when at most 10,000 do"), ("X-Total-Count-At-Least" = i64, description = "Instead of X-Total-Count when more than 10,000 match: 10000 (the list counts no further; pagination.totalRelation is gte)"), ("Link" = String))),
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
            let page = {
                // Held for the reads only, not while the page is serialized.
                let db = state.db.reader().await?;
                cases::list_cases(&db, &access.scope, &query, &state.case_counts).await?
            };
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
            let detail = {
                // Held for the reads only, not while the answer is serialized.
                let db = state.db.reader().await?;
                let case = case_service::visible(&db, &access.scope, &id).await?;
                case_service::detail(&db, case).await?
            };
            // The ETag check is the cache's, on every answer, kept or new.
            Ok(detail_response(&HeaderMap::new(), &detail))
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
    let all = {
        let db = state.db.reader().await?;
        let case = case_service::visible(&db, &access.scope, &id).await?;
        case_service::detail(&db, case).await?.communications
    };
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
        Total::exact(page.pagination.total as i64),
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
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
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
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
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
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
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

async fn act(
    state: AppState,
    access: Access<SupportReadWrite>,
    id: String,
    reason: Option<String>,
    action: CustomerAction,
) -> Result<Response, ApiError> {
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
    let actor = CaseActor::customer(&state, &access.caller).await?;
    case_service::customer_action(&state, &case, &actor, action, reason.as_deref()).await?;
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
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
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
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
    let case = case_service::visible(&state.db, &access.scope, &id).await?;
    rfo_pdf(&state, &case).await
}

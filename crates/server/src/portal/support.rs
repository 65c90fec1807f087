//! Support: the case list, one case with its conversation, history and files,
//! replies, uploads, close / reopen / cancel, the new-case form and the RFO.
//! Every read and change goes through the same services, store queries and
//! access scope as `/v2/cases`; the portal adds no rule of its own.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::Permission;
use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CustomerAction, Mover,
};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::ListQuery;
use oneportal_store::cases::{self, CASES, CaseRow};
use oneportal_store::catalog::{self as catalog_store, AccessScope, SERVICES};

use super::charts::{self, Bar, Moment};
use super::csrf::CsrfForm;
use super::developer::day_time;
use super::error::{capitalize, fixable};
use super::layout::Layout;
use super::pager::{Pager, pager};
use super::require::{Require, SupportEdit, SupportView};
use super::session::Session;
use super::{PortalError, csrf, render};
use crate::documents::downloads::{attachment_download, rfo_pdf};
use crate::http::ApiError;
use crate::http::pagination::parse_list_query;
use crate::http::time::parse_time;
use crate::http::upload::read_file_part;
use crate::models::case::CaseDetail;
use crate::services::cases::detail;
use crate::services::cases::{self as case_service, CaseActor, CaseRequest};
use crate::services::rfo::{self, Rfo};
use crate::state::AppState;

const PAGE_SIZE: u32 = 25;
const OPEN_STATUSES: [CaseStatus; 4] = [
    CaseStatus::Acknowledged,
    CaseStatus::InProgress,
    CaseStatus::Pending,
    CaseStatus::Held,
];

fn case_href(id: i64) -> String {
    format!("/portal/support/cases/{}", IdKind::Case.format(id))
}

/// One row of the case list.
pub struct CaseLine {
    pub id: String,
    pub case_type: String,
    pub subject: String,
    pub priority: String,
    pub status: String,
    pub reference: String,
    pub service_id: String,
    pub updated: String,
    /// Opened by the provider's monitoring, not by a person.
    pub by_monitoring: bool,
}

impl From<&CaseRow> for CaseLine {
    fn from(c: &CaseRow) -> Self {
        CaseLine {
            id: IdKind::Case.format(c.id),
            case_type: c.case_type.to_string(),
            subject: c.subject.to_string(),
            priority: c.priority.to_string(),
            status: c.status.to_string(),
            reference: c.customer_reference.clone(),
            service_id: IdKind::Service.format(c.service_id),
            updated: day_time(c.updated_at),
            by_monitoring: c.origin == oneportal_domain::case::CaseOrigin::Monitoring,
        }
    }
}

/// A filter's choices, the chosen one marked.
pub struct Choice {
    pub value: &'static str,
    pub selected: bool,
}

pub(crate) fn choices(names: &[&'static str], chosen: &str) -> Vec<Choice> {
    names
        .iter()
        .map(|n| Choice {
            value: n,
            selected: *n == chosen,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/support/cases.html")]
struct CasesPage {
    layout: Layout,
    cases: Vec<CaseLine>,
    statuses: Vec<Choice>,
    types: Vec<Choice>,
    priorities: Vec<Choice>,
    search: String,
    pager: Pager,
    can_edit: bool,
    status_chart: String,
    priority_chart: String,
    status_counts: Vec<(String, i64)>,
    priority_counts: Vec<(String, i64)>,
}

/// Open cases by status and by priority, from one grouped count through the
/// same access rules as the API's list.
async fn open_counts(
    state: &AppState,
    scope: &AccessScope,
) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>), PortalError> {
    let statuses = OPEN_STATUSES.map(|s| s.as_str());
    let counts = cases::count_by_status_and_priority(&state.db, scope, &statuses).await?;
    let total = |matches: &dyn Fn(&cases::StatusPriorityCount) -> bool| -> i64 {
        counts.iter().filter(|c| matches(c)).map(|c| c.count).sum()
    };
    let by_status = statuses
        .iter()
        .map(|s| ((*s).to_owned(), total(&|c| c.status == *s)))
        .collect();
    let by_priority = CaseType::Incident
        .priorities()
        .iter()
        .map(|p| (p.as_str().to_owned(), total(&|c| c.priority == p.as_str())))
        .collect();
    Ok((by_status, by_priority))
}

fn count_chart(id: &str, title: &str, by: &str, counts: &[(String, i64)]) -> String {
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let bars: Vec<Bar> = counts
        .iter()
        .map(|(label, n)| Bar {
            label: label.clone(),
            value: *n as f64,
            shown: n.to_string(),
        })
        .collect();
    let description = format!(
        "{total} open cases: {}",
        counts
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    charts::bar_chart(id, title, &description, (by, "Open cases"), &bars)
}

pub async fn list(
    State(state): State<AppState>,
    session: Require<SupportView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut search = String::new();
    let mut chosen: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "q" => search = value,
            "status" | "type" | "priority" => {
                chosen.insert(name.clone(), value.clone());
                kept.push((name, value));
            }
            "offset" if search.is_empty() => kept.push((name, value)),
            _ => {}
        }
    }
    let mut api = kept.clone();
    if search.is_empty() {
        api.push(("limit".into(), PAGE_SIZE.to_string()));
    } else {
        // A reference search looks through the first 200 matches of the other filters.
        api.retain(|(n, _)| n != "offset");
        api.push(("limit".into(), "200".into()));
    }
    let encoded = serde_urlencoded::to_string(&api).unwrap_or_default();
    let query: ListQuery = parse_list_query(&CASES, Some(&encoded))?;
    let page = cases::list_cases(&state.db, &scope, &query, &state.case_counts).await?;
    let needle = search.to_lowercase();
    let lines: Vec<CaseLine> = page
        .rows
        .iter()
        .filter(|c| {
            needle.is_empty()
                || c.customer_reference.to_lowercase().contains(&needle)
                || IdKind::Case.format(c.id).to_lowercase().contains(&needle)
        })
        .map(CaseLine::from)
        .collect();
    let pager = if search.is_empty() {
        Pager {
            more: !page.total_exact,
            ..pager("/portal/support", &kept, &query, page.total, lines.len())
        }
    } else {
        Pager {
            from: u32::from(!lines.is_empty()),
            to: lines.len() as u32,
            total: lines.len() as i64,
            more: false,
            previous: String::new(),
            next: String::new(),
        }
    };
    let (status_counts, priority_counts) = open_counts(&state, &scope).await?;
    let pick = |name: &str| chosen.get(name).cloned().unwrap_or_default();
    render::page(&CasesPage {
        layout: Layout::for_session(&state, &session, "Support", "support").await,
        cases: lines,
        statuses: choices(CaseStatus::NAMES, &pick("status")),
        types: choices(CaseType::NAMES, &pick("type")),
        priorities: choices(CasePriority::NAMES, &pick("priority")),
        search,
        pager,
        can_edit: session.user.permissions.contains(Permission::SupportEdit),
        status_chart: count_chart(
            "open-by-status",
            "Open cases by status",
            "Status",
            &status_counts,
        ),
        priority_chart: count_chart(
            "open-by-priority",
            "Open cases by priority",
            "Priority",
            &priority_counts,
        ),
        status_counts,
        priority_counts,
    })
}

/// What went wrong with one of the case page's forms, shown beside it.
#[derive(Default)]
pub struct Notices {
    pub reply: String,
    pub reply_text: String,
    pub upload: String,
    pub action: String,
    pub action_name: &'static str,
}

/// A customer action the status machine allows from the case's status.
pub struct ActionButton {
    pub name: &'static str,
    pub label: &'static str,
    pub reason_required: bool,
}

const ACTIONS: [(CustomerAction, &str, &str); 3] = [
    (CustomerAction::Close, "close", "Close the case"),
    (CustomerAction::Reopen, "reopen", "Reopen the case"),
    (CustomerAction::Cancel, "cancel", "Cancel the case"),
];

fn allowed_actions(status: CaseStatus) -> Vec<ActionButton> {
    ACTIONS
        .iter()
        .filter(|(action, _, _)| status.may_move(action.target(), Mover::Customer))
        .map(|(action, name, label)| ActionButton {
            name,
            label,
            reason_required: !matches!(action, CustomerAction::Close),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/support/case.html")]
struct CasePage {
    layout: Layout,
    case: CaseDetail,
    id: String,
    is_incident: bool,
    is_final: bool,
    can_edit: bool,
    actions: Vec<ActionButton>,
    notices: Notices,
    max_upload: String,
    accept: String,
    timeline_chart: String,
}

async fn case_page(
    state: &AppState,
    session: &Session,
    case: CaseRow,
    status: StatusCode,
    notices: Notices,
) -> Result<Response, PortalError> {
    let id = IdKind::Case.format(case.id);
    let is_incident = case.case_type == CaseType::Incident;
    let status_now = case.status();
    // A case with a published RFO shows its incident timeline.
    let timeline_chart = match case.rfo_status {
        Some(_) => rfo::published(state, &case)
            .await
            .map(|r| rfo_timeline(&r))
            .unwrap_or_default(),
        None => String::new(),
    };
    let detail = detail(&state.db, case).await?;
    let can_edit = session.user.permissions.contains(Permission::SupportEdit);
    let max = state.config.cases.attachment_max_bytes;
    render::page_with_status(
        status,
        &CasePage {
            layout: Layout::for_session(state, session, id.clone(), "support").await,
            case: detail,
            is_incident,
            is_final: status_now.is_final(),
            can_edit,
            actions: if can_edit {
                allowed_actions(status_now)
            } else {
                Vec::new()
            },
            notices,
            max_upload: format!("{:.1} MiB", max as f64 / (1024.0 * 1024.0)),
            accept: case_service::ALLOWED_ATTACHMENT_TYPES.join(","),
            timeline_chart,
            id,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let case = case_service::visible(&state.db, &session.user.access_scope(), &id).await?;
    case_page(&state, &session, case, StatusCode::OK, Notices::default()).await
}

pub async fn reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<SupportEdit>>,
) -> Result<Response, PortalError> {
    let case = case_service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let message = fields.text("message");
    let actor = CaseActor::person(&session.user);
    match case_service::reply(&state, &case, &actor, &message).await {
        Ok(_) => Ok(Redirect::to(&format!("{}#thread-end", case_href(case.id))).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let notices = Notices {
                reply: text,
                reply_text: message,
                ..Notices::default()
            };
            case_page(&state, &session, case, status, notices).await
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Require<SupportEdit>,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PortalError> {
    // The form puts the token first, so it is checked before the file is read;
    // scripts may send it as a header instead.
    let mut multipart = multipart.map_err(|_| PortalError::BadForm)?;
    let header_token = headers
        .get(csrf::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let token = match header_token {
        Some(token) => Some(token),
        None => match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.ok(),
            _ => None,
        },
    };
    csrf::verify(&state, &headers, &session, token.as_deref())?;
    let case = case_service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let max = state.config.cases.attachment_max_bytes;
    let result = match read_file_part(&mut multipart, max).await {
        Ok(file) if file.content.is_empty() && file.file_name == "attachment" => {
            Err(ApiError::validation(vec![crate::http::FieldError::new(
                "file",
                "required",
                "choose a file to upload",
            )]))
        }
        Ok(file) => {
            let actor = CaseActor::person(&session.user);
            case_service::attach(&state, &case, &actor, file).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("{}#files", case_href(case.id))).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let notices = Notices {
                upload: text,
                ..Notices::default()
            };
            case_page(&state, &session, case, status, notices).await
        }
    }
}

pub async fn download(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    Ok(attachment_download(&state, &session.user.access_scope(), &id, &attachment_id).await?)
}

async fn act(
    state: AppState,
    CsrfForm(session, fields): CsrfForm<Require<SupportEdit>>,
    id: String,
    action: CustomerAction,
    name: &'static str,
) -> Result<Response, PortalError> {
    let case = case_service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let reason = fields.text("reason");
    let actor = CaseActor::person(&session.user);
    match case_service::customer_action(&state, &case, &actor, action, Some(&reason)).await {
        Ok(()) => Ok(Redirect::to(&case_href(case.id)).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let notices = Notices {
                action: text,
                action_name: name,
                ..Notices::default()
            };
            case_page(&state, &session, case, status, notices).await
        }
    }
}

/// Close, reopen or cancel: the action is the last path segment.
pub async fn customer_move(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    form: CsrfForm<Require<SupportEdit>>,
) -> Result<Response, PortalError> {
    let (action, name) = match action.as_str() {
        "close" => (CustomerAction::Close, "close"),
        "reopen" => (CustomerAction::Reopen, "reopen"),
        "cancel" => (CustomerAction::Cancel, "cancel"),
        _ => return Err(PortalError::NotFound),
    };
    act(state, form, id, action, name).await
}

/// A service the new case can be about.
pub struct ServiceChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// What the new-case form was filled with, and the errors beside each field.
#[derive(Default)]
pub struct NewCaseForm {
    pub subject: String,
    pub priority: String,
    pub service_id: String,
    pub message: String,
    pub start: String,
    pub end: String,
    pub reference: String,
    pub related: String,
    pub errors: HashMap<String, String>,
    pub general: Vec<String>,
}

impl NewCaseForm {
    /// The error for one field (by its JSON pointer name), or "".
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "portal/support/new.html")]
struct NewCasePage {
    layout: Layout,
    /// None until the type is chosen (the first step).
    case_type: Option<&'static str>,
    is_incident: bool,
    types: Vec<Choice>,
    subjects: Vec<Choice>,
    priorities: Vec<Choice>,
    services: Vec<ServiceChoice>,
    form: NewCaseForm,
}

async fn service_choices(
    state: &AppState,
    scope: &AccessScope,
    chosen: &str,
) -> Result<Vec<ServiceChoice>, PortalError> {
    let query = parse_list_query(&SERVICES, Some("limit=200&sort=serviceName"))
        .or_else(|_| parse_list_query(&SERVICES, Some("limit=200")))?;
    Ok(catalog_store::list_services(&state.db, scope, None, &query)
        .await?
        .rows
        .into_iter()
        .map(|s| {
            let id = IdKind::Service.format(s.id);
            ServiceChoice {
                label: format!("{} ({id})", s.service_name),
                selected: id == chosen,
                id,
            }
        })
        .collect())
}

async fn new_case_page(
    state: &AppState,
    session: &Session,
    case_type: Option<CaseType>,
    form: NewCaseForm,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let services = match case_type {
        Some(_) => service_choices(state, &session.user.access_scope(), &form.service_id).await?,
        None => Vec::new(),
    };
    let names = |list: Vec<&'static str>, chosen: &str| {
        list.into_iter()
            .map(|value| Choice {
                value,
                selected: value == chosen,
            })
            .collect::<Vec<_>>()
    };
    let page = NewCasePage {
        layout: Layout::for_session(state, session, "New case", "support").await,
        case_type: case_type.map(CaseType::as_str),
        is_incident: case_type == Some(CaseType::Incident),
        types: choices(CaseType::NAMES, case_type.map_or("", CaseType::as_str)),
        subjects: names(
            case_type
                .map(|t| t.subjects().iter().map(|s| s.as_str()).collect())
                .unwrap_or_default(),
            &form.subject,
        ),
        priorities: names(
            case_type
                .map(|t| t.priorities().iter().map(|p| p.as_str()).collect())
                .unwrap_or_default(),
            &form.priority,
        ),
        services,
        form,
    };
    render::page_with_status(status, &page)
}

pub async fn new_form(
    State(state): State<AppState>,
    session: Require<SupportEdit>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let case_type = pairs
        .iter()
        .find(|(n, _)| n == "type")
        .and_then(|(_, v)| CaseType::parse(v));
    let form = NewCaseForm {
        service_id: pairs
            .iter()
            .find(|(n, _)| n == "serviceId")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        ..NewCaseForm::default()
    };
    new_case_page(&state, &session, case_type, form, StatusCode::OK).await
}

/// A `datetime-local` value (`2026-11-26T08:15`, taken as UTC) or an RFC 3339 time.
fn form_time(pointer: &str, text: &str) -> Result<Option<i64>, crate::http::FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let full = match text.len() {
        16 => format!("{text}:00Z"),
        19 => format!("{text}Z"),
        _ => text.to_owned(),
    };
    parse_time(pointer, &full).map(Some)
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<Require<SupportEdit>>,
) -> Result<Response, PortalError> {
    let Some(case_type) = CaseType::parse(&fields.text("type")) else {
        return new_case_page(
            &state,
            &session,
            None,
            NewCaseForm {
                general: vec!["Choose the type of case first.".into()],
                ..NewCaseForm::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut form = NewCaseForm {
        subject: fields.text("subject"),
        priority: fields.text("priority"),
        service_id: fields.text("serviceId"),
        message: fields.text("message"),
        start: fields.text("startOfIncident"),
        end: fields.text("endOfIncident"),
        reference: fields.text("customerReference"),
        related: fields.text("relatedCaseId").trim().to_owned(),
        ..NewCaseForm::default()
    };
    let mut errors = Vec::new();
    let subject = CaseSubject::parse(&form.subject);
    if subject.is_none() {
        errors.push(("subject", "Choose a subject.".to_owned()));
    }
    let priority = CasePriority::parse(&form.priority);
    if priority.is_none() {
        errors.push(("priority", "Choose a priority.".to_owned()));
    }
    let start = form_time("/startOfIncident", &form.start)
        .map_err(|e| errors.push(("startOfIncident", e.detail)))
        .unwrap_or(None);
    let end = form_time("/endOfIncident", &form.end)
        .map_err(|e| errors.push(("endOfIncident", e.detail)))
        .unwrap_or(None);
    let result = match (subject, priority, errors.is_empty()) {
        (Some(subject), Some(priority), true) => {
            let actor = CaseActor::person(&session.user);
            case_service::open(
                &state,
                &session.user.access_scope(),
                &actor,
                CaseRequest {
                    case_type,
                    subject,
                    priority,
                    service_id: form.service_id.clone(),
                    message: form.message.clone(),
                    start_of_incident: start,
                    end_of_incident: end,
                    customer_reference: form.reference.clone(),
                    related_case_id: (!form.related.is_empty()).then(|| form.related.clone()),
                    contact_name: String::new(),
                    contact_email: None,
                    contact_phone: String::new(),
                    origin: CaseOrigin::Portal,
                },
            )
            .await
            .map_err(Some)
        }
        _ => Err(None),
    };
    match result {
        Ok(case) => Ok(Redirect::to(&case_href(case.id)).into_response()),
        Err(Some(ApiError::Unprocessable { errors: found, .. })) => {
            for e in found {
                let field = e.pointer.trim_start_matches('/').replace('/', ".");
                form.errors
                    .entry(field)
                    .or_insert_with(|| capitalize(&e.detail));
            }
            new_case_page(
                &state,
                &session,
                Some(case_type),
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Some(other)) => Err(other.into()),
        Err(None) => {
            for (field, text) in errors {
                form.errors.insert(field.to_owned(), capitalize(&text));
            }
            new_case_page(
                &state,
                &session,
                Some(case_type),
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "portal/support/rfo.html")]
struct RfoPage {
    layout: Layout,
    id: String,
    rfo: Option<Rfo>,
    not_available: String,
    timeline_chart: String,
}

fn rfo_timeline(rfo: &Rfo) -> String {
    let mut moments: Vec<Moment> = Vec::new();
    let mut add = |at: &str, what: &str| {
        if let Ok(ms) = parse_time("", at) {
            moments.push(Moment {
                at_ms: ms,
                when: day_time(ms),
                what: what.to_owned(),
            });
        }
    };
    add(&rfo.content.incident_start, "Service first affected");
    add(&rfo.content.detected, "Detected by the provider");
    for entry in &rfo.content.timeline {
        add(&entry.at, &entry.description);
    }
    if let Some(restored) = &rfo.content.restored {
        add(restored, "Service restored");
    }
    moments.sort_by_key(|m| m.at_ms);
    charts::timeline(
        "incident-timeline",
        &format!("Timeline of incident {}", rfo.case_id),
        &moments,
    )
}

pub async fn rfo_view(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let case = case_service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let id = IdKind::Case.format(case.id);
    let (rfo, not_available) = match rfo::published(&state, &case).await {
        Ok(rfo) => (Some(rfo), String::new()),
        Err(ApiError::NotFound {
            code: "rfo_not_available",
            detail,
        }) => (None, capitalize(&detail)),
        Err(other) => return Err(other.into()),
    };
    let timeline_chart = rfo.as_ref().map(rfo_timeline).unwrap_or_default();
    render::page(&RfoPage {
        layout: Layout::for_session(&state, &session, format!("RFO for {id}"), "support").await,
        id,
        rfo,
        not_available,
        timeline_chart,
    })
}

pub async fn rfo_document(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let case = case_service::visible(&state.db, &session.user.access_scope(), &id).await?;
    Ok(rfo_pdf(&state, &case).await?)
}

/// The Support section's pages.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/portal/support", get(list))
        .route("/portal/support/new", get(new_form))
        .route("/portal/support/maintenance", get(super::maintenance::list))
        .route(
            "/portal/support/maintenance/{maintenance_id}",
            get(super::maintenance::show),
        )
        .route("/portal/support/cases", post(create))
        .route("/portal/support/cases/{case_id}", get(show))
        .route("/portal/support/cases/{case_id}/reply", post(reply))
        .route(
            "/portal/support/cases/{case_id}/attachments",
            // Uploads enforce the attachment limit themselves, chunk by chunk.
            post(upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/portal/support/cases/{case_id}/attachments/{attachment_id}",
            get(download),
        )
        .route(
            "/portal/support/cases/{case_id}/{action}",
            post(customer_move),
        )
        .route("/portal/support/cases/{case_id}/rfo", get(rfo_view))
        .route("/portal/support/cases/{case_id}/rfo.pdf", get(rfo_document))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_follow_the_customer_moves_of_the_status_machine() {
        let names = |s| {
            allowed_actions(s)
                .iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(CaseStatus::Resolved), ["close", "reopen"]);
        assert_eq!(names(CaseStatus::Pending), ["cancel"]);
        assert!(names(CaseStatus::Closed).is_empty());
        assert!(allowed_actions(CaseStatus::Acknowledged)[0].reason_required);
    }

    #[test]
    fn form_times_are_utc() {
        assert_eq!(form_time("/s", "").unwrap(), None);
        assert_eq!(form_time("/s", "1970-01-01T00:01").unwrap(), Some(60_000));
        assert!(form_time("/s", "yesterday").is_err());
    }
}

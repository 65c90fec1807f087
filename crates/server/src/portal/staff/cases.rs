//! The case queue across customers, and one case as the provider works it:
//! status changes (only the moves the status machine allows the provider),
//! public replies and the RFO (preliminary, then final). The changes go through
//! `services::cases::provider_move`, `provider_reply` and `services::rfo::publish`,
//! as `/ops/v1/cases/…` does.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::case::{CasePriority, CaseStatus, CaseType, Mover, RfoImpact, RfoStatus};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::ListQuery;
use oneportal_store::cases::{self, CASES, CaseRow};
use oneportal_store::orgs;

use super::StaffSession;
use super::frame::layout;
use crate::documents::downloads::{attachment_download, rfo_pdf};
use crate::http::ApiError;
use crate::http::pagination::parse_list_query;
use crate::models::case::CaseDetail;
use crate::portal::csrf::CsrfForm;
use crate::portal::developer::day_time;
use crate::portal::error::{capitalize, fixable};
use crate::portal::form::FormFields;
use crate::portal::pager::{Pager, pager};
use crate::portal::support::{Choice, choices};
use crate::portal::{PortalError, render};
use crate::services::cases as case_service;
use crate::services::cases::detail;
use crate::services::rfo::{self, RfoContent, TimelineEntry};
use crate::state::AppState;

const PAGE_SIZE: u32 = 25;

fn case_href(id: i64) -> String {
    format!("/staff/cases/{}", IdKind::Case.format(id))
}

async fn any_case(state: &AppState, id: &str) -> Result<CaseRow, PortalError> {
    let found = match IdKind::Case.parse(id) {
        Some(number) => cases::find_case_anywhere(&state.db, number).await?,
        None => None,
    };
    found.ok_or_else(|| ApiError::not_found(format!("there is no case '{id}'")).into())
}

/// Organization names by id, for the queue and the case page.
async fn organization_names(state: &AppState) -> Result<HashMap<i64, String>, PortalError> {
    Ok(orgs::list_organizations(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

pub struct QueueLine {
    pub id: String,
    pub organization: String,
    pub organization_id: String,
    pub case_type: String,
    pub subject: String,
    pub priority: String,
    pub status: String,
    pub updated: String,
}

pub struct OrgChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/staff/queue.html")]
struct QueuePage {
    layout: crate::portal::layout::Layout,
    cases: Vec<QueueLine>,
    statuses: Vec<Choice>,
    types: Vec<Choice>,
    priorities: Vec<Choice>,
    organizations: Vec<OrgChoice>,
    pager: Pager,
}

/// Every customer's cases, newest change first, filtered by status, type, priority and organization.
pub async fn queue(
    State(state): State<AppState>,
    session: StaffSession,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut chosen: HashMap<String, String> = HashMap::new();
    let mut org_id = None;
    for (name, value) in pairs {
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "status" | "type" | "priority" | "offset" => {
                chosen.insert(name.clone(), value.clone());
                kept.push((name, value));
            }
            "organization" => {
                org_id = Some(IdKind::Organization.parse(&value).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("'{value}' is not an organization id like ORG-000001"),
                    )
                })?);
                chosen.insert(name.clone(), value.clone());
                kept.push((name, value));
            }
            _ => {}
        }
    }
    let mut api: Vec<(String, String)> = kept
        .iter()
        .filter(|(n, _)| n != "organization")
        .cloned()
        .collect();
    api.push(("limit".into(), PAGE_SIZE.to_string()));
    let encoded = serde_urlencoded::to_string(&api).unwrap_or_default();
    let query: ListQuery = parse_list_query(&CASES, Some(&encoded))?;
    let page = cases::list_case_queue(&state.db, org_id, &query).await?;
    let names = organization_names(&state).await?;
    let lines: Vec<QueueLine> = page
        .rows
        .iter()
        .map(|c| QueueLine {
            id: IdKind::Case.format(c.id),
            organization: names.get(&c.org_id).cloned().unwrap_or_default(),
            organization_id: IdKind::Organization.format(c.org_id),
            case_type: c.case_type.to_string(),
            subject: c.subject.to_string(),
            priority: c.priority.to_string(),
            status: c.status.to_string(),
            updated: day_time(c.updated_at),
        })
        .collect();
    let pick = |name: &str| chosen.get(name).cloned().unwrap_or_default();
    let mut organizations: Vec<OrgChoice> = names
        .into_iter()
        .map(|(id, name)| OrgChoice {
            selected: Some(id) == org_id,
            id: IdKind::Organization.format(id),
            name,
        })
        .collect();
    organizations.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let shown = lines.len();
    render::page(&QueuePage {
        layout: layout(&session, "Case queue", "cases"),
        cases: lines,
        statuses: choices(CaseStatus::NAMES, &pick("status")),
        types: choices(CaseType::NAMES, &pick("type")),
        priorities: choices(CasePriority::NAMES, &pick("priority")),
        organizations,
        pager: Pager {
            more: !page.total_exact,
            ..pager("/staff/cases", &kept, &query, page.total, shown)
        },
    })
}

/// What the RFO form shows: the published RFO, what was just typed, or a start.
#[derive(Default)]
pub struct RfoForm {
    pub status: String,
    pub affected: String,
    pub impact: String,
    pub incident_start: String,
    pub detected: String,
    pub restored: String,
    pub excluded_minutes: String,
    pub root_cause_category: String,
    pub root_cause: String,
    pub responsible_party: String,
    pub timeline: String,
    pub workaround: String,
    pub corrective: String,
    pub preventive: String,
    pub sla_breached: bool,
}

impl RfoForm {
    fn from_content(status: RfoStatus, c: &RfoContent) -> RfoForm {
        RfoForm {
            status: status.as_str().into(),
            affected: c.affected_service_ids.join(", "),
            impact: c.impact.as_str().into(),
            incident_start: c.incident_start.clone(),
            detected: c.detected.clone(),
            restored: c.restored.clone().unwrap_or_default(),
            excluded_minutes: c.excluded_minutes.to_string(),
            root_cause_category: c.root_cause_category.clone(),
            root_cause: c.root_cause.clone(),
            responsible_party: c.responsible_party.clone(),
            timeline: c
                .timeline
                .iter()
                .map(|t| format!("{} | {}", t.at, t.description))
                .collect::<Vec<_>>()
                .join("\n"),
            workaround: c.workaround.clone(),
            corrective: c.corrective_actions.join("\n"),
            preventive: c.preventive_actions.join("\n"),
            sla_breached: c.sla_breached,
        }
    }

    fn from_fields(fields: &FormFields) -> RfoForm {
        RfoForm {
            status: fields.text("status"),
            affected: fields.text("affectedServiceIds"),
            impact: fields.text("impact"),
            incident_start: fields.text("incidentStart"),
            detected: fields.text("detected"),
            restored: fields.text("restored"),
            excluded_minutes: fields.text("excludedMinutes"),
            root_cause_category: fields.text("rootCauseCategory"),
            root_cause: fields.text("rootCause"),
            responsible_party: fields.text("responsibleParty"),
            timeline: fields.text("timeline"),
            workaround: fields.text("workaround"),
            corrective: fields.text("correctiveActions"),
            preventive: fields.text("preventiveActions"),
            sla_breached: fields.get("slaBreached").is_some(),
        }
    }

    /// The form's fields as the service's content; each problem names its field.
    fn content(&self) -> Result<(RfoStatus, RfoContent), Vec<String>> {
        let mut errors = Vec::new();
        let status = RfoStatus::parse(self.status.trim());
        if status.is_none() {
            errors.push("Status: choose Preliminary or Final.".to_owned());
        }
        let impact = RfoImpact::parse(self.impact.trim());
        if impact.is_none() {
            errors.push(format!(
                "Impact: choose one of {}.",
                RfoImpact::NAMES.join(", ")
            ));
        }
        let excluded_minutes = match self.excluded_minutes.trim() {
            "" => 0,
            text => text.parse::<i64>().unwrap_or_else(|_| {
                errors.push(format!(
                    "Excluded minutes: '{text}' is not a whole number of minutes."
                ));
                0
            }),
        };
        let mut timeline = Vec::new();
        for (i, line) in lines(&self.timeline).into_iter().enumerate() {
            match line.split_once('|') {
                Some((at, description)) if !description.trim().is_empty() => {
                    timeline.push(TimelineEntry {
                        at: form_time(at),
                        description: description.trim().to_owned(),
                    })
                }
                _ => errors.push(format!(
                    "Timeline line {}: write it as 'time | what happened'.",
                    i + 1
                )),
            }
        }
        let (Some(status), Some(impact)) = (status, impact) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let restored = match self.restored.trim() {
            "" => None,
            text => Some(form_time(text)),
        };
        Ok((
            status,
            RfoContent {
                affected_service_ids: self
                    .affected
                    .split([',', ' ', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                impact,
                incident_start: form_time(&self.incident_start),
                detected: form_time(&self.detected),
                restored,
                excluded_minutes,
                root_cause_category: self.root_cause_category.trim().to_owned(),
                root_cause: self.root_cause.trim().to_owned(),
                responsible_party: self.responsible_party.trim().to_owned(),
                timeline,
                workaround: self.workaround.trim().to_owned(),
                corrective_actions: lines(&self.corrective),
                preventive_actions: lines(&self.preventive),
                sla_breached: self.sla_breached,
            },
        ))
    }
}

/// The RFO form's label for a field the service names by JSON Pointer.
fn field_label(pointer: &str) -> String {
    let field = pointer.trim_start_matches('/');
    let (name, rest) = field.split_once('/').unwrap_or((field, ""));
    let label = match name {
        "affectedServiceIds" => "Affected services",
        "impact" => "Impact",
        "incidentStart" => "Incident start",
        "detected" => "Detected",
        "restored" => "Restored",
        "excludedMinutes" => "Excluded minutes",
        "rootCauseCategory" => "Root cause category",
        "rootCause" => "Root cause",
        "responsibleParty" => "Responsible party",
        "timeline" => "Timeline",
        _ => return capitalize(field),
    };
    match rest.split('/').next().and_then(|i| i.parse::<usize>().ok()) {
        Some(index) => format!("{label} (line {})", index + 1),
        None => label.to_owned(),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A minute (`2026-11-26T08:15`, a browser's `datetime-local`, or with `Z`) is taken as UTC;
/// RFC 3339 passes as is.
fn form_time(text: &str) -> String {
    let text = text.trim();
    let text = if text.len() == 17 {
        text.strip_suffix('Z').unwrap_or(text)
    } else {
        text
    };
    if text.len() == 16 && text.as_bytes().get(10) == Some(&b'T') {
        format!("{text}:00Z")
    } else {
        text.to_owned()
    }
}

/// What went wrong with one of the case page's forms, shown beside it.
#[derive(Default)]
pub struct Notices {
    pub status: String,
    pub reply: String,
    pub reply_text: String,
    pub rfo: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/staff/case.html")]
struct CasePage {
    layout: crate::portal::layout::Layout,
    case: CaseDetail,
    id: String,
    organization: String,
    organization_id: String,
    moves: Vec<&'static str>,
    is_incident: bool,
    is_final: bool,
    rfo_version: i64,
    rfo_form: RfoForm,
    rfo_statuses: Vec<Choice>,
    impacts: Vec<Choice>,
    notices: Notices,
}

async fn case_page(
    state: &AppState,
    session: &StaffSession,
    case: CaseRow,
    status: StatusCode,
    notices: Notices,
    typed_rfo: Option<RfoForm>,
) -> Result<Response, PortalError> {
    let id = IdKind::Case.format(case.id);
    let now = case.status();
    let moves = CaseStatus::ALL
        .into_iter()
        .filter(|to| now.may_move(*to, Mover::Provider))
        .map(CaseStatus::as_str)
        .collect();
    let published = match case.rfo_status {
        Some(_) => Some(rfo::published(state, &case).await?),
        None => None,
    };
    let rfo_version = published.as_ref().map(|r| r.version).unwrap_or_default();
    let rfo_form = match (typed_rfo, &published) {
        (Some(typed), _) => typed,
        (None, Some(rfo)) => RfoForm::from_content(rfo.status, &rfo.content),
        (None, None) => RfoForm {
            status: RfoStatus::Preliminary.as_str().into(),
            affected: IdKind::Service.format(case.service_id),
            impact: RfoImpact::Down.as_str().into(),
            incident_start: case
                .start_of_incident
                .map(crate::http::time::rfc3339)
                .unwrap_or_default(),
            excluded_minutes: "0".into(),
            ..RfoForm::default()
        },
    };
    let names = organization_names(state).await?;
    let organization = names.get(&case.org_id).cloned().unwrap_or_default();
    let organization_id = IdKind::Organization.format(case.org_id);
    let is_incident = case.case_type == CaseType::Incident;
    let is_final = now.is_final();
    let detail = detail(&state.db, case).await?;
    render::page_with_status(
        status,
        &CasePage {
            layout: layout(session, id.clone(), "cases"),
            case: detail,
            organization,
            organization_id,
            moves,
            is_incident,
            is_final,
            rfo_version,
            rfo_statuses: choices(RfoStatus::NAMES, &rfo_form.status),
            impacts: choices(RfoImpact::NAMES, &rfo_form.impact),
            rfo_form,
            notices,
            id,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let case = any_case(&state, &id).await?;
    case_page(
        &state,
        &session,
        case,
        StatusCode::OK,
        Notices::default(),
        None,
    )
    .await
}

pub async fn change_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let case = any_case(&state, &id).await?;
    let reason = fields.text("reason");
    let result = match CaseStatus::parse(fields.text("status").trim()) {
        None => Err(ApiError::validation(vec![crate::http::FieldError::new(
            "/status",
            "required",
            "choose the status to move the case to",
        )])),
        Some(_) if reason.trim().chars().count() > 2000 => {
            Err(ApiError::validation(vec![crate::http::FieldError::new(
                "/reason",
                "too_long",
                "the reason is at most 2000 characters",
            )]))
        }
        Some(to) => {
            case_service::provider_move(&state, &case, &session.case_actor(), to, reason.trim())
                .await
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&case_href(case.id)).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let notices = Notices {
                status: text,
                ..Notices::default()
            };
            case_page(&state, &session, case, status, notices, None).await
        }
    }
}

pub async fn reply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let case = any_case(&state, &id).await?;
    let message = fields.text("message");
    let result = if case.status().is_final() {
        Err(ApiError::conflict(
            "case_final",
            format!(
                "{} is {}; it takes no more replies",
                IdKind::Case.format(case.id),
                case.status
            ),
        ))
    } else {
        case_service::provider_reply(&state, &case, &session.case_actor(), &message, None)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}#thread-end", case_href(case.id))).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let notices = Notices {
                reply: text,
                reply_text: message,
                ..Notices::default()
            };
            case_page(&state, &session, case, status, notices, None).await
        }
    }
}

pub async fn publish_rfo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let case = any_case(&state, &id).await?;
    let typed = RfoForm::from_fields(&fields);
    let refusal = match typed.content() {
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Ok((status, content)) => {
            match rfo::publish(&state, &case, &session.case_actor(), status, &content).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("{}#rfo", case_href(case.id))).into_response());
                }
                Err(ApiError::Unprocessable { errors, .. }) if !errors.is_empty() => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", field_label(&e.pointer), e.detail))
                        .collect(),
                ),
                Err(error) => {
                    let (status, text) = fixable(error)?;
                    (status, vec![text])
                }
            }
        }
    };
    let (status, errors) = refusal;
    let notices = Notices {
        rfo: errors,
        ..Notices::default()
    };
    case_page(&state, &session, case, status, notices, Some(typed)).await
}

/// A file on the case, as the customer's people download it.
pub async fn download(
    State(state): State<AppState>,
    _session: StaffSession,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let case = any_case(&state, &id).await?;
    let scope = oneportal_store::catalog::AccessScope::whole_organization(case.org_id);
    Ok(attachment_download(&state, &scope, &id, &attachment_id).await?)
}

/// The RFO's PDF, exactly as the customer downloads it.
pub async fn rfo_document(
    State(state): State<AppState>,
    _session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let case = any_case(&state, &id).await?;
    Ok(rfo_pdf(&state, &case).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_times_are_utc_and_rfc3339_passes() {
        assert_eq!(form_time("2026-11-26T08:15"), "2026-11-26T08:15:00Z");
        assert_eq!(form_time("2026-11-26T08:15Z"), "2026-11-26T08:15:00Z");
        assert_eq!(form_time(" 2026-11-26T08:15:00Z "), "2026-11-26T08:15:00Z");
    }

    #[test]
    fn service_pointers_become_the_forms_labels() {
        assert_eq!(field_label("/restored"), "Restored");
        assert_eq!(field_label("/timeline/1/at"), "Timeline (line 2)");
        assert_eq!(
            field_label("/affectedServiceIds/0"),
            "Affected services (line 1)"
        );
    }

    #[test]
    fn each_rfo_form_problem_names_its_field() {
        let form = RfoForm {
            status: "Draft".into(),
            impact: "Down".into(),
            excluded_minutes: "ten".into(),
            timeline: "08:15 without a bar".into(),
            ..RfoForm::default()
        };
        let errors = form.content().unwrap_err();
        assert!(errors[0].starts_with("Status"));
        assert!(errors.iter().any(|e| e.starts_with("Excluded minutes")));
        assert!(errors.iter().any(|e| e.starts_with("Timeline line 1")));
    }
}

//! Reasons for outage: the provider writes them (preliminary, then final) on an
//! incident case; the customer reads them as JSON or PDF.

use oneportal_domain::case::{RfoImpact, RfoStatus};
use oneportal_domain::ids::IdKind;
use oneportal_store::cases::{self, CaseRow, RfoRow};
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::{Exec, StoreError, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::cases::CaseActor;
use crate::audit::Event;
use crate::http::time::{parse_time, rfc3339};
use crate::http::{ApiError, FieldError};
use crate::models::event::RfoPublished;
use crate::state::AppState;

/// One moment of the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimelineEntry {
    /// RFC 3339.
    pub at: String,
    pub description: String,
}

/// What the provider writes; status, version and issue date are kept beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RfoContent {
    /// Services the outage touched (`SVC-000001`).
    pub affected_service_ids: Vec<String>,
    pub impact: RfoImpact,
    /// RFC 3339: when the service was first affected.
    pub incident_start: String,
    /// RFC 3339: when the provider noticed.
    pub detected: String,
    /// RFC 3339: when service was restored; absent while it is not.
    #[serde(default)]
    pub restored: Option<String>,
    /// Minutes not counted against the SLA (planned work, customer-side causes).
    #[serde(default)]
    pub excluded_minutes: i64,
    #[schema(example = "FiberCut")]
    pub root_cause_category: String,
    pub root_cause: String,
    #[schema(example = "ThirdPartyCarrier")]
    pub responsible_party: String,
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    #[serde(default)]
    pub workaround: String,
    #[serde(default)]
    pub corrective_actions: Vec<String>,
    #[serde(default)]
    pub preventive_actions: Vec<String>,
    #[serde(default)]
    pub sla_breached: bool,
}

/// An RFO as customers read it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rfo {
    #[schema(example = "CASE-0000001")]
    pub case_id: String,
    pub status: RfoStatus,
    /// Raised each time the provider publishes a change.
    pub version: i64,
    pub issued_date: String,
    /// From incident start to restoration, minus excluded minutes; null while not restored.
    pub duration_minutes: Option<i64>,
    #[serde(flatten)]
    pub content: RfoContent,
}

impl Rfo {
    pub fn from_row(row: &RfoRow) -> Result<Rfo, ApiError> {
        let content: RfoContent = serde_json::from_str(&row.body)
            .map_err(|e| ApiError::Internal(format!("stored RFO does not parse: {e}")))?;
        let duration = match (&content.restored, parse_time("", &content.incident_start)) {
            (Some(restored), Ok(start)) => parse_time("", restored)
                .ok()
                .map(|end| ((end - start) / 60_000 - content.excluded_minutes).max(0)),
            _ => None,
        };
        Ok(Rfo {
            case_id: IdKind::Case.format(row.case_id),
            status: row.status,
            version: row.version,
            issued_date: rfc3339(row.issued_at),
            duration_minutes: duration,
            content,
        })
    }
}

/// Checks the content a person wrote; each error names its field.
pub(crate) fn check(content: &RfoContent) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut time = |pointer: &str, text: &str| match parse_time(pointer, text) {
        Ok(at) => Some(at),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let start = time("/incidentStart", &content.incident_start);
    let detected = time("/detected", &content.detected);
    let restored = content
        .restored
        .as_deref()
        .and_then(|r| time("/restored", r));
    for (i, entry) in content.timeline.iter().enumerate() {
        time(&format!("/timeline/{i}/at"), &entry.at);
    }
    if let (Some(start), Some(restored)) = (start, restored)
        && restored < start
    {
        errors.push(FieldError::new(
            "/restored",
            "before_start",
            "restored is before incidentStart",
        ));
    }
    if let (Some(start), Some(detected)) = (start, detected)
        && detected < start
    {
        errors.push(FieldError::new(
            "/detected",
            "before_start",
            "detected is before incidentStart",
        ));
    }
    if content.excluded_minutes < 0 {
        errors.push(FieldError::new(
            "/excludedMinutes",
            "negative",
            "excludedMinutes cannot be negative",
        ));
    }
    for (pointer, value) in [
        ("/rootCauseCategory", &content.root_cause_category),
        ("/rootCause", &content.root_cause),
        ("/responsibleParty", &content.responsible_party),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(
                pointer,
                "required",
                format!("{pointer} is required"),
            ));
        }
    }
    for (i, id) in content.affected_service_ids.iter().enumerate() {
        if IdKind::Service.parse(id).is_none() {
            errors.push(FieldError::new(
                format!("/affectedServiceIds/{i}"),
                "invalid_id",
                format!("'{id}' is not a service id like SVC-000001"),
            ));
        }
    }
    errors
}

/// Refuses affected services that are not the organization's own, each by pointer and
/// id; another organization's service reads as one that does not exist. Positions in
/// `skip` hold import references, which resolve within the organization by construction.
pub(crate) async fn foreign_services(
    db: &impl Exec,
    org_id: i64,
    content: &RfoContent,
    skip: &[usize],
) -> Result<Vec<FieldError>, StoreError> {
    let scope = AccessScope::whole_organization(org_id);
    let mut errors = Vec::new();
    for (i, id) in content.affected_service_ids.iter().enumerate() {
        let Some(number) = IdKind::Service.parse(id).filter(|_| !skip.contains(&i)) else {
            continue;
        };
        if catalog::find_service(db, &scope, number).await?.is_none() {
            errors.push(FieldError::new(
                format!("/affectedServiceIds/{i}"),
                "unknown_service",
                format!("'{id}' is not a service of this case's organization"),
            ));
        }
    }
    Ok(errors)
}

/// Publishes the RFO of an incident case. A Final RFO can be corrected (its version
/// goes up) but never goes back to Preliminary. Returns the version in force.
pub async fn publish(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    status: RfoStatus,
    content: &RfoContent,
) -> Result<i64, ApiError> {
    if case.case_type != oneportal_domain::case::CaseType::Incident {
        return Err(ApiError::conflict(
            "not_an_incident",
            format!(
                "{} is not an incident; RFOs are written for incidents",
                IdKind::Case.format(case.id)
            ),
        ));
    }
    let mut errors = check(content);
    if errors.is_empty() {
        errors = foreign_services(&state.db, case.org_id, content, &[]).await?;
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let tx = state.db.begin().await?;
    if let Some(current) = cases::find_rfo(&tx, case.id).await?
        && current.status == RfoStatus::Final
        && status == RfoStatus::Preliminary
    {
        return Err(ApiError::conflict(
            "rfo_final",
            "the RFO is already Final; publish corrections as Final",
        ));
    }
    let body = serde_json::to_string(content).map_err(|e| ApiError::Internal(e.to_string()))?;
    let at = now_ms();
    let version = cases::publish_rfo(&tx, case.id, status.as_str(), &body, at).await?;
    let data = RfoPublished {
        case_id: IdKind::Case.format(case.id),
        status,
        version,
        last_modified_date: rfc3339(at),
        url: super::events::url(state, &format!("{}/rfo", super::events::case_path(case.id))),
    };
    super::events::emit(&tx, case.org_id, case.id, &data).await?;
    let event = Event::new(actor.audit.clone(), "case.rfo_published")
        .target("case", IdKind::Case.format(case.id))
        .org(Some(case.org_id))
        .details(json!({ "status": status.as_str(), "version": version }));
    super::commit_audited(
        state,
        tx,
        event,
        crate::cluster::Change::Cases {
            orgs: vec![case.org_id],
        },
    )
    .await?;
    Ok(version)
}

/// The case's published RFO, or 404 `rfo_not_available`.
pub async fn published(state: &AppState, case: &CaseRow) -> Result<Rfo, ApiError> {
    let row = cases::find_rfo(&state.db, case.id).await?.ok_or_else(|| ApiError::NotFound {
        code: "rfo_not_available",
        detail: format!(
            "no RFO has been published for {} yet; the provider publishes a preliminary RFO after restoring service, then a final one",
            IdKind::Case.format(case.id)
        ),
    })?;
    Rfo::from_row(&row)
}

//! Planned maintenance as the provider's staff announce and run it.

use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::{Impact, MaintenanceStatus};
use oneportal_store::maintenances::{self, MAINTENANCES};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Staff;
use crate::http::pagination::{Page, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::http::time::parse_time;
use crate::http::{ApiError, FieldError};
use crate::models::maintenance::{Maintenance, MaintenanceHistoryEntry};
use crate::services::maintenance::{
    self as service, Author, Plan, PlanChange, check_reference, check_text,
};
use crate::state::AppState;

const TITLE_MAX: usize = 200;
const REASON_MAX: usize = 10_000;
const NOTE_MAX: usize = 2_000;

/// A service the maintenance affects.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AffectedServiceBody {
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub impact: Impact,
}

/// A new maintenance.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnnouncementBody {
    /// The provider's own reference (its change ticket); unique. Letters, digits, spaces and `-_./:#`.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[A-Za-z0-9_./:#-][A-Za-z0-9 _./:#-]*$",
        example = "CHG-2026-1204"
    )]
    pub provider_reference: String,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: String,
    /// What is done and why, as customers read it.
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub reason: String,
    /// `CONFIRMED` (the default) or `TENTATIVE`.
    #[serde(default = "confirmed")]
    pub status: MaintenanceStatus,
    /// RFC 3339.
    #[schema(example = "2026-12-20T01:00:00Z")]
    pub start_date: String,
    #[schema(example = "2026-12-20T05:00:00Z")]
    pub end_date: String,
    #[schema(min_items = 1, max_items = 10000)]
    pub services: Vec<AffectedServiceBody>,
}

fn confirmed() -> MaintenanceStatus {
    MaintenanceStatus::Confirmed
}

/// A change to a maintenance: what is left out stays. Moving a confirmed window reschedules it.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceChangeBody {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub reason: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// The whole new list of affected services.
    #[schema(min_items = 1, max_items = 10000)]
    pub services: Option<Vec<AffectedServiceBody>>,
    /// Why, for the history (staff only).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// A status move.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceStatusBody {
    /// `CONFIRMED`, `IN-PROCESS`, `COMPLETED` or `CANCELLED`.
    pub status: MaintenanceStatus,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Collects each field's problem instead of stopping at the first.
struct Checked(Vec<FieldError>);

impl Checked {
    fn keep<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    fn services(&mut self, services: &[AffectedServiceBody]) -> Vec<(i64, Impact)> {
        services
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let id = IdKind::Service.parse(s.service_id.trim()).ok_or_else(|| {
                    FieldError::new(
                        format!("/services/{i}/serviceId"),
                        "invalid_id",
                        format!("'{}' is not a service id like SVC-000001", s.service_id),
                    )
                });
                self.keep(id).map(|id| (id, s.impact))
            })
            .collect()
    }

    fn note(&mut self, note: &str) -> String {
        if note.trim().is_empty() {
            return String::new();
        }
        self.keep(check_text("/note", "note", note, NOTE_MAX, true))
            .unwrap_or_default()
    }

    fn done(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

fn maintenance_id(id: &str) -> Result<i64, ApiError> {
    IdKind::Maintenance
        .parse(id)
        .ok_or_else(|| ApiError::not_found(format!("no maintenance '{id}'")))
}

/// Announce a maintenance.
#[utoipa::path(post, path = "/ops/v1/maintenances", operation_id = "announce_maintenance", tag = "Maintenance", security(("staffToken" = [])),
    request_body = AnnouncementBody,
    description = "Announces planned work on the listed services. Each affected organization gets a `maintenance.scheduled` event; its people see the maintenance with the services they may see. A window that starts less than 14 days from now is flagged `shortNotice`.",
    responses((status = 201, body = Maintenance), (status = 409, description = "The provider reference is taken", body = Problem),
        (status = 422, description = "A field needs attention; `errors[].pointer` names it (an unknown service, a window that ends before it starts)", body = Problem)))]
pub async fn announce(
    State(state): State<AppState>,
    staff: Staff,
    crate::http::json::ApiJson(body): crate::http::json::ApiJson<AnnouncementBody>,
) -> Result<Response, ApiError> {
    let mut checked = Checked(Vec::new());
    let reference = checked.keep(check_reference(
        "/providerReference",
        &body.provider_reference,
    ));
    let title = checked.keep(check_text("/title", "title", &body.title, TITLE_MAX, false));
    let reason = checked.keep(check_text(
        "/reason",
        "reason",
        &body.reason,
        REASON_MAX,
        true,
    ));
    let starts_at = checked.keep(parse_time("/startDate", &body.start_date));
    let ends_at = checked.keep(parse_time("/endDate", &body.end_date));
    let services = checked.services(&body.services);
    checked.done()?;
    let (Some(reference), Some(title), Some(reason), Some(starts_at), Some(ends_at)) =
        (reference, title, reason, starts_at, ends_at)
    else {
        unreachable!("every field passed its check");
    };
    let plan = Plan {
        title,
        reason,
        starts_at,
        ends_at,
        services,
    };
    let id = service::announce(
        &state,
        &Author::staff(&staff.0),
        &reference,
        body.status,
        &plan,
    )
    .await?;
    let created = service::view(&state, None, &IdKind::Maintenance.format(id)).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// List every maintenance.
#[utoipa::path(get, path = "/ops/v1/maintenances", operation_id = "list_all_maintenances", tag = "Maintenance", security(("staffToken" = [])),
    description = "Every maintenance with all its services. Filters, sort and paging as for `GET /v2/maintenances`.",
    responses((status = 200, body = Page<Maintenance>), (status = 400, description = "Unknown parameter, filter value or sort key", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&MAINTENANCES, raw.as_deref())?;
    let page = service::page(&state, None, &query).await?;
    Ok(page_response::<_, Maintenance>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a maintenance.
#[utoipa::path(get, path = "/ops/v1/maintenances/{maintenanceId}", operation_id = "get_any_maintenance", tag = "Maintenance", security(("staffToken" = [])),
    params(("maintenanceId" = String, Path, description = "MNT-000001")),
    responses((status = 200, body = Maintenance), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    maintenance_id(&id)?;
    Ok(Json(service::view(&state, None, &id).await?).into_response())
}

/// Change a maintenance.
#[utoipa::path(patch, path = "/ops/v1/maintenances/{maintenanceId}", operation_id = "change_maintenance", tag = "Maintenance", security(("staffToken" = [])),
    params(("maintenanceId" = String, Path, description = "MNT-000001")), request_body = MaintenanceChangeBody,
    description = "Changes the text, the window or the services. Moving the window of a CONFIRMED maintenance makes it RE-SCHEDULED and gives notice anew; once IN-PROCESS only the end may move (the work runs longer). Each affected organization gets a `maintenance.updated` event; a change that changes nothing sends none.",
    responses((status = 200, body = Maintenance), (status = 404, body = Problem),
        (status = 409, description = "Cancelled or completed, or the start of work in process", body = Problem),
        (status = 422, description = "A field needs attention; `errors[].pointer` names it", body = Problem)))]
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    crate::http::json::ApiJson(body): crate::http::json::ApiJson<MaintenanceChangeBody>,
) -> Result<Response, ApiError> {
    let number = maintenance_id(&id)?;
    let mut checked = Checked(Vec::new());
    let change = PlanChange {
        title: body
            .title
            .as_deref()
            .and_then(|t| checked.keep(check_text("/title", "title", t, TITLE_MAX, false))),
        reason: body
            .reason
            .as_deref()
            .and_then(|r| checked.keep(check_text("/reason", "reason", r, REASON_MAX, true))),
        starts_at: body
            .start_date
            .as_deref()
            .and_then(|t| checked.keep(parse_time("/startDate", t))),
        ends_at: body
            .end_date
            .as_deref()
            .and_then(|t| checked.keep(parse_time("/endDate", t))),
        services: body.services.as_deref().map(|s| checked.services(s)),
        note: checked.note(&body.note),
    };
    checked.done()?;
    service::change(&state, &Author::staff(&staff.0), number, &change).await?;
    Ok(Json(service::view(&state, None, &id).await?).into_response())
}

/// Confirm, start, complete or cancel a maintenance.
#[utoipa::path(post, path = "/ops/v1/maintenances/{maintenanceId}/status", operation_id = "move_maintenance_status", tag = "Maintenance", security(("staffToken" = [])),
    params(("maintenanceId" = String, Path, description = "MNT-000001")), request_body = MaintenanceStatusBody,
    description = "TENTATIVE or RE-SCHEDULED → CONFIRMED | IN-PROCESS | CANCELLED; CONFIRMED → IN-PROCESS | CANCELLED; IN-PROCESS → COMPLETED. Moving to the current status changes nothing. Each affected organization gets `maintenance.updated` (confirmed), `.started`, `.completed` or `.cancelled`.",
    responses((status = 200, body = Maintenance), (status = 404, body = Problem),
        (status = 409, description = "The lifecycle does not allow this move; the detail says which moves it allows", body = Problem),
        (status = 422, body = Problem)))]
pub async fn move_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    crate::http::json::ApiJson(body): crate::http::json::ApiJson<MaintenanceStatusBody>,
) -> Result<Response, ApiError> {
    let number = maintenance_id(&id)?;
    let mut checked = Checked(Vec::new());
    let note = checked.note(&body.note);
    checked.done()?;
    service::move_to(&state, &Author::staff(&staff.0), number, body.status, &note).await?;
    Ok(Json(service::view(&state, None, &id).await?).into_response())
}

/// A maintenance's history.
#[utoipa::path(get, path = "/ops/v1/maintenances/{maintenanceId}/history", operation_id = "maintenance_history", tag = "Maintenance", security(("staffToken" = [])),
    params(("maintenanceId" = String, Path, description = "MNT-000001")),
    description = "Every announcement and change, oldest first, with who made it and the status and window after it.",
    responses((status = 200, body = Vec<MaintenanceHistoryEntry>), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let number = maintenance_id(&id)?;
    service::any(&state, number).await?;
    let history: Vec<MaintenanceHistoryEntry> = maintenances::history(&state.db, number)
        .await?
        .into_iter()
        .map(MaintenanceHistoryEntry::from)
        .collect();
    Ok(Json(history).into_response())
}

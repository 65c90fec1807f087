//! Planned maintenance as staff run it: every maintenance, an announcement
//! form, and one maintenance with its services across customers, its history,
//! and the moves its lifecycle allows (confirm, start, complete, cancel,
//! reschedule). Every change goes through `services::maintenance`, as
//! `/ops/v1/maintenances` does.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::{Impact, MaintenanceStatus};
use oneportal_store::maintenances::{self, MAINTENANCES};

use super::StaffSession;
use super::frame::layout;
use crate::http::pagination::parse_list_query;
use crate::http::time::parse_time;
use crate::http::{ApiError, FieldError};
use crate::models::maintenance::{Maintenance, MaintenanceHistoryEntry, minute, window};
use crate::portal::csrf::CsrfForm;
use crate::portal::error::fixable;
use crate::portal::form::FormFields;
use crate::portal::{PortalError, render};
use crate::services::maintenance::{
    self as service, Author, Plan, PlanChange, check_reference, check_text,
};
use crate::state::AppState;

const LIST_SIZE: &str = "100";

fn href(id: i64) -> String {
    format!("/staff/maintenance/{}", IdKind::Maintenance.format(id))
}

/// A `datetime-local` value (`2026-12-20T01:00`), read as UTC.
fn utc_input(pointer: &str, text: &str) -> Result<i64, FieldError> {
    let text = text.trim();
    let full = match text.len() {
        16 => format!("{text}:00Z"),
        19 => format!("{text}Z"),
        _ => text.to_owned(),
    };
    parse_time(pointer, &full)
}

/// `SVC-000001 OUTAGE`, one service per line.
fn services_input(text: &str) -> Result<Vec<(i64, Impact)>, FieldError> {
    let mut services = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(id), Some(impact), None) = (words.next(), words.next(), words.next()) else {
            return Err(FieldError::new(
                "/services",
                "invalid_line",
                format!(
                    "line {}: write a service id and its impact, like SVC-000001 OUTAGE",
                    n + 1
                ),
            ));
        };
        let id = IdKind::Service.parse(id).ok_or_else(|| {
            FieldError::new(
                "/services",
                "invalid_id",
                format!("line {}: '{id}' is not a service id like SVC-000001", n + 1),
            )
        })?;
        let impact = Impact::parse(&impact.to_ascii_uppercase()).ok_or_else(|| {
            FieldError::new(
                "/services",
                "invalid_impact",
                format!(
                    "line {}: the impact is one of {}",
                    n + 1,
                    Impact::NAMES.join(", ")
                ),
            )
        })?;
        services.push((id, impact));
    }
    Ok(services)
}

/// What the announcement form holds, to show it again with its error.
#[derive(Default)]
pub struct Draft {
    pub reference: String,
    pub title: String,
    pub reason: String,
    pub tentative: bool,
    pub start: String,
    pub end: String,
    pub services: String,
}

impl Draft {
    fn from_form(fields: &FormFields) -> Draft {
        Draft {
            reference: fields.text("reference"),
            title: fields.text("title"),
            reason: fields.text("reason"),
            tentative: fields.text("status") == MaintenanceStatus::Tentative.as_str(),
            start: fields.text("start"),
            end: fields.text("end"),
            services: fields.text("services"),
        }
    }
}

pub struct ListLine {
    pub maintenance: Maintenance,
    pub window: String,
    pub organizations: usize,
}

#[derive(Template)]
#[template(path = "portal/staff/maintenances.html")]
struct ListPage {
    layout: crate::portal::layout::Layout,
    lines: Vec<ListLine>,
    draft: Draft,
    error: String,
}

async fn list_page(
    state: &AppState,
    session: &StaffSession,
    draft: Draft,
    error: String,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let query = parse_list_query(&MAINTENANCES, Some(&format!("limit={LIST_SIZE}")))?;
    let page = service::page(state, None, &query).await?;
    let lines = page
        .rows
        .into_iter()
        .map(|maintenance| {
            let mut orgs: Vec<&str> = maintenance
                .services
                .iter()
                .map(|s| s.organization_id.as_str())
                .collect();
            orgs.sort_unstable();
            orgs.dedup();
            ListLine {
                window: window(&maintenance.start_date, &maintenance.end_date),
                organizations: orgs.len(),
                maintenance,
            }
        })
        .collect();
    let mut response = render::page(&ListPage {
        layout: layout(session, "Maintenance", "maintenance"),
        lines,
        draft,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Response, PortalError> {
    list_page(
        &state,
        &session,
        Draft::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn announce(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let draft = Draft::from_form(&fields);
    let result = async {
        let first = |e: FieldError| ApiError::validation(vec![e]);
        let reference = check_reference("/providerReference", &draft.reference).map_err(first)?;
        let plan = Plan {
            title: check_text("/title", "title", &draft.title, 200, false).map_err(first)?,
            reason: check_text("/reason", "reason", &draft.reason, 10_000, true).map_err(first)?,
            starts_at: utc_input("/startDate", &draft.start).map_err(first)?,
            ends_at: utc_input("/endDate", &draft.end).map_err(first)?,
            services: services_input(&draft.services).map_err(first)?,
        };
        let status = if draft.tentative {
            MaintenanceStatus::Tentative
        } else {
            MaintenanceStatus::Confirmed
        };
        service::announce(
            &state,
            &Author::staff(&session.staff),
            &reference,
            status,
            &plan,
        )
        .await
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&href(id)).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            list_page(&state, &session, draft, text, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "portal/staff/maintenance.html")]
struct ShowPage {
    layout: crate::portal::layout::Layout,
    m: Maintenance,
    window: String,
    start: String,
    end: String,
    moves: Vec<&'static str>,
    is_final: bool,
    history: Vec<MaintenanceHistoryEntry>,
    /// Alerts that fired on its services while it was in progress (no case opened).
    alerts: Vec<crate::models::monitoring::AlertRecord>,
    error: String,
}

async fn show_page(
    state: &AppState,
    session: &StaffSession,
    id: &str,
    error: String,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let m = service::view(state, None, id).await?;
    let number = IdKind::Maintenance.parse(id).unwrap_or_default();
    let history = maintenances::history(&state.db, number)
        .await?
        .into_iter()
        .map(MaintenanceHistoryEntry::from)
        .collect();
    let alerts = oneportal_store::monitoring::alerts_of_maintenance(&state.db, number)
        .await?
        .into_iter()
        .map(crate::models::monitoring::AlertRecord::from)
        .collect();
    let moves = [
        MaintenanceStatus::Confirmed,
        MaintenanceStatus::InProcess,
        MaintenanceStatus::Completed,
        MaintenanceStatus::Cancelled,
    ]
    .into_iter()
    .filter(|to| *to != m.status && m.status.check_move(*to).is_ok())
    .map(MaintenanceStatus::as_str)
    .collect();
    let mut response = render::page(&ShowPage {
        layout: layout(
            session,
            format!("{}: {}", m.maintenance_id, m.title),
            "maintenance",
        ),
        window: window(&m.start_date, &m.end_date),
        start: minute(&m.start_date).replace(' ', "T"),
        end: minute(&m.end_date).replace(' ', "T"),
        moves,
        is_final: m.status.is_final(),
        history,
        alerts,
        error,
        m,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    show_page(&state, &session, &id, String::new(), StatusCode::OK).await
}

/// After a change: back to the page, or the page again with what to fix.
async fn answer(
    state: &AppState,
    session: &StaffSession,
    id: &str,
    result: Result<(), ApiError>,
) -> Result<Response, PortalError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staff/maintenance/{id}")).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            show_page(state, session, id, text, status).await
        }
    }
}

fn number(id: &str) -> Result<i64, PortalError> {
    IdKind::Maintenance
        .parse(id)
        .ok_or_else(|| ApiError::not_found(format!("there is no maintenance '{id}'")).into())
}

pub async fn move_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let maintenance = number(&id)?;
    let result = match MaintenanceStatus::parse(fields.text("status").trim()) {
        None => Err(ApiError::validation(vec![FieldError::new(
            "/status",
            "required",
            "choose the status to move the maintenance to",
        )])),
        Some(to) => {
            let note = fields.text("note");
            service::move_to(
                &state,
                &Author::staff(&session.staff),
                maintenance,
                to,
                note.trim(),
            )
            .await
        }
    };
    answer(&state, &session, &id, result).await
}

pub async fn reschedule(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let maintenance = number(&id)?;
    let result = async {
        let first = |e: FieldError| ApiError::validation(vec![e]);
        let change = PlanChange {
            starts_at: Some(utc_input("/startDate", &fields.text("start")).map_err(first)?),
            ends_at: Some(utc_input("/endDate", &fields.text("end")).map_err(first)?),
            note: fields.text("note").trim().to_owned(),
            ..PlanChange::default()
        };
        service::change(&state, &Author::staff(&session.staff), maintenance, &change).await
    }
    .await;
    answer(&state, &session, &id, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_read_one_per_line_and_each_mistake_names_its_line() {
        assert_eq!(
            services_input("SVC-000001 OUTAGE\n\n  SVC-000002 no-impact \n").unwrap(),
            vec![(1, Impact::Outage), (2, Impact::NoImpact)]
        );
        assert!(
            services_input("SVC-000001")
                .unwrap_err()
                .detail
                .contains("line 1")
        );
        assert!(
            services_input("SVC-1 OUTAGE\nX DOWN")
                .unwrap_err()
                .detail
                .contains("line 2")
        );
        assert!(
            services_input("SVC-000001 DOWN")
                .unwrap_err()
                .detail
                .contains("NO-IMPACT")
        );
    }

    #[test]
    fn form_times_are_utc() {
        assert_eq!(
            utc_input("/s", "2026-12-20T01:00").unwrap(),
            1_797_728_400_000
        );
        assert!(utc_input("/s", "tomorrow").is_err());
    }
}

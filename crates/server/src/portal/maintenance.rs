//! Support → Maintenance: planned work on the services a person may see, in
//! progress first, then upcoming, then the last 90 days; one maintenance with
//! its affected services; and the short lists the home and service pages show.
//! The same queries and access scope as `/v2/maintenances`.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use oneportal_domain::maintenance::MaintenanceStatus;
use oneportal_store::catalog::AccessScope;
use oneportal_store::maintenances::MAINTENANCES;
use oneportal_store::now_ms;

use super::layout::Layout;
use super::require::{Require, SupportView};
use super::{PortalError, render};
use crate::http::pagination::{parse_list_query, tagged_response};
use crate::http::time::rfc3339;
use crate::models::maintenance::{Maintenance, minute, window};
use crate::services::maintenance::{self as service, CALENDAR_PAST_MS};
use crate::state::AppState;

/// A maintenance as a row of a list.
pub struct MaintenanceLine {
    pub maintenance: Maintenance,
    /// `2026-12-20 01:00 – 05:00 UTC`.
    pub window: String,
}

impl From<Maintenance> for MaintenanceLine {
    fn from(maintenance: Maintenance) -> Self {
        MaintenanceLine {
            window: window(&maintenance.start_date, &maintenance.end_date),
            maintenance,
        }
    }
}

/// Where a maintenance stands for the reader now.
#[derive(PartialEq, Eq)]
enum Phase {
    InProgress,
    Upcoming,
    Past,
}

fn phase(m: &Maintenance, now: &str) -> Phase {
    match m.status {
        MaintenanceStatus::InProcess => Phase::InProgress,
        MaintenanceStatus::Completed | MaintenanceStatus::Cancelled => Phase::Past,
        // Times are RFC 3339 in UTC at whole seconds, so they compare as text.
        _ if m.end_date.as_str() < now => Phase::Past,
        _ => Phase::Upcoming,
    }
}

/// The maintenances the scope sees whose window ends after `since` (Unix ms),
/// earliest first, narrowed by further list parameters (`serviceId=…`).
async fn ending_after(
    state: &AppState,
    scope: &AccessScope,
    since: i64,
    more: &str,
) -> Result<Vec<Maintenance>, PortalError> {
    let query = parse_list_query(
        &MAINTENANCES,
        Some(&format!(
            "endDate.gte={}&sort=startDate&limit=200{more}",
            rfc3339(since)
        )),
    )?;
    Ok(service::page(state, Some(scope), &query).await?.rows)
}

/// What is in progress or still to come for the scope, soonest first (the home
/// page's and a service page's panel); `service` narrows it to one service.
pub async fn coming(
    state: &AppState,
    scope: &AccessScope,
    service: Option<&str>,
) -> Result<Vec<MaintenanceLine>, PortalError> {
    let more = service.map_or(String::new(), |id| format!("&serviceId={id}"));
    let now = rfc3339(now_ms());
    Ok(ending_after(state, scope, now_ms(), &more)
        .await?
        .into_iter()
        .filter(|m| phase(m, &now) != Phase::Past)
        .map(MaintenanceLine::from)
        .collect())
}

/// One part of the Maintenance page.
struct Group {
    id: &'static str,
    heading: &'static str,
    caption: &'static str,
    empty: &'static str,
    lines: Vec<MaintenanceLine>,
}

#[derive(Template)]
#[template(path = "portal/support/maintenances.html")]
struct MaintenancesPage {
    layout: Layout,
    groups: Vec<Group>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Require<SupportView>,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let now = rfc3339(now_ms());
    let all = ending_after(&state, &scope, now_ms() - CALENDAR_PAST_MS, "").await?;
    let (mut in_progress, mut upcoming, mut past) = (Vec::new(), Vec::new(), Vec::new());
    for m in all {
        match phase(&m, &now) {
            Phase::InProgress => in_progress.push(MaintenanceLine::from(m)),
            Phase::Upcoming => upcoming.push(MaintenanceLine::from(m)),
            Phase::Past => past.push(MaintenanceLine::from(m)),
        }
    }
    // The most recent past first.
    past.reverse();
    render::page(&MaintenancesPage {
        layout: Layout::for_session(&state, &session, "Maintenance", "support").await,
        groups: vec![
            Group {
                id: "in-progress",
                heading: "In progress",
                caption: "Maintenance in progress",
                empty: "No maintenance is in progress on your services.",
                lines: in_progress,
            },
            Group {
                id: "upcoming",
                heading: "Upcoming",
                caption: "Upcoming maintenance, soonest first",
                empty: "No maintenance is planned on your services.",
                lines: upcoming,
            },
            Group {
                id: "past",
                heading: "Past 90 days",
                caption: "Past maintenance, most recent first",
                empty: "No maintenance in the last 90 days.",
                lines: past,
            },
        ],
    })
}

#[derive(Template)]
#[template(path = "portal/support/maintenance.html")]
struct MaintenancePage {
    layout: Layout,
    line: MaintenanceLine,
    notice_given: String,
    last_changed: String,
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let maintenance = service::view(&state, Some(&session.user.access_scope()), &id).await?;
    let title = format!("{}: {}", maintenance.maintenance_id, maintenance.title);
    render::page(&MaintenancePage {
        layout: Layout::for_session(&state, &session, title, "support").await,
        notice_given: format!("{} UTC", minute(&maintenance.notice_given_date)),
        last_changed: format!("{} UTC", minute(&maintenance.last_modified_date)),
        line: MaintenanceLine::from(maintenance),
    })
}

/// A person's secret calendar address (`?key=cal_…`), for calendar apps that
/// cannot send a token; an unknown, removed or no longer permitted key is a 404.
pub async fn calendar_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let key = pairs
        .iter()
        .find(|(name, _)| name == "key")
        .map_or("", |(_, value)| value.as_str());
    match service::calendar_by_key(&state, key).await? {
        Some(calendar) => Ok(tagged_response(
            &headers,
            "text/calendar; charset=utf-8",
            calendar.into_bytes(),
        )),
        None => Err(PortalError::NotFound),
    }
}

//! The home page: who you are, and the parts of the portal you can use.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use oneportal_domain::Permission;
use oneportal_domain::case::CaseOrigin;
use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::MaintenanceStatus;
use oneportal_store::cases::{self, CASES};
use oneportal_store::catalog::{self, SERVICES};

use super::catalog::ServiceLine;
use super::layout::{Layout, Section, sections_for};
use super::maintenance::{self, MaintenanceLine};
use super::session::Session;
use super::{PortalError, render};
use crate::http::pagination::parse_list_query;
use crate::models::catalog::Service;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    layout: Layout,
    first_name: String,
    sections: Vec<&'static Section>,
    permissions: Vec<&'static str>,
    /// `None` without Support (View); else what is in progress or starts within a week.
    maintenance_this_week: Option<Vec<MaintenanceLine>>,
    /// `None` without Sites & Services (View): the services that are down or degraded.
    troubled: Option<Vec<ServiceLine>>,
    /// `None` without Support (View): the newest open incidents, and how many are open.
    open_incidents: Option<(Vec<IncidentLine>, i64)>,
}

/// An open incident case on the home page.
struct IncidentLine {
    case_id: String,
    subject: &'static str,
    priority: &'static str,
    service_id: String,
    by_monitoring: bool,
    opened: String,
}

/// Incidents shown on the home page; the rest are a link away.
const INCIDENTS_SHOWN: &str = "10";

const WEEK_MS: i64 = 7 * 86_400_000;

pub async fn page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, PortalError> {
    let first_name = oneportal_store::users::find(&state.db, session.user.id)
        .await?
        .map(|u| u.first_name)
        .unwrap_or_default();
    let maintenance_this_week = if session.user.permissions.contains(Permission::SupportView) {
        let week_ahead = crate::http::time::rfc3339(oneportal_store::now_ms() + WEEK_MS);
        let coming = maintenance::coming(&state, &session.user.access_scope(), None).await?;
        Some(
            coming
                .into_iter()
                .filter(|line| {
                    line.maintenance.status == MaintenanceStatus::InProcess
                        || line.maintenance.start_date < week_ahead
                })
                .collect(),
        )
    } else {
        None
    };
    let scope = session.user.access_scope();
    let troubled = if session
        .user
        .permissions
        .contains(Permission::SitesServicesView)
    {
        let query = parse_list_query(
            &SERVICES,
            Some("health=Down,Degraded&sort=health,serviceName&limit=50"),
        )?;
        let page = catalog::list_services(&state.db, &scope, None, &query).await?;
        Some(
            page.rows
                .into_iter()
                .map(|row| ServiceLine::from(Service::from(row)))
                .collect(),
        )
    } else {
        None
    };
    let open_incidents = if session.user.permissions.contains(Permission::SupportView) {
        let query = parse_list_query(
            &CASES,
            Some(&format!(
                "type=Incident&status=Acknowledged,InProgress,Pending,Held&sort=-createdDate&limit={INCIDENTS_SHOWN}"
            )),
        )?;
        let page = cases::list_cases(&state.db, &scope, &query, &state.case_counts).await?;
        let lines = page
            .rows
            .into_iter()
            .map(|row| IncidentLine {
                case_id: IdKind::Case.format(row.id),
                subject: row.subject.as_str(),
                priority: row.priority.as_str(),
                service_id: IdKind::Service.format(row.service_id),
                by_monitoring: row.origin == CaseOrigin::Monitoring,
                opened: super::developer::day_time(row.created_at),
            })
            .collect();
        Some((lines, page.total))
    } else {
        None
    };
    render::page(&HomePage {
        layout: Layout::for_session(&state, &session, "Home", "home").await,
        first_name,
        sections: sections_for(session.user.permissions),
        permissions: session.user.permissions.iter().map(|p| p.label()).collect(),
        maintenance_this_week,
        troubled,
        open_incidents,
    })
}

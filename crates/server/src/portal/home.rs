//! The home page: who you are, and the parts of the portal you can use.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use oneportal_domain::Permission;
use oneportal_domain::maintenance::MaintenanceStatus;

use super::layout::{Layout, Section, sections_for};
use super::maintenance::{self, MaintenanceLine};
use super::session::Session;
use super::{PortalError, render};
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
}

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
    render::page(&HomePage {
        layout: Layout::for_session(&state, &session, "Home", "home").await,
        first_name,
        sections: sections_for(session.user.permissions),
        permissions: session.user.permissions.iter().map(|p| p.label()).collect(),
        maintenance_this_week,
    })
}

//! The home page: who you are, and the parts of the portal you can use.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::layout::{Layout, Section, sections_for};
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
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, PortalError> {
    let first_name = oneportal_store::users::find(&state.db, session.user.id)
        .await?
        .map(|u| u.first_name)
        .unwrap_or_default();
    render::page(&HomePage {
        layout: Layout::for_session(&state, &session, "Home", "home").await,
        first_name,
        sections: sections_for(session.user.permissions),
        permissions: session.user.permissions.iter().map(|p| p.label()).collect(),
    })
}

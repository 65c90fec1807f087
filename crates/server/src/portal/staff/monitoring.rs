//! What the provider's monitoring sends, for staff: the alerts (open ones,
//! and unmatched ones whose service label named no known service, which open
//! no case until the rule is fixed), and the integration tokens monitoring
//! authenticates with: issued here (the secret shown once) and revoked here.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use oneportal_store::monitoring::{self as store, AlertFilter};
use serde::Deserialize;

use super::StaffSession;
use super::frame::layout;
use crate::http::ApiError;
use crate::models::monitoring::{AlertRecord, IntegrationToken};
use crate::portal::csrf::CsrfForm;
use crate::portal::layout::Layout;
use crate::portal::{PortalError, render};
use crate::services::monitoring::tokens;
use crate::state::AppState;

/// Alerts shown per page.
const SHOWN: i64 = 200;

#[derive(Template)]
#[template(path = "portal/staff/monitoring.html")]
struct MonitoringPage {
    layout: Layout,
    show: &'static str,
    alerts: Vec<AlertRecord>,
    tokens: Vec<IntegrationToken>,
    /// A token just issued: its name and secret, shown this once.
    issued: Option<(String, String)>,
    error: String,
    /// Notifications written but not yet acted on.
    waiting: i64,
    /// Notifications that could not be acted on, newest first: received, source, why.
    set_aside: Vec<(String, String, String)>,
    intake_url: String,
    metrics: super::metrics_intake::Intake,
}

#[derive(Deserialize)]
pub struct Shown {
    show: Option<String>,
}

async fn render_page(
    state: &AppState,
    session: &StaffSession,
    show: Option<&str>,
    issued: Option<(String, String)>,
    error: String,
) -> Result<Response, PortalError> {
    let (show, filter) = match show {
        Some("unmatched") => ("unmatched", AlertFilter::Unmatched),
        Some("all") => ("all", AlertFilter::All),
        _ => ("open", AlertFilter::Open),
    };
    let alerts = store::list_alerts(&state.db, filter, SHOWN)
        .await?
        .into_iter()
        .map(AlertRecord::from)
        .collect();
    let tokens = store::tokens(&state.db)
        .await?
        .into_iter()
        .map(IntegrationToken::from)
        .collect();
    let (waiting, _) = store::backlog(&state.db).await?;
    let set_aside = store::set_aside_rows(&state.db, 20)
        .await?
        .into_iter()
        .map(|(at, source, error)| (crate::portal::developer::day_time(at), source, error))
        .collect();
    render::page(&MonitoringPage {
        layout: layout(session, "Monitoring", "monitoring"),
        show,
        alerts,
        tokens,
        issued,
        error,
        waiting,
        set_aside,
        intake_url: format!("{}/ops/v1/alerts/alertmanager", state.public_url),
        metrics: super::metrics_intake::read(state).await?,
    })
}

pub async fn page(
    State(state): State<AppState>,
    session: StaffSession,
    Query(shown): Query<Shown>,
) -> Result<Response, PortalError> {
    render_page(&state, &session, shown.show.as_deref(), None, String::new()).await
}

pub async fn issue(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let name = fields.text("name");
    match tokens::issue(&state, &session.staff, &name).await {
        Ok(issued) => {
            let shown = Some((name.trim().to_owned(), issued.token));
            render_page(&state, &session, None, shown, String::new()).await
        }
        Err(ApiError::Unprocessable { detail, .. }) => {
            render_page(&state, &session, None, None, detail).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, _): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    if let Ok(id) = id.parse::<i64>() {
        tokens::revoke(&state, &session.staff, id).await?;
    }
    Ok(axum::response::IntoResponse::into_response(Redirect::to(
        "/staff/monitoring#tokens",
    )))
}

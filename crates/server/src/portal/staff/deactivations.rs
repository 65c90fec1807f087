//! Deactivation requests as the provider's staff work them: a queue by status,
//! oldest first, with the five-business-day clock for billing end dates; one
//! request with a form for each step the status machine allows the provider.
//! The same service functions as `/ops/v1/deactivation-requests`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::case::Mover;
use oneportal_domain::deactivation::DeactivationStatus;
use oneportal_store::deactivations::DEACTIVATIONS;

use super::StaffSession;
use super::frame::layout;
use crate::http::pagination::parse_list_query;
use crate::models::deactivation::{DeactivationRequest, DeactivationRequestDetail};
use crate::models::maintenance::minute;
use crate::portal::csrf::CsrfForm;
use crate::portal::error::fixable;
use crate::portal::{PortalError, render};
use crate::services::cases::CaseActor;
use crate::services::deactivations::{self as service, ProviderAct, StepInput};
use crate::state::AppState;

/// The most requests one part of the queue lists (a list page's most).
const QUEUE_LIMIT: u32 = 200;

/// One part of the queue.
struct Group {
    id: &'static str,
    heading: &'static str,
    hint: &'static str,
    rows: Vec<DeactivationRequest>,
}

#[derive(Template)]
#[template(path = "portal/staff/deactivations.html")]
struct QueuePage {
    layout: crate::portal::layout::Layout,
    groups: Vec<Group>,
    overdue: usize,
}

pub async fn queue(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Response, PortalError> {
    let parts = [
        (
            "confirmed",
            "Confirmed: set the billing end date",
            "Due 5 business days after the customer confirmed; late ones are flagged.",
            "Confirmed",
        ),
        (
            "new",
            "To review",
            "Submitted requests and those in review: state the terms, or decline.",
            "Submitted,InReview",
        ),
        (
            "waiting",
            "Waiting for the customer",
            "Terms stated; the customer confirms or withdraws.",
            "PendingConfirmation",
        ),
        (
            "scheduled",
            "Scheduled",
            "Billing end date set; record the deactivation when the service is off.",
            "Scheduled",
        ),
    ];
    let mut groups = Vec::new();
    for (id, heading, hint, statuses) in parts {
        // Oldest first, at most a page: the list's own paging, not a read of every match.
        let query = parse_list_query(
            &DEACTIVATIONS,
            Some(&format!(
                "status={statuses}&sort=createdDate&limit={QUEUE_LIMIT}"
            )),
        )?;
        let rows = service::page(&state.db, None, &query).await?.rows;
        groups.push(Group {
            id,
            heading,
            hint,
            rows,
        });
    }
    let overdue = groups[0]
        .rows
        .iter()
        .filter(|r| r.billing_end_date_overdue)
        .count();
    render::page(&QueuePage {
        layout: layout(&session, "Deactivation requests", "deactivations"),
        groups,
        overdue,
    })
}

#[derive(Template)]
#[template(path = "portal/staff/deactivation.html")]
struct ShowPage {
    layout: crate::portal::layout::Layout,
    detail: DeactivationRequestDetail,
    step_times: Vec<String>,
    /// The steps the provider may take now, by status name.
    moves: Vec<&'static str>,
    error: String,
}

async fn show_page(
    state: &AppState,
    session: &StaffSession,
    id: &str,
    status: StatusCode,
    error: String,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, id).await?;
    let detail = service::detail(&state.db, &row).await?;
    let mut response = render::page(&ShowPage {
        layout: layout(
            session,
            format!(
                "{}: deactivation of {}",
                detail.request.deactivation_request_id, detail.request.service_name
            ),
            "deactivations",
        ),
        step_times: detail.history.iter().map(|s| minute(&s.date)).collect(),
        moves: row
            .status
            .moves_for(Mover::Provider)
            .into_iter()
            .map(DeactivationStatus::as_str)
            .collect(),
        error,
        detail,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    show_page(&state, &session, &id, StatusCode::OK, String::new()).await
}

/// The confirmation as a PDF, once confirmed.
pub async fn document(
    State(state): State<AppState>,
    _session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    Ok(crate::documents::downloads::deactivation_pdf(&state, &row).await?)
}

fn optional(text: String) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// One provider step; the form names the status it moves to.
pub async fn step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    let Some(status) = DeactivationStatus::parse(fields.text("status").trim()) else {
        return show_page(
            &state,
            &session,
            &id,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose the step to take.".into(),
        )
        .await;
    };
    let input = StepInput {
        status,
        note: fields.text("note"),
        case_id: optional(fields.text("caseId")),
        fee: optional(fields.text("feeAmount")).map(|amount| (amount, fields.text("feeCurrency"))),
        earliest_end_date: optional(fields.text("earliestEndDate")),
        reason: fields.text("reason"),
        billing_end_date: optional(fields.text("billingEndDate")),
    };
    let actor = CaseActor::staff(&session.staff);
    let result = match ProviderAct::parse(input) {
        Ok(act) => service::provider_act(&state, &row, &actor, &act).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/staff/deactivations/{id}")).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            show_page(&state, &session, &id, status, text).await
        }
    }
}

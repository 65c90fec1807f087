//! Sites & Services → Deactivation requests, as the provider's help article
//! describes them: request a service's deactivation with its Local Point of
//! Contact, follow the request, confirm the provider's terms with your password
//! (binding, irreversible) or withdraw. The same service functions and access
//! scope as `/v2/deactivation-requests`.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::Permission;
use oneportal_domain::deactivation::{DeactivationStatus, may_deactivate};
use oneportal_domain::ids::IdKind;
use oneportal_store::catalog::ServiceRow;
use oneportal_store::deactivations::{self, DEACTIVATIONS, DeactivationRow, LocalContact};

use super::csrf::CsrfForm;
use super::error::fixable;
use super::history;
use super::layout::Layout;
use super::login::reauthenticate;
use super::pager::Pager;
use super::require::{Require, SupportEdit, SupportView};
use super::session::Session;
use super::{PortalError, render};
use crate::http::ApiError;
use crate::models::deactivation::{DeactivationRequest, DeactivationRequestDetail};
use crate::models::maintenance::minute;
use crate::services::cases::CaseActor;
use crate::services::deactivations::{self as service, RequestForm};
use crate::state::AppState;

fn href(id: i64) -> String {
    format!(
        "/portal/deactivation-requests/{}",
        IdKind::DeactivationRequest.format(id)
    )
}

#[derive(Template)]
#[template(path = "portal/deactivations.html")]
struct ListPage {
    layout: Layout,
    open: Vec<DeactivationRequest>,
    open_total: i64,
    closed: Vec<DeactivationRequest>,
    pager: Pager,
}

/// Every request the person may see: those under way first, then the
/// completed, withdrawn and declined ones a page at a time.
pub async fn list(
    State(state): State<AppState>,
    session: Require<SupportView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let (open_query, closed_query) = history::queries(
        &DEACTIVATIONS,
        (
            "Submitted,InReview,PendingConfirmation,Confirmed,Scheduled",
            "Completed,Withdrawn,Declined",
        ),
        raw.as_deref(),
    )?;
    let open = service::page(&state.db, Some(&scope), &open_query).await?;
    let closed = service::page(&state.db, Some(&scope), &closed_query).await?;
    render::page(&ListPage {
        layout: Layout::for_session(&state, &session, "Deactivation requests", "catalog").await,
        open_total: open.total,
        open: open.rows,
        pager: history::history_pager(
            "/portal/deactivation-requests",
            &closed_query,
            closed.total,
            closed.rows.len(),
        ),
        closed: closed.rows,
    })
}

#[derive(Template)]
#[template(path = "portal/deactivation.html")]
struct ShowPage {
    layout: Layout,
    detail: DeactivationRequestDetail,
    /// `2026-12-07 14:05` for each step, beside the detail's history.
    step_times: Vec<String>,
    /// `2026-12-07 14:05` when confirmed.
    confirmed_when: String,
    may_act: bool,
    may_confirm: bool,
    may_withdraw: bool,
    error: String,
}

async fn show_page(
    state: &AppState,
    session: &Session,
    row: &DeactivationRow,
    status: StatusCode,
    error: String,
) -> Result<Response, PortalError> {
    let detail = service::detail(&state.db, row).await?;
    let may_act = session.user.permissions.contains(Permission::SupportEdit);
    let mut response = render::page(&ShowPage {
        layout: Layout::for_session(
            state,
            session,
            format!(
                "{}: deactivation of {}",
                detail.request.deactivation_request_id, detail.request.service_name
            ),
            "catalog",
        )
        .await,
        step_times: detail.history.iter().map(|s| minute(&s.date)).collect(),
        confirmed_when: detail
            .request
            .confirmation
            .as_ref()
            .map(|c| minute(&c.confirmed_date))
            .unwrap_or_default(),
        may_act,
        may_confirm: may_act && row.status == DeactivationStatus::PendingConfirmation,
        may_withdraw: may_act && row.status.may_withdraw(),
        error,
        detail,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    show_page(&state, &session, &row, StatusCode::OK, String::new()).await
}

/// The confirmation as a PDF, once confirmed.
pub async fn document(
    State(state): State<AppState>,
    session: Require<SupportView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    Ok(crate::documents::downloads::deactivation_pdf(&state, &row).await?)
}

/// Confirms the terms shown, after the person re-entered their password and
/// ticked that they understand it is binding and cannot be undone.
pub async fn confirm(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<SupportEdit>>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let refuse = |status, message: &str| show_page(&state, &session, &row, status, message.into());
    if fields.get("understood") != Some("yes") {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tick the box to say you understand that confirming is binding and cannot be undone.",
        )
        .await;
    }
    let Ok(version) = fields.text("terms_version").trim().parse::<i64>() else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The form is out of date: read the terms again and confirm.",
        )
        .await;
    };
    let ip = peer.ip().to_string();
    if let Err(message) = reauthenticate(&state, &session, fields.text("password"), &ip).await? {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, &message).await;
    }
    let actor = CaseActor::person(&session.user);
    match service::confirm(&state, &row, &actor, version, Some(ip)).await {
        Ok(row) => Ok(Redirect::to(&href(row.id)).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
            show_page(&state, &session, &row, status, text).await
        }
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<SupportEdit>>,
) -> Result<Response, PortalError> {
    let row = service::visible(&state.db, &session.user.access_scope(), &id).await?;
    let actor = CaseActor::person(&session.user);
    match service::withdraw(&state, &row, &actor, &fields.text("reason")).await {
        Ok(row) => Ok(Redirect::to(&href(row.id)).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            show_page(&state, &session, &row, status, text).await
        }
    }
}

/// What the request form was filled with, and the error beside each field.
#[derive(Default)]
pub struct RequestDraft {
    pub end_date: String,
    pub reason: String,
    pub contact: LocalContact,
    pub errors: HashMap<String, String>,
    pub general: String,
    /// The request already under way for the service: the page links to it instead of a form.
    pub open: Option<String>,
}

impl RequestDraft {
    /// The error of one field (by its JSON pointer), or "".
    pub fn error(&self, pointer: &str) -> &str {
        self.errors.get(pointer).map_or("", String::as_str)
    }
}

/// One field of the Local Point of Contact, as the form shows it.
struct ContactField {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: String,
    error: String,
}

#[derive(Template)]
#[template(path = "portal/deactivate.html")]
struct RequestPage {
    layout: Layout,
    service_id: String,
    service_name: String,
    earliest: String,
    contact_fields: Vec<ContactField>,
    draft: RequestDraft,
}

async fn request_page(
    state: &AppState,
    session: &Session,
    service: &ServiceRow,
    draft: RequestDraft,
    status: StatusCode,
) -> Result<Response, PortalError> {
    let mut response = render::page(&RequestPage {
        layout: Layout::for_session(
            state,
            session,
            format!("Request deactivation of {}", service.service_name),
            "catalog",
        )
        .await,
        service_id: IdKind::Service.format(service.id),
        service_name: service.service_name.clone(),
        earliest: service::today().to_string(),
        contact_fields: [
            (
                "contactName",
                "Name",
                "text",
                &draft.contact.name,
                "/localContact/name",
            ),
            (
                "contactEmail",
                "E-mail",
                "email",
                &draft.contact.email,
                "/localContact/email",
            ),
            (
                "contactPhone",
                "Phone",
                "tel",
                &draft.contact.phone,
                "/localContact/phone",
            ),
        ]
        .into_iter()
        .map(|(name, label, kind, value, pointer)| ContactField {
            name,
            label,
            kind,
            value: value.clone(),
            error: draft.error(pointer).to_owned(),
        })
        .collect(),
        draft,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The form: the service's Local Point of Contact is filled in from the last
/// one recorded, to check and update. A service with a request under way
/// sends the person to that request.
pub async fn request_form(
    State(state): State<AppState>,
    session: Require<SupportEdit>,
    Path(service_id): Path<String>,
) -> Result<Response, PortalError> {
    let service = service::service(&state.db, &session.user.access_scope(), &service_id).await?;
    let contact = deactivations::local_contact(&state.db, service.id)
        .await?
        .unwrap_or_default();
    let draft = RequestDraft {
        contact,
        open: deactivations::open_for_service(&state.db, service.id)
            .await?
            .map(|open| IdKind::DeactivationRequest.format(open.id)),
        ..RequestDraft::default()
    };
    request_page(&state, &session, &service, draft, StatusCode::OK).await
}

pub async fn request(
    State(state): State<AppState>,
    Path(service_id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<SupportEdit>>,
) -> Result<Response, PortalError> {
    let service = service::service(&state.db, &session.user.access_scope(), &service_id).await?;
    let form = RequestForm {
        requested_end_date: fields.text("requestedEndDate"),
        reason: fields.text("reason"),
        contact: LocalContact {
            name: fields.text("contactName"),
            email: fields.text("contactEmail"),
            phone: fields.text("contactPhone"),
        },
    };
    let actor = CaseActor::person(&session.user);
    match service::request(&state, &service, &actor, &form).await {
        Ok(row) => Ok(Redirect::to(&href(row.id)).into_response()),
        Err(error) => {
            let mut draft = RequestDraft {
                end_date: form.requested_end_date,
                reason: form.reason,
                contact: form.contact,
                ..RequestDraft::default()
            };
            let status = match error {
                ApiError::Unprocessable { errors, .. } if !errors.is_empty() => {
                    for e in errors {
                        draft.errors.insert(e.pointer, e.detail);
                    }
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                other => {
                    let (status, text) = fixable(other)?;
                    draft.general = text;
                    status
                }
            };
            request_page(&state, &session, &service, draft, status).await
        }
    }
}

/// What a service page shows of deactivation: the Local Point of Contact, the
/// request under way (if any), and whether the person may ask for one.
pub struct ServiceDeactivation {
    pub contact: Option<LocalContact>,
    pub open: Option<(String, String)>,
    pub may_request: bool,
}

/// `None` for a person who may not read deactivation requests.
pub async fn for_service(
    state: &AppState,
    session: &Session,
    service: &ServiceRow,
) -> Result<Option<ServiceDeactivation>, PortalError> {
    let permissions = session.user.permissions;
    if !permissions.contains(Permission::SupportView) {
        return Ok(None);
    }
    let open = deactivations::open_for_service(&state.db, service.id)
        .await?
        .map(|row| {
            (
                IdKind::DeactivationRequest.format(row.id),
                row.status.to_string(),
            )
        });
    Ok(Some(ServiceDeactivation {
        contact: deactivations::local_contact(&state.db, service.id).await?,
        may_request: open.is_none()
            && permissions.contains(Permission::SupportEdit)
            && may_deactivate(service.status),
        open,
    }))
}

//! The Developer Portal's API clients: list, create (the secret shown once),
//! rotate a secret, revoke. Every change goes through `services::api_clients`,
//! so the portal applies the API's rules and writes the API's audit events.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::{ApiScope, Permission, ScopeSet};
use oneportal_store::{now_ms, portal};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::layout::Layout;
use super::require::{DeveloperPortal, Require};
use super::session::{self, Session};
use super::{PortalError, render};
use crate::auth::random;
use crate::http::ApiError;
use crate::http::time::rfc3339;
use crate::services::api_clients::{self, ClientView, MAX_GRACE_HOURS};
use crate::state::AppState;

/// Where the API clients' pages are.
const CLIENTS: &str = "/portal/developer/clients";

/// How long a new secret waits to be shown before it is dropped unseen.
const REVEAL_WAIT_MS: i64 = 10 * 60 * 1000;

/// One row of the clients table.
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created: String,
    pub last_used: String,
    pub status: String,
    pub status_note: String,
    pub owner_email: String,
    pub secrets: Vec<String>,
    pub revoked: bool,
    /// "SupportReadWrite needs 'Support (Edit)'" for each scope the owner no longer backs.
    pub suspended_scopes: Vec<String>,
    /// Active but with no secret (after a transfer): the owner must rotate to get one.
    pub needs_secret: bool,
}

impl ClientRow {
    fn from_view(view: &ClientView) -> ClientRow {
        let row = &view.row;
        ClientRow {
            client_id: row.client_id.clone(),
            name: row.name.clone(),
            scopes: ScopeSet::from_names(&row.scopes)
                .iter()
                .map(|s| s.name().to_owned())
                .collect(),
            created: day_time(row.created_at),
            last_used: row
                .last_used_at
                .map(day_time)
                .unwrap_or_else(|| "Never".into()),
            status: row.status.to_string(),
            status_note: row.suspension_reason.clone().unwrap_or_default(),
            owner_email: view.owner_email.clone(),
            secrets: view
                .secrets
                .iter()
                .map(|s| match s.expires_at {
                    Some(at) => format!("…{} (works until {})", s.last4, day_time(at)),
                    None => format!("…{}", s.last4),
                })
                .collect(),
            revoked: row.status == oneportal_domain::ApiClientStatus::Revoked,
            suspended_scopes: view
                .suspended_scopes()
                .into_iter()
                .map(|(_, needs)| needs)
                .collect(),
            needs_secret: row.status != oneportal_domain::ApiClientStatus::Revoked
                && view.secrets.is_empty(),
        }
    }
}

/// `2026-11-26 14:27 UTC`
pub fn day_time(ms: i64) -> String {
    let text = rfc3339(ms);
    match text.get(..16) {
        Some(prefix) => format!("{} UTC", prefix.replace('T', " ")),
        None => text,
    }
}

#[derive(Template)]
#[template(path = "portal/developer/clients.html")]
struct ClientsPage {
    layout: Layout,
    clients: Vec<ClientRow>,
    notice: String,
    sees_organization: bool,
}

pub struct ScopeChoice {
    pub name: &'static str,
    pub oauth_name: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "portal/developer/new_client.html")]
struct NewClientPage {
    layout: Layout,
    name: String,
    scopes: Vec<ScopeChoice>,
    withheld: Vec<String>,
    error: String,
    details: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/developer/secret.html")]
struct SecretPage {
    layout: Layout,
    client: Option<ClientRow>,
    secret: String,
    rotated: bool,
    token_endpoint: String,
}

#[derive(Template)]
#[template(path = "portal/developer/rotate.html")]
struct RotatePage {
    layout: Layout,
    client: ClientRow,
    choices: Vec<(u32, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "portal/developer/revoke.html")]
struct RevokePage {
    layout: Layout,
    client: ClientRow,
}

async fn layout(state: &AppState, session: &Session, title: &str) -> Layout {
    Layout::for_session(state, session, title, "developer").await
}

pub async fn index(_session: Require<DeveloperPortal>) -> Result<Response, PortalError> {
    Ok(Redirect::to("/portal/developer/clients").into_response())
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Query(query): Query<Notice>,
) -> Result<Response, PortalError> {
    let views = api_clients::list(&state, &session.user).await?;
    // Only fixed messages: the query string never puts text on the page.
    let notice = match query.notice.as_deref() {
        Some("revoked") => "The API client is revoked. Its secrets and tokens no longer work.",
        _ => "",
    };
    render::page(&ClientsPage {
        layout: layout(&state, &session, "API clients").await,
        clients: views.iter().map(ClientRow::from_view).collect(),
        notice: notice.to_owned(),
        sees_organization: session
            .user
            .permissions
            .contains(Permission::UserManagement),
    })
}

fn scope_choices(session: &Session, checked: &[String]) -> (Vec<ScopeChoice>, Vec<String>) {
    let mut offered = Vec::new();
    let mut withheld = Vec::new();
    for scope in ApiScope::ALL {
        if scope.may_be_granted_by(session.user.permissions) {
            offered.push(ScopeChoice {
                name: scope.name(),
                oauth_name: scope.oauth_name(),
                description: scope.description(),
                checked: checked.iter().any(|c| c == scope.name()),
            });
        } else {
            withheld.push(format!(
                "{} (needs {})",
                scope.name(),
                scope.creator_needs_text()
            ));
        }
    }
    (offered, withheld)
}

pub async fn new_form(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
) -> Result<Response, PortalError> {
    let (scopes, withheld) = scope_choices(&session, &[]);
    render::page(&NewClientPage {
        layout: layout(&state, &session, "New API client").await,
        name: String::new(),
        scopes,
        withheld,
        error: String::new(),
        details: Vec::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CsrfForm(session, fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    let name = fields.text("apiClientName");
    let scope_names = fields.all("scopes");
    let ip = Some(peer.ip().to_string());
    match api_clients::create(&state, &session.user, &name, &scope_names, ip).await {
        Ok((view, secret)) => {
            let target = keep_for_reveal(
                &state,
                &session,
                CLIENTS,
                &view.row.client_id,
                "created",
                secret.expose(),
            )
            .await?;
            Ok(Redirect::to(&target).into_response())
        }
        Err(error) => {
            let Some((status, error, details)) = form_refusal(&error) else {
                return Err(error.into());
            };
            let (scopes, withheld) = scope_choices(&session, &scope_names);
            render::page_with_status(
                status,
                &NewClientPage {
                    layout: layout(&state, &session, "New API client").await,
                    name,
                    scopes,
                    withheld,
                    error,
                    details,
                },
            )
        }
    }
}

/// Seals the new secret for this session only and returns the page that shows it
/// once: `{under}/{record}/secret/{reveal}`.
pub(super) async fn keep_for_reveal(
    state: &AppState,
    session: &Session,
    under: &str,
    client_id: &str,
    kind: &str,
    secret: &str,
) -> Result<String, PortalError> {
    let reveal = random::alphanumeric(32);
    portal::insert_reveal(
        &state.db,
        portal::NewReveal {
            reveal_hash: &session::hash(&reveal),
            session_hash: &session.token_hash,
            client_id,
            kind,
            sealed: state.master_key.seal(secret.as_bytes()),
            expires_at: now_ms() + REVEAL_WAIT_MS,
        },
    )
    .await?;
    Ok(format!(
        "{under}/{}/secret/{reveal}",
        percent_encoding::utf8_percent_encode(client_id, percent_encoding::NON_ALPHANUMERIC)
    ))
}

/// The secret kept for this session under `reveal`, if it is `record`'s and not
/// expired; taking it deletes it, so a reload finds nothing.
pub(super) async fn take_secret(
    state: &AppState,
    session: &Session,
    reveal: &str,
    record: &str,
) -> Result<(Option<portal::RevealRow>, Option<String>), PortalError> {
    let taken = portal::take_reveal(&state.db, &session::hash(reveal), &session.token_hash)
        .await?
        .filter(|r| r.client_id == record && r.expires_at > now_ms());
    let secret = taken
        .as_ref()
        .and_then(|r| state.master_key.open(&r.sealed).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    Ok((taken, secret))
}

/// 200 while the secret is shown, 410 once it is gone.
pub(super) fn reveal_status(secret: &Option<String>) -> StatusCode {
    if secret.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    }
}

/// A refusal a form shows beside its fields (its status, message and details);
/// `None` for any other error, which gets the error page.
pub(super) fn form_refusal(error: &ApiError) -> Option<(StatusCode, String, Vec<String>)> {
    let status = match error {
        ApiError::Conflict { .. } => StatusCode::CONFLICT,
        ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
        ApiError::Unprocessable { .. } | ApiError::BadRequest { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => return None,
    };
    let details = match error {
        ApiError::Unprocessable { errors, .. } | ApiError::BadRequest { errors, .. } => {
            errors.iter().map(|e| e.detail.clone()).collect()
        }
        _ => Vec::new(),
    };
    Some((status, error.to_string(), details))
}

/// Shows a new secret once: reading it deletes it, so a reload finds nothing.
pub async fn reveal(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Path((client_id, reveal)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let (taken, secret) = take_secret(&state, &session, &reveal, &client_id).await?;
    let client = api_clients::visible(&state, &session.user, &client_id)
        .await
        .ok()
        .map(|v| ClientRow::from_view(&v));
    render::page_with_status(
        reveal_status(&secret),
        &SecretPage {
            layout: layout(&state, &session, "Your client secret").await,
            client,
            secret: secret.unwrap_or_default(),
            rotated: taken.is_some_and(|r| r.kind == "rotated"),
            token_endpoint: state.token_endpoint(),
        },
    )
}

const GRACE_CHOICES: [(u32, &str); 6] = [
    (0, "Immediately: the old secret stops working now"),
    (1, "1 hour"),
    (24, "24 hours (recommended)"),
    (72, "3 days"),
    (120, "5 days"),
    (MAX_GRACE_HOURS, "7 days"),
];

async fn visible_row(
    state: &AppState,
    session: &Require<DeveloperPortal>,
    client_id: &str,
) -> Result<ClientRow, PortalError> {
    let view = api_clients::visible(state, &session.user, client_id).await?;
    Ok(ClientRow::from_view(&view))
}

pub async fn rotate_form(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Path(client_id): Path<String>,
) -> Result<Response, PortalError> {
    let client = visible_row(&state, &session, &client_id).await?;
    let default = state.config.api_clients.default_grace_hours;
    render::page(&RotatePage {
        layout: layout(&state, &session, "Rotate secret").await,
        client,
        choices: GRACE_CHOICES
            .iter()
            .map(|(hours, label)| (*hours, *label, *hours == default))
            .collect(),
    })
}

pub async fn rotate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(client_id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    let grace = fields
        .get("graceHours")
        .and_then(|g| g.trim().parse::<u32>().ok())
        .filter(|g| *g <= MAX_GRACE_HOURS)
        .ok_or_else(|| {
            PortalError::Api(ApiError::validation(vec![crate::http::FieldError::new(
                "graceHours",
                "invalid_grace",
                "choose how long the old secret keeps working: between 0 hours and 7 days",
            )]))
        })?;
    let ip = Some(peer.ip().to_string());
    let (view, secret, _) =
        api_clients::rotate(&state, &session.user, &client_id, grace, ip).await?;
    let target = keep_for_reveal(
        &state,
        &session,
        CLIENTS,
        &view.row.client_id,
        "rotated",
        secret.expose(),
    )
    .await?;
    Ok(Redirect::to(&target).into_response())
}

pub async fn revoke_form(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Path(client_id): Path<String>,
) -> Result<Response, PortalError> {
    let client = visible_row(&state, &session, &client_id).await?;
    render::page(&RevokePage {
        layout: layout(&state, &session, "Revoke API client").await,
        client,
    })
}

pub async fn revoke(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(client_id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    if fields.get("confirm") != Some("yes") {
        return Err(PortalError::Api(ApiError::validation(vec![
            crate::http::FieldError::new(
                "confirm",
                "confirmation_required",
                "tick the box that confirms you want to revoke this client",
            ),
        ])));
    }
    let ip = Some(peer.ip().to_string());
    api_clients::revoke(&state, &session.user, &client_id, ip).await?;
    Ok(Redirect::to("/portal/developer/clients?notice=revoked").into_response())
}

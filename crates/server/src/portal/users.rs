//! User Management: the users of the organization (My Organization and
//! Delivery Account tabs), adding a user in two steps, resending activation,
//! changing permissions and account access, removing a user. Every change goes
//! through `services::users`, which checks the permission and writes the audit.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet, UserKind, UserType};
use oneportal_store::{orgs, outbox, users};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::developer::day_time;
use super::form::FormFields;
use super::layout::Layout;
use super::require::{Require, UserManagement};
use super::session::Session;
use super::{PortalError, render};
use crate::http::ApiError;
use crate::services::users::{self as service, Invitation};
use crate::state::AppState;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub permissions: Vec<&'static str>,
    pub created: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "portal/users/list.html")]
struct ListPage {
    layout: Layout,
    tab: &'static str,
    users: Vec<UserRow>,
    notice: String,
}

/// Step one's fields, carried through step two as hidden inputs.
#[derive(Clone)]
pub struct Personal {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub country: String,
    pub user_type: UserType,
    pub kind: UserKind,
}

impl Default for Personal {
    /// The new-user form as it opens: one person in the customer's own organization.
    fn default() -> Self {
        Personal {
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            phone: String::new(),
            country: String::new(),
            user_type: UserType::Personal,
            kind: UserKind::MyOrganization,
        }
    }
}

impl Personal {
    pub fn is_group(&self) -> bool {
        self.user_type == UserType::Group
    }

    pub fn is_delivery_account(&self) -> bool {
        self.kind == UserKind::DeliveryAccount
    }
}

#[derive(Template)]
#[template(path = "portal/users/step1.html")]
struct Step1Page {
    layout: Layout,
    p: Personal,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/users/step2.html")]
struct Step2Page {
    layout: Layout,
    p: Personal,
    permissions: Vec<Choice>,
    accounts: Vec<Choice>,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/users/edit.html")]
struct EditPage {
    layout: Layout,
    user: UserRow,
    inactive: bool,
    removed: bool,
    is_self: bool,
    permissions: Vec<Choice>,
    accounts: Vec<Choice>,
    errors: Vec<String>,
    notice: String,
}

#[derive(Template)]
#[template(path = "portal/users/remove.html")]
struct RemovePage {
    layout: Layout,
    user: UserRow,
}

async fn layout(state: &AppState, session: &Session, title: &str) -> Layout {
    Layout::for_session(state, session, title, "users").await
}

fn row(u: &users::UserRow) -> UserRow {
    UserRow {
        id: IdKind::User.format(u.id),
        name: format!("{} {}", u.first_name, u.last_name),
        email: u.email.clone(),
        status: u.status.to_string(),
        permissions: PermissionSet::from_codes(&u.permissions)
            .iter()
            .map(|p| p.label())
            .collect(),
        created: day_time(u.created_at),
    }
}

fn peer_ip(peer: &SocketAddr) -> Option<String> {
    Some(peer.ip().to_string())
}

fn details(error: &ApiError) -> Vec<String> {
    match error {
        ApiError::Unprocessable { errors, .. } | ApiError::BadRequest { errors, .. } => {
            errors.iter().map(|e| e.detail.clone()).collect()
        }
        other => vec![other.to_string()],
    }
}

/// Errors a person can fix by changing the form are shown on the form.
fn fixable(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Unprocessable { .. } | ApiError::BadRequest { .. } | ApiError::Conflict { .. }
    )
}

#[derive(Deserialize)]
pub struct ListQuery {
    tab: Option<String>,
    notice: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Require<UserManagement>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PortalError> {
    let tab = match query.tab.as_deref() {
        Some("delivery") => "delivery",
        _ => "organization",
    };
    let kind = if tab == "delivery" {
        UserKind::DeliveryAccount
    } else {
        UserKind::MyOrganization
    };
    let rows = outbox::users_of(&state.db, session.user.org_id).await?;
    let notice = match query.notice.as_deref() {
        Some("added") => {
            "The user is added as Inactive. An activation e-mail is on its way; its link works for 7 days."
        }
        Some("removed") => {
            "The user is removed: their sessions ended and their API clients are suspended. The record is kept."
        }
        _ => "",
    };
    render::page(&ListPage {
        layout: layout(&state, &session, "User Management").await,
        tab,
        users: rows.iter().filter(|u| u.kind == kind).map(row).collect(),
        notice: notice.to_owned(),
    })
}

fn personal_from(fields: &FormFields) -> Personal {
    Personal {
        first_name: fields.text("firstName"),
        last_name: fields.text("lastName"),
        email: fields.text("email").trim().to_lowercase(),
        phone: fields.text("phone"),
        country: fields.text("country"),
        // Radio buttons: one left unset keeps the form's default choice.
        user_type: fields
            .get("userType")
            .and_then(UserType::parse)
            .unwrap_or(UserType::Personal),
        kind: fields
            .get("kind")
            .and_then(UserKind::parse)
            .unwrap_or(UserKind::MyOrganization),
    }
}

fn invitation(p: &Personal, permissions: PermissionSet, account_ids: Vec<i64>) -> Invitation {
    Invitation {
        email: p.email.clone(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        phone: p.phone.trim().to_owned(),
        country: p.country.trim().to_owned(),
        user_type: p.user_type,
        kind: p.kind,
        permissions,
        account_ids,
    }
}

fn permission_choices(checked: PermissionSet) -> Vec<Choice> {
    Permission::ALL
        .iter()
        .map(|p| Choice {
            value: p.code().to_owned(),
            label: p.label().to_owned(),
            checked: checked.contains(*p),
        })
        .collect()
}

async fn account_choices(
    state: &AppState,
    org_id: i64,
    checked: &[i64],
) -> Result<Vec<Choice>, PortalError> {
    Ok(orgs::list_accounts(&state.db, org_id)
        .await?
        .into_iter()
        .map(|a| Choice {
            value: a.id.to_string(),
            label: format!("{} ({} account)", a.name, a.account_type),
            checked: checked.contains(&a.id),
        })
        .collect())
}

fn permissions_from(fields: &FormFields) -> PermissionSet {
    let mut set = PermissionSet::default();
    for name in fields.all("permissions") {
        if let Some(p) = Permission::parse(&name) {
            set.insert(p);
        }
    }
    set
}

fn accounts_from(fields: &FormFields) -> Vec<i64> {
    let mut ids: Vec<i64> = fields
        .all("accounts")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub async fn new_form(
    State(state): State<AppState>,
    session: Require<UserManagement>,
) -> Result<Response, PortalError> {
    render::page(&Step1Page {
        layout: layout(&state, &session, "Add a user").await,
        p: Personal::default(),
        errors: Vec::new(),
    })
}

/// Step one sent: checked, then step two with the personal information kept in hidden fields.
pub async fn step_two(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<Require<UserManagement>>,
) -> Result<Response, PortalError> {
    let p = personal_from(&fields);
    let errors = service::check_personal(&invitation(&p, PermissionSet::default(), Vec::new()));
    if !errors.is_empty() {
        return render::page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Step1Page {
                layout: layout(&state, &session, "Add a user").await,
                p,
                errors: errors.into_iter().map(|e| e.detail).collect(),
            },
        );
    }
    let mut defaults = PermissionSet::default();
    defaults.insert(Permission::SitesServicesView);
    render::page(&Step2Page {
        layout: layout(&state, &session, "Add a user: permissions").await,
        p,
        permissions: permission_choices(defaults),
        accounts: account_choices(&state, session.user.org_id, &[]).await?,
        errors: Vec::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CsrfForm(session, fields): CsrfForm<Require<UserManagement>>,
) -> Result<Response, PortalError> {
    let p = personal_from(&fields);
    let permissions = permissions_from(&fields);
    let account_ids = accounts_from(&fields);
    match service::invite(
        &state,
        &session.user,
        invitation(&p, permissions, account_ids.clone()),
        peer_ip(&peer),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/portal/users?notice=added{}",
            if p.is_delivery_account() {
                "&tab=delivery"
            } else {
                ""
            }
        ))
        .into_response()),
        Err(error) if fixable(&error) => render::page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &Step2Page {
                layout: layout(&state, &session, "Add a user: permissions").await,
                p,
                permissions: permission_choices(permissions),
                accounts: account_choices(&state, session.user.org_id, &account_ids).await?,
                errors: details(&error),
            },
        ),
        Err(other) => Err(other.into()),
    }
}

/// The user `USR-…` of the session's organization, or 404.
async fn find_user(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<users::UserRow, PortalError> {
    let user_id = IdKind::User.parse(id).ok_or(PortalError::NotFound)?;
    users::find(&state.db, user_id)
        .await?
        .filter(|u| u.org_id == session.user.org_id)
        .ok_or(PortalError::NotFound)
}

async fn edit_page(
    state: &AppState,
    session: &Session,
    user: &users::UserRow,
    status: StatusCode,
    errors: Vec<String>,
    notice: &str,
) -> Result<Response, PortalError> {
    let access: Vec<i64> = users::account_access(&state.db, user.id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    render::page_with_status(
        status,
        &EditPage {
            layout: layout(state, session, "Edit user").await,
            user: row(user),
            inactive: user.status == oneportal_domain::user::UserStatus::Inactive,
            removed: user.status == oneportal_domain::user::UserStatus::Removed,
            is_self: user.id == session.user.id,
            permissions: permission_choices(PermissionSet::from_codes(&user.permissions)),
            accounts: account_choices(state, session.user.org_id, &access).await?,
            errors,
            notice: notice.to_owned(),
        },
    )
}

#[derive(Deserialize)]
pub struct EditQuery {
    notice: Option<String>,
}

pub async fn edit_form(
    State(state): State<AppState>,
    session: Require<UserManagement>,
    Path(id): Path<String>,
    Query(query): Query<EditQuery>,
) -> Result<Response, PortalError> {
    let user = find_user(&state, &session, &id).await?;
    let notice = match query.notice.as_deref() {
        Some("saved") => "Saved.",
        Some("resent") => "A new activation e-mail is on its way; earlier links no longer work.",
        _ => "",
    };
    edit_page(&state, &session, &user, StatusCode::OK, Vec::new(), notice).await
}

pub async fn update(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<UserManagement>>,
) -> Result<Response, PortalError> {
    let user = find_user(&state, &session, &id).await?;
    let result = async {
        service::set_account_access(
            &state,
            &session.user,
            user.id,
            accounts_from(&fields),
            peer_ip(&peer),
        )
        .await?;
        service::set_permissions(
            &state,
            &session.user,
            user.id,
            permissions_from(&fields),
            peer_ip(&peer),
        )
        .await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/portal/users/{id}?notice=saved")).into_response()),
        Err(error) if fixable(&error) => {
            edit_page(
                &state,
                &session,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                details(&error),
                "",
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn resend(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    CsrfForm(session, _): CsrfForm<Require<UserManagement>>,
) -> Result<Response, PortalError> {
    let user = find_user(&state, &session, &id).await?;
    service::resend_activation(&state, &session.user, user.id, peer_ip(&peer)).await?;
    Ok(Redirect::to(&format!("/portal/users/{id}?notice=resent")).into_response())
}

pub async fn remove_form(
    State(state): State<AppState>,
    session: Require<UserManagement>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let user = find_user(&state, &session, &id).await?;
    render::page(&RemovePage {
        layout: layout(&state, &session, "Remove user").await,
        user: row(&user),
    })
}

pub async fn remove(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    CsrfForm(session, _): CsrfForm<Require<UserManagement>>,
) -> Result<Response, PortalError> {
    let user = find_user(&state, &session, &id).await?;
    service::remove(&state, &session.user, user.id, peer_ip(&peer)).await?;
    let tab = if user.kind == UserKind::DeliveryAccount {
        "&tab=delivery"
    } else {
        ""
    };
    Ok(Redirect::to(&format!("/portal/users?notice=removed{tab}")).into_response())
}

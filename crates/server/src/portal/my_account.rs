//! My account: who the person is in OnePortal (their organization, permissions
//! and the accounts they may see) and which notification e-mails they get.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::Permission;
use oneportal_domain::notification::Topic;
use oneportal_store::orgs;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::developer::day_time;
use super::layout::Layout;
use super::session::Session;
use super::{PortalError, render};
use crate::http::ApiError;
use crate::services::{maintenance, notifications};
use crate::state::AppState;

/// Where the page is.
pub const MY_ACCOUNT: &str = "/portal/account";

/// One notification choice as the form shows it.
pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub on: bool,
    /// Empty when the person may get these e-mails; otherwise why not.
    pub unavailable: String,
}

#[derive(Template)]
#[template(path = "portal/my_account.html")]
struct Page {
    layout: Layout,
    email: String,
    permissions: Vec<&'static str>,
    /// The accounts the person may see, or empty for every account of the organization.
    accounts: Vec<String>,
    choices: Vec<Choice>,
    saved: bool,
    /// `None` without Support (View); else the secret calendar address, if made.
    calendar: Option<Option<CalendarLink>>,
    calendar_saved: bool,
}

/// The person's secret maintenance-calendar address as the page shows it.
pub struct CalendarLink {
    pub url: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(saved): Query<Saved>,
) -> Result<Response, PortalError> {
    let user = &session.user;
    let preferences = notifications::preferences(&state, user).await?;
    let choices = preferences
        .all()
        .map(|(topic, on)| Choice {
            key: topic.key(),
            label: topic.label(),
            hint: topic.hint(),
            on,
            unavailable: if topic.readable_by(user.permissions) {
                String::new()
            } else {
                needs(topic)
            },
        })
        .collect();
    let scope = user.access_scope();
    let restricted = scope.contract_accounts.is_some() || scope.delivery_accounts.is_some();
    let accounts = if restricted {
        orgs::list_accounts(&state.db, user.org_id)
            .await?
            .into_iter()
            .filter(|account| scope.allows_account(account))
            .map(|account| format!("{} ({})", account.name, account.account_type.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    let calendar = if user.permissions.contains(Permission::SupportView) {
        Some(
            maintenance::calendar_address(&state, user)
                .await?
                .map(|address| CalendarLink {
                    url: address.url,
                    created: day_time(address.created_at),
                    last_used: address.last_used_at.map_or("never".into(), day_time),
                }),
        )
    } else {
        None
    };
    render::page(&Page {
        layout: Layout::for_session(&state, &session, "My account", "account").await,
        email: user.email.clone(),
        permissions: Permission::ALL
            .into_iter()
            .filter(|p| user.permissions.contains(*p))
            .map(Permission::label)
            .collect(),
        accounts,
        choices,
        saved: saved.saved == "notifications",
        calendar,
        calendar_saved: saved.saved == "calendar",
    })
}

/// Why a person cannot get a topic's e-mails.
fn needs(topic: Topic) -> String {
    let names: Vec<&str> = topic.readers().iter().map(|p| p.label()).collect();
    format!(
        "Needs the {} permission; ask a person with User Management.",
        names.join(" or ")
    )
}

/// Saves the notification choices: the checked topics are on, every other off.
pub async fn save_notifications(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<Session>,
) -> Result<Response, PortalError> {
    let on: Vec<Topic> = fields
        .all("topics")
        .iter()
        .filter_map(|key| Topic::parse(key))
        .collect();
    notifications::save_preferences(&state, &session.user, &on).await?;
    Ok(Redirect::to(&format!("{MY_ACCOUNT}?saved=notifications#notifications")).into_response())
}

/// Makes a new secret calendar address (`action=create`; an earlier one stops
/// working) or turns it off (`action=remove`).
pub async fn calendar_address(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<Session>,
) -> Result<Response, PortalError> {
    if !session.user.permissions.contains(Permission::SupportView) {
        return Err(ApiError::forbidden(
            "permission_required",
            "the maintenance calendar needs the Support (View) permission",
        )
        .into());
    }
    match fields.text("action").as_str() {
        "create" => maintenance::new_calendar_address(&state, &session.user).await?,
        "remove" => maintenance::remove_calendar_address(&state, &session.user).await?,
        _ => return Err(PortalError::BadForm),
    }
    Ok(Redirect::to(&format!("{MY_ACCOUNT}?saved=calendar#calendar")).into_response())
}

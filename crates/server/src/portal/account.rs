//! Pages reached from an e-mail or from the login page, without a session:
//! activating a new user, "forgot password" and the reset link. And, in demo
//! mode only, the outbox, so a person trying the demo can open those e-mails.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use oneportal_store::outbox;

use super::developer::day_time;
use super::form::FormFields;
use super::layout::Layout;
use super::{PortalError, csrf, render, session};
use crate::services::users::{self as service, LinkCheck};
use crate::state::AppState;

/// The token of a link from an e-mail. It rides in the query string, which the
/// access log leaves out, so links never reach the logs.
#[derive(serde::Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

/// Before a session exists, these forms' CSRF token is a cookie the hidden field must match.
const FORM_CSRF_COOKIE: &str = "op_account_csrf";

#[derive(Template)]
#[template(path = "portal/users/set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    heading: &'static str,
    action: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/users/link_done.html")]
struct MessagePage {
    layout: Layout,
    heading: String,
    message: String,
    login_link: bool,
}

#[derive(Template)]
#[template(path = "portal/users/forgot.html")]
struct ForgotPage {
    layout: Layout,
    sent: bool,
    errors: Vec<String>,
}

pub struct OutboxItem {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "portal/users/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<OutboxItem>,
}

#[derive(Template)]
#[template(path = "portal/users/outbox_message.html")]
struct OutboxMessagePage {
    layout: Layout,
    item: OutboxItem,
    /// The body split into text and the links it carries, so links are clickable.
    lines: Vec<(bool, String)>,
    /// The attached file's name and text (a calendar entry), shown as sent.
    attachment: Option<(String, String)>,
}

fn public_layout(state: &AppState, title: &str) -> (Layout, String) {
    let token = crate::auth::random::alphanumeric(32);
    let mut layout = Layout::public(title);
    layout.csrf_token = token.clone();
    layout.demo = state.config.demo;
    (layout, token)
}

/// A page with a form: carries a fresh CSRF cookie.
fn form_page<T: Template>(
    state: &AppState,
    status: StatusCode,
    token: &str,
    page: &T,
) -> Result<Response, PortalError> {
    let mut response = render::page_with_status(status, page)?;
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, FORM_CSRF_COOKIE, token, 3600),
    );
    Ok(response)
}

fn check_csrf(
    state: &AppState,
    headers: &HeaderMap,
    fields: &FormFields,
) -> Result<(), PortalError> {
    csrf::same_origin(state, headers)?;
    let expected = session::cookie_value(headers, FORM_CSRF_COOKIE).unwrap_or_default();
    if csrf::token_matches(&expected, fields.get(csrf::FIELD)) {
        Ok(())
    } else {
        Err(PortalError::Csrf(
            "the form is out of date (or cookies are switched off)",
        ))
    }
}

fn link_refused(
    state: &AppState,
    check: LinkCheck,
    purpose: &str,
) -> Result<Response, PortalError> {
    let again = if purpose == service::ACTIVATION_PURPOSE {
        "Ask a person with User Management in your organization to resend the activation e-mail."
    } else {
        "Ask for a new link with \"Forgot your password?\" on the login page."
    };
    let (heading, why) = match check {
        LinkCheck::Expired => (
            "This link has expired",
            "The link in your e-mail is too old to use.",
        ),
        LinkCheck::Used => ("This link was already used", "Each link works only once."),
        _ => (
            "This link does not work",
            "The link is not known here; check that it was copied completely.",
        ),
    };
    let (layout, _) = public_layout(state, heading);
    render::page_with_status(
        StatusCode::GONE,
        &MessagePage {
            layout,
            heading: heading.into(),
            message: format!("{why} {again}"),
            login_link: true,
        },
    )
}

fn purpose_of(kind: &str) -> (&'static str, &'static str, &'static str) {
    if kind == "activate" {
        (
            service::ACTIVATION_PURPOSE,
            "Activate your user",
            "/portal/activate?token=",
        )
    } else {
        (
            service::RESET_PURPOSE,
            "Choose a new password",
            "/portal/password/reset?token=",
        )
    }
}

async fn link_form(state: &AppState, kind: &str, token: &str) -> Result<Response, PortalError> {
    let (purpose, heading, path) = purpose_of(kind);
    match service::check_link(state, token, purpose).await? {
        LinkCheck::Valid => {
            let (layout, csrf_token) = public_layout(state, heading);
            form_page(
                state,
                StatusCode::OK,
                &csrf_token,
                &SetPasswordPage {
                    layout,
                    heading,
                    action: format!("{path}{token}"),
                    errors: Vec::new(),
                },
            )
        }
        other => link_refused(state, other, purpose),
    }
}

async fn link_submit(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    kind: &str,
    token: &str,
    body: &Bytes,
) -> Result<Response, PortalError> {
    let fields = FormFields::parse(body)?;
    check_csrf(state, headers, &fields)?;
    let (purpose, heading, path) = purpose_of(kind);
    let password = fields.text("password");
    let mut errors = Vec::new();
    if password != fields.text("confirm") {
        errors.push("The two passwords are not the same.".to_owned());
    }
    let result = if errors.is_empty() {
        match service::use_link(state, token, purpose, password, Some(peer.ip().to_string())).await
        {
            Ok(result) => Some(result),
            Err(crate::http::ApiError::Unprocessable { errors: e, .. }) => {
                errors.extend(e.into_iter().map(|e| e.detail));
                None
            }
            Err(other) => return Err(other.into()),
        }
    } else {
        None
    };
    match result {
        Some(Ok(_)) => {
            let (layout, _) = public_layout(state, heading);
            render::page(&MessagePage {
                layout,
                heading: if purpose == service::ACTIVATION_PURPOSE {
                    "Your user is active".into()
                } else {
                    "Your password is changed".into()
                },
                message: if purpose == service::ACTIVATION_PURPOSE {
                    "Your password is set. Log in with your e-mail address and the new password."
                        .into()
                } else {
                    "Log in with the new password. Every earlier session of your user has ended."
                        .into()
                },
                login_link: true,
            })
        }
        Some(Err(check)) => link_refused(state, check, purpose),
        None => {
            let (layout, csrf_token) = public_layout(state, heading);
            form_page(
                state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &csrf_token,
                &SetPasswordPage {
                    layout,
                    heading,
                    action: format!("{path}{token}"),
                    errors,
                },
            )
        }
    }
}

pub async fn activate_form(
    State(state): State<AppState>,
    Query(LinkQuery { token }): Query<LinkQuery>,
) -> Result<Response, PortalError> {
    link_form(&state, "activate", &token).await
}

pub async fn activate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(LinkQuery { token }): Query<LinkQuery>,
    body: Bytes,
) -> Result<Response, PortalError> {
    link_submit(&state, peer, &headers, "activate", &token, &body).await
}

pub async fn reset_form(
    State(state): State<AppState>,
    Query(LinkQuery { token }): Query<LinkQuery>,
) -> Result<Response, PortalError> {
    link_form(&state, "reset", &token).await
}

pub async fn reset(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(LinkQuery { token }): Query<LinkQuery>,
    body: Bytes,
) -> Result<Response, PortalError> {
    link_submit(&state, peer, &headers, "reset", &token, &body).await
}

pub async fn forgot_form(State(state): State<AppState>) -> Result<Response, PortalError> {
    let (layout, token) = public_layout(&state, "Forgot your password?");
    form_page(
        &state,
        StatusCode::OK,
        &token,
        &ForgotPage {
            layout,
            sent: false,
            errors: Vec::new(),
        },
    )
}

pub async fn forgot(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PortalError> {
    let fields = FormFields::parse(&body)?;
    check_csrf(&state, &headers, &fields)?;
    let email = fields.text("email");
    let (layout, token) = public_layout(&state, "Forgot your password?");
    if email.trim().is_empty() || email.len() > 320 {
        return form_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &token,
            &ForgotPage {
                layout,
                sent: false,
                errors: vec!["Enter the e-mail address of your user.".into()],
            },
        );
    }
    // The same answer, at the same moment, whether or not the address belongs to
    // an active user: the lookup and the e-mail happen after it.
    service::request_password_reset(&state, &email.to_lowercase(), Some(peer.ip().to_string()));
    form_page(
        &state,
        StatusCode::OK,
        &token,
        &ForgotPage {
            layout,
            sent: true,
            errors: Vec::new(),
        },
    )
}

fn item(row: &outbox::OutboxRow) -> OutboxItem {
    OutboxItem {
        id: row.id,
        recipient: row.recipient.clone(),
        subject: row.subject.clone(),
        state: row.state.clone(),
        created: day_time(row.created_at),
    }
}

/// The demo's outbox: only in demo mode, where every user is made up.
pub async fn demo_outbox(State(state): State<AppState>) -> Result<Response, PortalError> {
    if !state.config.demo {
        return Err(PortalError::NotFound);
    }
    let rows = outbox::list(&state.db, 100).await?;
    let (layout, _) = public_layout(&state, "Demo outbox");
    render::page(&OutboxPage {
        layout,
        messages: rows.iter().map(item).collect(),
    })
}

pub async fn demo_outbox_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    if !state.config.demo {
        return Err(PortalError::NotFound);
    }
    let id: i64 = id.parse().map_err(|_| PortalError::NotFound)?;
    let row = outbox::find(&state.db, id)
        .await?
        .ok_or(PortalError::NotFound)?;
    let (layout, _) = public_layout(&state, "Demo outbox");
    let own = state.public_url.trim_end_matches('/').to_owned();
    render::page(&OutboxMessagePage {
        layout,
        item: item(&row),
        // The demo may show its made-up people's links; staff pages never do.
        lines: crate::services::mail::body_to_deliver(&state, &row)
            .lines()
            .map(|l| (l.starts_with(&format!("{own}/portal/")), l.to_owned()))
            .collect(),
        attachment: row.attachment_name.clone().zip(row.attachment.clone()),
    })
}

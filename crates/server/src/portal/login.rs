//! Logging in with email and password, and logging out.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, UserStatus};
use oneportal_store::users;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

use super::csrf::CsrfForm;
use super::error::safe_next;
use super::form::FormFields;
use super::layout::Layout;
use super::session::{self, Session};
use super::{PortalError, csrf, render, throttle};
use crate::audit::{self, Actor, Event};
use crate::state::AppState;

/// Before a session exists, the login form's CSRF token is a cookie its hidden field must match.
const LOGIN_CSRF_COOKIE: &str = "op_login_csrf";

/// Said for an unknown email and for a wrong password alike.
const GENERIC_FAILURE: &str = "The email address or password is not correct, or the user is not active. Check both and try again.";

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: String,
    notice: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    email: String,
    next: &str,
    error: String,
    notice: String,
) -> Result<Response, PortalError> {
    let token = crate::auth::random::alphanumeric(32);
    let mut layout = Layout::public("Log in");
    layout.csrf_token = token.clone();
    layout.demo = state.config.demo;
    let mut response = render::page_with_status(
        status,
        &LoginPage {
            layout,
            email,
            next: safe_next(next).to_owned(),
            error,
            notice,
        },
    )?;
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, LOGIN_CSRF_COOKIE, &token, 3600),
    );
    Ok(response)
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PortalError> {
    let next = query.next.unwrap_or_default();
    if session::current(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(safe_next(&next)).into_response());
    }
    let notice = if query.signed_out.is_some() {
        "You are logged out.".to_owned()
    } else {
        String::new()
    };
    login_page(
        &state,
        StatusCode::OK,
        String::new(),
        &next,
        String::new(),
        notice,
    )
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PortalError> {
    let fields = FormFields::parse(&body)?;
    check_login_form(&state, &headers, &fields, LOGIN_CSRF_COOKIE)?;
    let email = fields.text("email").trim().to_lowercase();
    let password = fields.text("password");
    let next = fields.text("next");
    let ip = peer.ip().to_string();
    let fail = |status: StatusCode, message: String| {
        login_page(&state, status, email.clone(), &next, message, String::new())
    };
    if email.is_empty() || password.is_empty() {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your email address and your password.".into(),
        );
    }
    if email.len() > 320 || password.len() > 1024 {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, GENERIC_FAILURE.into());
    }
    if let Some(until) = throttle::locked_until(&state, &email, Some(&ip)).await? {
        return fail(StatusCode::TOO_MANY_REQUESTS, locked_message(until));
    }

    let user = users::find_by_email(&state.db, &email).await?;
    let verified = password_matches(
        password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await;
    let active = user
        .as_ref()
        .is_some_and(|u| UserStatus::parse(&u.status) == Some(UserStatus::Active));
    match user {
        Some(user) if verified && active => {
            throttle::clear(&state, &email).await?;
            let value = session::start(&state, user.id, Some(ip.clone())).await?;
            audit::record(
                &state.db,
                Event::new(
                    Actor::User {
                        id: user.id,
                        org_id: user.org_id,
                    },
                    "portal.login_succeeded",
                )
                .target("user", IdKind::User.format(user.id))
                .ip(Some(ip)),
            )
            .await?;
            let mut response = Redirect::to(safe_next(&next)).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                session::set_cookie(
                    &state,
                    session::cookie_name(&state),
                    &value,
                    session::ABSOLUTE_MS / 1000,
                ),
            );
            headers.append(
                header::SET_COOKIE,
                session::set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0),
            );
            Ok(response)
        }
        user => {
            let locked = throttle::record_failure(&state, &email, Some(&ip)).await?;
            let org = user.as_ref().map(|u| u.org_id);
            let reason = match (&user, verified) {
                (None, _) => "unknown_email",
                (Some(_), false) => "wrong_password",
                (Some(_), true) => "user_not_active",
            };
            let mut event = Event::new(Actor::System, "portal.login_failed")
                .org(org)
                .details(json!({ "email": email, "reason": reason }))
                .ip(Some(ip.clone()));
            if let Some(user) = &user {
                event = event.target("user", IdKind::User.format(user.id));
            }
            audit::record(&state.db, event).await?;
            if let Some(until) = locked {
                audit::record(
                    &state.db,
                    Event::new(Actor::System, "portal.login_locked")
                        .org(org)
                        .details(
                            json!({ "email": email, "lockedUntil": crate::api::rfc3339(until) }),
                        )
                        .ip(Some(ip)),
                )
                .await?;
                return fail(StatusCode::TOO_MANY_REQUESTS, locked_message(until));
            }
            fail(StatusCode::UNAUTHORIZED, GENERIC_FAILURE.into())
        }
    }
}

/// The login form has no session yet: it needs this server's Origin and a hidden
/// field matching the double-submit `cookie` the form was sent with.
pub(super) fn check_login_form(
    state: &AppState,
    headers: &HeaderMap,
    fields: &FormFields,
    cookie: &str,
) -> Result<(), PortalError> {
    csrf::same_origin(state, headers)?;
    let expected = session::cookie_value(headers, cookie).unwrap_or_default();
    if csrf::token_matches(&expected, fields.get(csrf::FIELD)) {
        Ok(())
    } else {
        Err(PortalError::Csrf(
            "the login form is out of date (or cookies are switched off)",
        ))
    }
}

/// Whether `password` matches `hash`. Without a hash (an unknown person) the same
/// Argon2 time is spent, so a failure does not tell whether the account exists.
pub(super) async fn password_matches(password: String, hash: Option<String>) -> bool {
    match hash {
        Some(hash) => crate::auth::password::verify(password, hash).await,
        None => {
            crate::auth::password::verify(password, dummy_hash().await).await;
            false
        }
    }
}

pub(super) fn locked_message(until: i64) -> String {
    format!(
        "Too many failed attempts to log in. For your security, logging in is paused until {}. Try again then, or reset your password with your administrator.",
        throttle::describe_until(until)
    )
}

/// Makes the stand-in hash ahead of the first login.
pub async fn warm_up() {
    dummy_hash().await;
}

/// A real Argon2 hash to verify against when the email is unknown.
async fn dummy_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        crate::auth::password::hash("not-a-real-password-at-all".into())
            .await
            .unwrap_or_default()
    })
    .await
    .clone()
}

pub async fn logout(
    State(state): State<AppState>,
    CsrfForm(session, _): CsrfForm<Session>,
) -> Result<Response, PortalError> {
    session::end(&state, &session).await?;
    audit::record(
        &state.db,
        Event::new(Actor::user(&session.user), "portal.logged_out")
            .target("user", IdKind::User.format(session.user.id)),
    )
    .await?;
    let mut response = Redirect::to("/portal/login?signed_out=1").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, session::cookie_name(&state), "", 0),
    );
    Ok(response)
}

/// Whether the user may use a section; the same permission check the API uses.
pub fn require(session: &Session, permission: Permission) -> Result<(), PortalError> {
    crate::auth::caller::Caller::require_permission(&session.user, permission)
        .map_err(PortalError::Api)
}

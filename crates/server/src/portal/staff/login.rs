//! Staff log in at `/staff/login` with their own password: the customer login's
//! throttling, lockout, double-submit CSRF cookie and equal-cost failures.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::ids::IdKind;
use oneportal_store::users;
use serde::Deserialize;
use serde_json::json;

use super::session::{self as staff_session, StaffSession};
use crate::audit::{self, Actor, Event};
use crate::portal::csrf::CsrfForm;
use crate::portal::error::safe_next_under;
use crate::portal::form::FormFields;
use crate::portal::layout::Layout;
use crate::portal::login::{check_login_form, locked_message, password_matches};
use crate::portal::session::{ABSOLUTE_MS, set_cookie};
use crate::portal::{PortalError, render, throttle};
use crate::state::AppState;

const LOGIN_CSRF_COOKIE: &str = "op_staff_login_csrf";
const GENERIC_FAILURE: &str = "The email address or password is not correct, or the staff member is not active. Check both and try again.";

fn safe_next(next: &str) -> &str {
    safe_next_under("/staff/", next)
}

/// Failed staff logins are counted apart from a customer's with the same address.
fn throttle_key(email: &str) -> String {
    format!("staff:{email}")
}

#[derive(Template)]
#[template(path = "portal/staff/login.html")]
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
    let mut layout = Layout::public("Staff log in");
    layout.csrf_token = token.clone();
    layout.home_href = "/staff/";
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
        set_cookie(state, LOGIN_CSRF_COOKIE, &token, 3600),
    );
    Ok(response)
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PortalError> {
    let next = query.next.unwrap_or_default();
    if staff_session::current(&state, &headers).await?.is_some() {
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
    let key = throttle_key(&email);
    if let Some(until) = throttle::locked_until(&state, &key, Some(&ip)).await? {
        return fail(StatusCode::TOO_MANY_REQUESTS, locked_message(until));
    }
    let member = users::find_staff_by_email(&state.db, &email).await?;
    // Unknown staff, and staff without a password (tokens only), cost a wrong password's time.
    let verified = password_matches(
        password,
        member.as_ref().and_then(|s| s.password_hash.clone()),
    )
    .await;
    let active = member.as_ref().is_some_and(|s| s.status == "Active");
    match member {
        Some(member) if verified && active => {
            throttle::clear(&state, &key).await?;
            let value = staff_session::start(&state, member.id, Some(ip.clone())).await?;
            audit::record(
                &state.db,
                Event::new(Actor::Staff { id: member.id }, "staff.login_succeeded")
                    .target("staff", IdKind::Staff.format(member.id))
                    .ip(Some(ip)),
            )
            .await?;
            let mut response = Redirect::to(safe_next(&next)).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    staff_session::cookie_name(&state),
                    &value,
                    ABSOLUTE_MS / 1000,
                ),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0),
            );
            Ok(response)
        }
        member => {
            let locked = throttle::record_failure(&state, &key, Some(&ip)).await?;
            let reason = match (&member, verified) {
                (None, _) => "unknown_email",
                (Some(_), false) => "wrong_password",
                (Some(_), true) => "staff_not_active",
            };
            let mut event = Event::new(Actor::System, "staff.login_failed")
                .details(json!({ "email": email, "reason": reason }))
                .ip(Some(ip.clone()));
            if let Some(member) = &member {
                event = event.target("staff", IdKind::Staff.format(member.id));
            }
            audit::record(&state.db, event).await?;
            if let Some(until) = locked {
                audit::record(
                    &state.db,
                    Event::new(Actor::System, "staff.login_locked")
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

pub async fn logout(
    State(state): State<AppState>,
    CsrfForm(session, _): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    oneportal_store::staff::delete_session(&state.db, &session.token_hash).await?;
    audit::record(
        &state.db,
        Event::new(
            Actor::Staff {
                id: session.staff.id,
            },
            "staff.logged_out",
        )
        .target("staff", IdKind::Staff.format(session.staff.id)),
    )
    .await?;
    let mut response = Redirect::to("/staff/login?signed_out=1").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, staff_session::cookie_name(&state), "", 0),
    );
    Ok(response)
}

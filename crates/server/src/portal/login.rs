//! Logging in with email and password, and logging out: one flow for customers'
//! users and for provider staff (throttling and lockout, the double-submit CSRF
//! cookie, equal-cost failures). What differs between the two is a [`LoginKind`]:
//! the customers' is here, the staff's in `staff::login`.

use std::future::Future;
use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, UserStatus};
use oneportal_store::{StoreError, users};
use serde::Deserialize;
use serde_json::json;

use super::csrf::{CsrfBound, CsrfForm};
use super::error::safe_next_under;
use super::form::FormFields;
use super::layout::Layout;
use super::session::{self, Session, SessionKind};
use super::{PortalError, csrf, render, throttle};
use crate::audit::{self, Actor, Event};
use crate::state::AppState;

/// What one login differs in: its page, its people and its audit events.
pub trait LoginKind:
    SessionKind + CsrfBound + FromRequestParts<AppState, Rejection = PortalError> + 'static
{
    /// The login page's address; its form posts back to it.
    const LOGIN_PATH: &'static str;
    /// The login page's heading.
    const HEADING: &'static str;
    /// Markup under the form: where else to go.
    const HINT: &'static str;
    /// Before a session exists, the login form's CSRF token is a cookie its hidden field must match.
    const FORM_CSRF_COOKIE: &'static str;
    /// Said for an unknown email and for a wrong password alike.
    const GENERIC_FAILURE: &'static str;
    const AUDIT: LoginAudit;

    /// The frame of the login page, for someone not logged in.
    fn login_layout(state: &AppState) -> Layout;
    /// Whose failed logins an address's failures count with.
    fn throttle_key(email: &str) -> String;
    /// The person this email address names, if any.
    fn find_by_email(
        state: &AppState,
        email: &str,
    ) -> impl Future<Output = Result<Option<Candidate>, StoreError>> + Send;
    /// The logged-in person, as the audit log names them.
    fn audited(&self) -> Audited;
}

/// The audit actions of one kind of login.
pub struct LoginAudit {
    pub succeeded: &'static str,
    pub failed: &'static str,
    pub locked: &'static str,
    pub logged_out: &'static str,
    /// The failure reason when the password is right but the person may not log in.
    pub not_active: &'static str,
}

/// Someone as the audit log names them: the actor, and the target of login events.
pub struct Audited {
    pub actor: Actor,
    pub target: (&'static str, String),
}

/// The person an email address names, as far as logging in needs them.
pub struct Candidate {
    pub id: i64,
    pub org_id: Option<i64>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub audited: Audited,
}

impl LoginKind for Session {
    const LOGIN_PATH: &'static str = "/portal/login";
    const HEADING: &'static str = "Log in to OnePortal";
    const HINT: &'static str = "<a href=\"/portal/password/forgot\">Forgot your password?</a> New users get an activation email from their administrator.";
    const FORM_CSRF_COOKIE: &'static str = "op_login_csrf";
    const GENERIC_FAILURE: &'static str = "The email address or password is not correct, or the user is not active. Check both and try again.";
    const AUDIT: LoginAudit = LoginAudit {
        succeeded: "portal.login_succeeded",
        failed: "portal.login_failed",
        locked: "portal.login_locked",
        logged_out: "portal.logged_out",
        not_active: "user_not_active",
    };

    fn login_layout(state: &AppState) -> Layout {
        let mut layout = Layout::public("Log in");
        layout.demo = state.config.demo;
        layout
    }

    fn throttle_key(email: &str) -> String {
        email.to_owned()
    }

    async fn find_by_email(state: &AppState, email: &str) -> Result<Option<Candidate>, StoreError> {
        Ok(users::find_by_email(&state.db, email)
            .await?
            .map(|user| Candidate {
                id: user.id,
                org_id: Some(user.org_id),
                active: user.status == UserStatus::Active,
                audited: Audited {
                    actor: Actor::User {
                        id: user.id,
                        org_id: user.org_id,
                    },
                    target: ("user", IdKind::User.format(user.id)),
                },
                password_hash: user.password_hash,
            }))
    }

    fn audited(&self) -> Audited {
        Audited {
            actor: Actor::user(&self.user),
            target: ("user", IdKind::User.format(self.user.id)),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    layout: Layout,
    heading: &'static str,
    action: &'static str,
    hint: &'static str,
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

/// Where to go after login: only below the kind's own pages.
fn safe_next<K: LoginKind>(next: &str) -> &str {
    safe_next_under(K::HOME, next)
}

fn login_page<K: LoginKind>(
    state: &AppState,
    status: StatusCode,
    email: String,
    next: &str,
    error: String,
    notice: String,
) -> Result<Response, PortalError> {
    let token = crate::auth::random::alphanumeric(32);
    let mut layout = K::login_layout(state);
    layout.csrf_token = token.clone();
    let mut response = render::page_with_status(
        status,
        &LoginPage {
            layout,
            heading: K::HEADING,
            action: K::LOGIN_PATH,
            hint: K::HINT,
            email,
            next: safe_next::<K>(next).to_owned(),
            error,
            notice,
        },
    )?;
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, K::FORM_CSRF_COOKIE, &token, 3600),
    );
    Ok(response)
}

pub async fn form<K: LoginKind>(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PortalError> {
    let next = query.next.unwrap_or_default();
    if session::current::<K>(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(safe_next::<K>(&next)).into_response());
    }
    let notice = if query.signed_out.is_some() {
        "You are logged out.".to_owned()
    } else {
        String::new()
    };
    login_page::<K>(
        &state,
        StatusCode::OK,
        String::new(),
        &next,
        String::new(),
        notice,
    )
}

pub async fn submit<K: LoginKind>(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PortalError> {
    let fields = FormFields::parse(&body)?;
    check_login_form(&state, &headers, &fields, K::FORM_CSRF_COOKIE)?;
    let email = fields.text("email").trim().to_lowercase();
    let password = fields.text("password");
    let next = fields.text("next");
    let ip = peer.ip().to_string();
    let fail = |status: StatusCode, message: String| {
        login_page::<K>(&state, status, email.clone(), &next, message, String::new())
    };
    if email.is_empty() || password.is_empty() {
        return fail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your email address and your password.".into(),
        );
    }
    if email.len() > 320 || password.len() > 1024 {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, K::GENERIC_FAILURE.into());
    }
    let key = K::throttle_key(&email);
    if let Some(until) = throttle::locked_until(&state, &key, Some(&ip)).await? {
        return fail(StatusCode::TOO_MANY_REQUESTS, locked_message(until));
    }

    let person = K::find_by_email(&state, &email).await?;
    // Unknown people, and people without a password (staff with tokens only), cost a wrong password's time.
    let verified = password_matches(
        password,
        person.as_ref().and_then(|p| p.password_hash.clone()),
    )
    .await;
    let active = person.as_ref().is_some_and(|p| p.active);
    match person {
        Some(person) if verified && active => {
            throttle::clear(&state, &key).await?;
            let value = session::start::<K>(&state, person.id, Some(ip.clone())).await?;
            let (target_kind, target_id) = person.audited.target;
            audit::record(
                &state.db,
                Event::new(person.audited.actor, K::AUDIT.succeeded)
                    .target(target_kind, target_id)
                    .ip(Some(ip)),
            )
            .await?;
            let mut response = Redirect::to(safe_next::<K>(&next)).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                session::set_cookie(
                    &state,
                    &session::cookie_name::<K>(&state),
                    &value,
                    session::ABSOLUTE_MS / 1000,
                ),
            );
            headers.append(
                header::SET_COOKIE,
                session::set_cookie(&state, K::FORM_CSRF_COOKIE, "", 0),
            );
            Ok(response)
        }
        person => {
            let locked = throttle::record_failure(&state, &key, Some(&ip)).await?;
            let org = person.as_ref().and_then(|p| p.org_id);
            let reason = match (&person, verified) {
                (None, _) => "unknown_email",
                (Some(_), false) => "wrong_password",
                (Some(_), true) => K::AUDIT.not_active,
            };
            let mut event = Event::new(Actor::System, K::AUDIT.failed)
                .org(org)
                .details(json!({ "email": email, "reason": reason }))
                .ip(Some(ip.clone()));
            if let Some(person) = person {
                let (target_kind, target_id) = person.audited.target;
                event = event.target(target_kind, target_id);
            }
            audit::record(&state.db, event).await?;
            if let Some(until) = locked {
                audit::record(
                    &state.db,
                    Event::new(Actor::System, K::AUDIT.locked)
                        .org(org)
                        .details(
                            json!({ "email": email, "lockedUntil": crate::http::time::rfc3339(until) }),
                        )
                        .ip(Some(ip)),
                )
                .await?;
                return fail(StatusCode::TOO_MANY_REQUESTS, locked_message(until));
            }
            fail(StatusCode::UNAUTHORIZED, K::GENERIC_FAILURE.into())
        }
    }
}

pub async fn logout<K: LoginKind>(
    State(state): State<AppState>,
    CsrfForm(session, _): CsrfForm<K>,
) -> Result<Response, PortalError> {
    session::end(&state, &session).await?;
    let who = session.audited();
    let (target_kind, target_id) = who.target;
    audit::record(
        &state.db,
        Event::new(who.actor, K::AUDIT.logged_out).target(target_kind, target_id),
    )
    .await?;
    let mut response = Redirect::to(&format!("{}?signed_out=1", K::LOGIN_PATH)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, &session::cookie_name::<K>(&state), "", 0),
    );
    Ok(response)
}

/// The login form has no session yet: it needs this server's Origin and a hidden
/// field matching the double-submit `cookie` the form was sent with.
fn check_login_form(
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
async fn password_matches(password: String, hash: Option<String>) -> bool {
    match hash {
        Some(hash) => crate::auth::password::verify(password, hash).await,
        None => {
            crate::auth::password::verify(password, crate::auth::password::STAND_IN_HASH.into())
                .await;
            false
        }
    }
}

fn locked_message(until: i64) -> String {
    format!(
        "Too many failed attempts to log in. For your security, logging in is paused until {}. Try again then, or reset your password with your administrator.",
        throttle::describe_until(until)
    )
}

/// Whether the user may use a section; the same permission check the API uses.
pub fn require(session: &Session, permission: Permission) -> Result<(), PortalError> {
    crate::access::Caller::require_permission(&session.user, permission).map_err(PortalError::Api)
}

/// Asks the logged-in person for their password again before an act that
/// binds their organization (confirming a deactivation). A wrong password
/// counts towards the same lockout as a failed login, so this form cannot be
/// used to guess it; while the address is locked it is refused like a login.
/// `Ok(Err(message))` is a refusal to show on the form.
pub async fn reauthenticate(
    state: &AppState,
    session: &Session,
    password: String,
    ip: &str,
) -> Result<Result<(), String>, PortalError> {
    let email = session.user.email.to_lowercase();
    let key = <Session as LoginKind>::throttle_key(&email);
    if let Some(until) = throttle::locked_until(state, &key, Some(ip)).await? {
        return Ok(Err(locked_message(until)));
    }
    if password.is_empty() || password.len() > 1024 {
        return Ok(Err("Enter your password to confirm.".into()));
    }
    let hash = users::find_by_email(&state.db, &email)
        .await?
        .and_then(|user| user.password_hash);
    if password_matches(password, hash).await {
        throttle::clear(state, &key).await?;
        return Ok(Ok(()));
    }
    let locked = throttle::record_failure(state, &key, Some(ip)).await?;
    audit::record(
        &state.db,
        Event::new(Actor::user(&session.user), "user.reauthentication_failed")
            .org(Some(session.user.org_id))
            .ip(Some(ip.to_owned())),
    )
    .await?;
    Ok(Err(match locked {
        Some(until) => locked_message(until),
        None => "That is not your password. Nothing was confirmed.".into(),
    }))
}

//! The Developer Portal's webhooks: endpoints with their signing secret shown
//! once, a test event with its answer, the delivery log with redelivery, and
//! enabling, disabling and deleting. Every change goes through
//! `services::webhooks`, so the pages apply the API's rules and audit.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_store::{now_ms, webhooks as store};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::developer::{day_time, form_refusal, keep_for_reveal, reveal_status, take_secret};
use super::layout::Layout;
use super::require::{DeveloperPortal, Require};
use super::session::Session;
use super::{PortalError, render};
use crate::models::webhook::{WebhookAttempt, WebhookDelivery, WebhookEndpoint};
use crate::services::webhooks::{self as service, EndpointRequest, delivery};
use crate::state::AppState;

/// Where the webhook pages are.
const WEBHOOKS: &str = "/portal/developer/webhooks";

#[derive(Template)]
#[template(path = "portal/developer/webhooks.html")]
struct ListPage {
    layout: Layout,
    endpoints: Vec<WebhookEndpoint>,
    notice: String,
}

#[derive(Template)]
#[template(path = "portal/developer/new_webhook.html")]
struct NewPage {
    layout: Layout,
    url: String,
    description: String,
    types: Vec<(&'static str, bool)>,
    all_types: bool,
    error: String,
    details: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/developer/webhook_secret.html")]
struct SecretPage {
    layout: Layout,
    endpoint_id: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "portal/developer/webhook.html")]
struct EndpointPage {
    layout: Layout,
    endpoint: WebhookEndpoint,
    deliveries: Vec<WebhookDelivery>,
    test: Option<WebhookAttempt>,
    notice: String,
}

async fn layout(state: &AppState, session: &Session, title: &str) -> Layout {
    Layout::for_session(state, session, title, "developer").await
}

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    notice: String,
}

fn notice_text(key: &str) -> String {
    match key {
        "deleted" => "The endpoint was deleted.",
        "redelivered" => "The event is queued again; it is sent within a second.",
        "enabled" => "The endpoint is enabled: deliveries resume with the next event.",
        "disabled" => "The endpoint is disabled: it gets no deliveries until you enable it.",
        "recovered" => "The events it had not received are queued; they are sent oldest first.",
        _ => "",
    }
    .to_owned()
}

pub async fn list(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Query(notice): Query<Notice>,
) -> Result<Response, PortalError> {
    let rows = service::list(&state, &session.user).await?;
    render::page(&ListPage {
        layout: layout(&state, &session, "Webhooks").await,
        endpoints: rows.iter().map(WebhookEndpoint::from).collect(),
        notice: notice_text(&notice.notice),
    })
}

fn type_choices(chosen: &[String]) -> Vec<(&'static str, bool)> {
    EventType::NAMES
        .iter()
        .map(|name| (*name, chosen.iter().any(|c| c == name)))
        .collect()
}

pub async fn new_form(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
) -> Result<Response, PortalError> {
    render::page(&NewPage {
        layout: layout(&state, &session, "New webhook endpoint").await,
        url: String::new(),
        description: String::new(),
        types: type_choices(&[]),
        all_types: true,
        error: String::new(),
        details: Vec::new(),
    })
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    let url = fields.text("url").trim().to_owned();
    let description = fields.text("description");
    let all_types = fields.get("allTypes") == Some("yes");
    let chosen = fields.all("eventTypes");
    let types: Vec<String> = if all_types {
        vec!["*".into()]
    } else {
        chosen.clone()
    };
    let request = EndpointRequest {
        url: Some(&url),
        description: Some(&description),
        event_types: Some(&types),
        enabled: None,
    };
    match service::create(&state, &session.user, request).await {
        Ok((row, secret)) => {
            let id = IdKind::WebhookEndpoint.format(row.id);
            let target =
                keep_for_reveal(&state, &session, WEBHOOKS, &id, "webhook", &secret).await?;
            Ok(Redirect::to(&target).into_response())
        }
        Err(error) => {
            let Some((status, error, details)) = form_refusal(&error) else {
                return Err(error.into());
            };
            render::page_with_status(
                status,
                &NewPage {
                    layout: layout(&state, &session, "New webhook endpoint").await,
                    url,
                    description,
                    types: type_choices(&chosen),
                    all_types,
                    error,
                    details,
                },
            )
        }
    }
}

/// Shows a new signing secret once: reading it deletes it, so a reload finds nothing.
pub async fn reveal(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Path((endpoint_id, reveal)): Path<(String, String)>,
) -> Result<Response, PortalError> {
    let (_, secret) = take_secret(&state, &session, &reveal, &endpoint_id).await?;
    render::page_with_status(
        reveal_status(&secret),
        &SecretPage {
            layout: layout(&state, &session, "Your webhook signing secret").await,
            endpoint_id,
            secret: secret.unwrap_or_default(),
        },
    )
}

/// The endpoint with its latest deliveries; `test` is a test attempt to show.
async fn endpoint_page(
    state: &AppState,
    session: &Require<DeveloperPortal>,
    id: &str,
    test: Option<WebhookAttempt>,
    notice: String,
) -> Result<Response, PortalError> {
    let row = service::find(state, &session.user, id).await?;
    let rows = store::list_deliveries(&state.db, row.id, 50).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut attempts = store::attempts_of(&state.db, &ids).await?;
    let deliveries = rows
        .into_iter()
        .map(|delivery| {
            let mine = attempts
                .extract_if(.., |a| a.delivery_id == delivery.id)
                .map(WebhookAttempt::from)
                .collect();
            WebhookDelivery::new(delivery, mine)
        })
        .collect();
    let endpoint = WebhookEndpoint::from(&row);
    render::page(&EndpointPage {
        layout: layout(state, session, &endpoint.url).await,
        endpoint,
        deliveries,
        test,
        notice,
    })
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<DeveloperPortal>,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, PortalError> {
    endpoint_page(&state, &session, &id, None, notice_text(&notice.notice)).await
}

pub async fn send_test(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, _fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    let row = service::find(&state, &session.user, &id).await?;
    let (_, outcome) = delivery::send_test(&state, &row).await?;
    let attempt = WebhookAttempt {
        attempted_date: day_time(now_ms() - outcome.latency_ms),
        status_code: outcome.status_code.map(i64::from),
        latency_ms: outcome.latency_ms,
        response: outcome.excerpt,
        error: outcome.error,
    };
    endpoint_page(&state, &session, &id, Some(attempt), String::new()).await
}

pub async fn redeliver(
    State(state): State<AppState>,
    Path((id, delivery_id)): Path<(String, String)>,
    CsrfForm(session, _fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    service::redeliver(&state, &session.user, &id, &delivery_id).await?;
    Ok(Redirect::to(&format!("{WEBHOOKS}/{id}?notice=redelivered")).into_response())
}

pub async fn set_enabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    let enabled = fields.get("enabled") == Some("yes");
    let request = EndpointRequest {
        url: None,
        description: None,
        event_types: None,
        enabled: Some(enabled),
    };
    service::update(&state, &session.user, &id, request).await?;
    let notice = if enabled { "enabled" } else { "disabled" };
    Ok(Redirect::to(&format!("{WEBHOOKS}/{id}?notice={notice}")).into_response())
}

/// How far back "Recover missed events" reaches, as the form offers it.
const RECOVER_CHOICES: [(&str, i64); 4] = [
    ("1h", 3_600_000),
    ("24h", 86_400_000),
    ("7d", 7 * 86_400_000),
    ("30d", 30 * 86_400_000),
];

pub async fn recover(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    let back = fields
        .get("since")
        .and_then(|choice| RECOVER_CHOICES.iter().find(|(name, _)| *name == choice))
        .map(|(_, ms)| *ms)
        .ok_or_else(|| {
            PortalError::Api(crate::http::ApiError::validation(vec![
                crate::http::FieldError::new(
                    "since",
                    "invalid_choice",
                    "choose how far back to recover: 1 hour, 24 hours, 7 days or 30 days",
                ),
            ]))
        })?;
    service::recover_since(&state, &session.user, &id, now_ms() - back).await?;
    Ok(Redirect::to(&format!("{WEBHOOKS}/{id}?notice=recovered")).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, _fields): CsrfForm<Require<DeveloperPortal>>,
) -> Result<Response, PortalError> {
    service::delete(&state, &session.user, &id).await?;
    Ok(Redirect::to(&format!("{WEBHOOKS}?notice=deleted")).into_response())
}

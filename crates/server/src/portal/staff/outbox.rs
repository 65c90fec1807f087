//! Every e-mail OnePortal wrote, newest first, with its delivery state:
//! `Pending` (waiting for SMTP, with the last error), `Sent`, or `Stored`
//! (no SMTP server configured). The same rows as `GET /ops/v1/outbox`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use oneportal_store::outbox;

use super::StaffSession;
use super::frame::layout;
use crate::portal::developer::day_time;
use crate::portal::layout::Layout;
use crate::portal::{PortalError, render};
use crate::state::AppState;

/// The newest messages shown (the operations API's largest page).
const SHOWN: i64 = 200;

pub struct MessageLine {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    pub created: String,
    pub sent: String,
}

#[derive(Template)]
#[template(path = "portal/staff/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<MessageLine>,
    shown: i64,
}

pub async fn list(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Response, PortalError> {
    let messages = outbox::list(&state.db, SHOWN)
        .await?
        .into_iter()
        .map(|m| MessageLine {
            id: m.id,
            to: m.recipient,
            subject: m.subject,
            body: m.body,
            state: m.state,
            attempts: m.attempts,
            last_error: m.last_error.unwrap_or_default(),
            created: day_time(m.created_at),
            sent: m.sent_at.map(day_time).unwrap_or_default(),
        })
        .collect();
    render::page(&OutboxPage {
        layout: layout(&session, "Outbox", "outbox"),
        messages,
        shown: SHOWN,
    })
}

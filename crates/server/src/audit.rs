//! Writing audit events: who did what, to what, from where. Never a secret.

use oneportal_store::audit::{self, NewAuditEvent};
use oneportal_store::{Exec, StoreError, now_ms};
use serde_json::Value;

/// Who acts: a user, an operator at the command line, or the server itself.
#[derive(Debug, Clone)]
pub enum Actor {
    User { id: i64, org_id: i64 },
    Cli,
    System,
}

impl Actor {
    fn parts(&self) -> (&'static str, String, Option<i64>) {
        match self {
            Actor::User { id, org_id } => (
                "user",
                oneportal_domain::ids::IdKind::User.format(*id),
                Some(*org_id),
            ),
            Actor::Cli => ("operator", "cli".to_owned(), None),
            Actor::System => ("system", "oneportal".to_owned(), None),
        }
    }
}

/// One event; `org_id` defaults to the actor's organization.
pub struct Event<'a> {
    pub actor: &'a Actor,
    pub action: &'static str,
    pub org_id: Option<i64>,
    pub target: Option<(&'static str, String)>,
    pub details: Value,
    pub ip: Option<String>,
}

pub async fn record(db: &impl Exec, event: Event<'_>) -> Result<(), StoreError> {
    let (actor_type, actor_id, actor_org) = event.actor.parts();
    let (target_type, target_id) = match event.target {
        Some((kind, id)) => (Some(kind.to_owned()), Some(id)),
        None => (None, None),
    };
    audit::append(
        db,
        NewAuditEvent {
            at: now_ms(),
            org_id: event.org_id.or(actor_org),
            actor_type: actor_type.to_owned(),
            actor_id,
            action: event.action.to_owned(),
            target_type,
            target_id,
            details: event.details.to_string(),
            ip: event.ip,
            request_id: crate::http::request_id::current(),
        },
    )
    .await
}

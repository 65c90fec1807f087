//! Writing audit events: who did what, to what, from where. Never a secret.

use oneportal_store::audit::{self, NewAuditEvent};
use oneportal_store::{Exec, StoreError, now_ms};
use serde_json::Value;

/// Who acts: a user, an operator at the command line, or the server itself.
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        id: i64,
        org_id: i64,
    },
    /// An API client acting with its client-credentials token.
    Client {
        client_id: String,
        org_id: i64,
    },
    /// The provider's staff (operations API and pages).
    Staff {
        id: i64,
    },
    Cli,
    System,
    /// The provider's monitoring, through its integration token.
    Monitoring,
}

impl Actor {
    pub fn user(user: &crate::directory::UserEntry) -> Actor {
        Actor::User {
            id: user.id,
            org_id: user.org_id,
        }
    }

    fn parts(&self) -> (&'static str, String, Option<i64>) {
        match self {
            Actor::User { id, org_id } => (
                "user",
                oneportal_domain::ids::IdKind::User.format(*id),
                Some(*org_id),
            ),
            Actor::Client { client_id, org_id } => ("api_client", client_id.clone(), Some(*org_id)),
            Actor::Staff { id } => (
                "staff",
                oneportal_domain::ids::IdKind::Staff.format(*id),
                None,
            ),
            Actor::Cli => ("operator", "cli".to_owned(), None),
            Actor::System => ("system", "oneportal".to_owned(), None),
            Actor::Monitoring => ("monitoring", "monitoring".to_owned(), None),
        }
    }
}

/// One event; `org_id` defaults to the actor's organization.
#[must_use = "an event is only recorded by `record`"]
#[derive(Clone)]
pub struct Event {
    actor: Actor,
    action: &'static str,
    org_id: Option<i64>,
    target: Option<(&'static str, String)>,
    details: Value,
    ip: Option<String>,
    /// The request that caused it, taken when the event is made: it may be
    /// recorded later by another task (see `services::case_writer`).
    request_id: Option<String>,
}

impl Event {
    pub fn new(actor: Actor, action: &'static str) -> Event {
        Event {
            actor,
            action,
            org_id: None,
            target: None,
            details: Value::Object(Default::default()),
            ip: None,
            request_id: crate::http::request_id::current(),
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> Event {
        self.target = Some((kind, id.into()));
        self
    }

    pub fn details(mut self, details: Value) -> Event {
        self.details = details;
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Event {
        self.ip = ip;
        self
    }

    pub fn org(mut self, org_id: Option<i64>) -> Event {
        self.org_id = org_id;
        self
    }
}

pub async fn record(db: &impl Exec, event: Event) -> Result<(), StoreError> {
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
            request_id: event.request_id,
        },
    )
    .await
}

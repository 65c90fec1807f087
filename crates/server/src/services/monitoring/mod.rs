//! Proactive incidents from the provider's monitoring (PRODUCT §8).
//!
//! - [`tokens`]: the integration tokens monitoring authenticates with;
//! - [`intake`]: Alertmanager and PagerDuty-shaped notifications, checked and
//!   written to the inbox before they are acknowledged;
//! - [`processor`]: acts on the inbox in order: opens proactive cases, posts
//!   recovery messages, records alerts against maintenance in progress;
//! - [`health`]: each service's health from its open alerts and maintenance.

pub mod health;
pub mod intake;
pub mod processor;
pub mod tokens;

use std::collections::BTreeMap;

use oneportal_domain::monitoring::{AlertAction, AlertKind};
use serde::{Deserialize, Serialize};

/// One alert of a notification, as OnePortal keeps it in the inbox: whichever
/// shape it came in, it is this by the time it is acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// `alertmanager:<fingerprint>` or `events:<dedup_key>`.
    pub key: String,
    pub action: AlertAction,
    /// The service as the alert names it (the configured label); acknowledgements
    /// and resolves may leave it out.
    pub service: Option<String>,
    pub kind: AlertKind,
    pub severity: String,
    /// One line: what monitoring saw.
    pub summary: String,
    /// More, if monitoring said more.
    pub details: String,
    pub labels: BTreeMap<String, String>,
    /// When monitoring says it happened (Unix ms).
    pub at: i64,
}

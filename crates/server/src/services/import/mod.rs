//! The provider's bulk import: organizations, accounts, sites, services,
//! invoices with lines, case updates and RFOs, maintenance, quotes and orders
//! from one JSON document, for
//! `oneportal import FILE.json` and `POST /ops/v1/imports` alike.
//!
//! The whole document is checked before anything is written (every problem is
//! reported at once, pointing at its field); then every record is upserted by
//! the provider's own reference, so importing the same document twice changes
//! nothing, and an interrupted import is finished by running it again.

mod apply;
mod check;
pub mod document;
mod lifecycle;
mod prepare;
mod summary;

use serde_json::json;

use crate::audit::{self, Event};
use crate::http::ApiError;
use crate::services::cases::CaseActor;
use crate::state::AppState;

pub use document::ImportDocument;
pub use summary::{Counts, Summary};

/// The largest import document accepted over HTTP (the operations API and the
/// staff pages); bigger ones go through the CLI.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// A checked document, ready to write; `records` is how many it will write.
pub struct Checked {
    plan: prepare::Plan,
}

impl Checked {
    pub fn records(&self) -> u64 {
        self.plan.records
    }
}

/// Checks the whole document: `Unprocessable` (422) with every problem, each
/// pointing at its field, when anything is wrong. Nothing is written.
pub async fn check(state: &AppState, document: ImportDocument) -> Result<Checked, ApiError> {
    Ok(Checked {
        plan: prepare::prepare(&state.db, document).await?,
    })
}

/// Writes a checked document. `progress` hears of every record written.
/// `actor` is who the audit log and the case conversations name.
pub async fn apply(
    state: &AppState,
    checked: Checked,
    actor: &CaseActor,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, ApiError> {
    let summary = apply::apply(state, checked.plan, actor, progress).await?;
    let event = Event::new(actor.audit.clone(), "import.applied").details(json!(summary));
    audit::record(&state.db, event).await?;
    Ok(summary)
}

/// The provider as the conversation names it when a staff member is not known.
pub fn provider_actor(audit: audit::Actor) -> CaseActor {
    CaseActor {
        audit,
        name: "Support".into(),
        contact_email: String::new(),
    }
}

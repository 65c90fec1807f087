//! The product's rules for changing things, shared by the API, the portal and
//! the CLI so that every path runs the same permission checks and audit.

pub mod api_clients;
pub mod attachment_type;
pub mod case_writer;
pub mod cases;
pub mod deactivations;
pub mod events;
pub mod import;
pub mod invoices;
pub mod mail;
pub mod maintenance;
pub mod metrics;
pub mod monitoring;
pub mod notifications;
pub mod orders;
pub mod quotes;
pub mod rfo;
pub mod users;
pub mod webhooks;

use oneportal_store::{StoreError, Tx};

use crate::audit::{self, Event};
use crate::cluster::Change;
use crate::state::AppState;

/// Records the audit event in the same transaction as the change it describes,
/// commits both, then tells every node what changed.
pub async fn commit_audited(
    state: &AppState,
    tx: Tx,
    event: Event,
    change: Change,
) -> Result<(), StoreError> {
    audit::record(&tx, event).await?;
    tx.commit().await?;
    state.publish(change).await;
    Ok(())
}

//! What an import wrote, counted per kind of record.

use oneportal_store::provisioning::Upserted;
use serde::Serialize;
use utoipa::ToSchema;

/// What one kind of record went through.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    pub(super) fn count(&mut self, upserted: Upserted) {
        match upserted {
            Upserted::Created(_) => self.created += 1,
            Upserted::Updated(_) => self.updated += 1,
            Upserted::Unchanged(_) => self.unchanged += 1,
        }
    }
}

/// What an import wrote. A second import of the same document counts everything as unchanged.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub organizations: Counts,
    pub accounts: Counts,
    pub sites: Counts,
    pub services: Counts,
    pub invoices: Counts,
    pub communications: Counts,
    /// `updated` when the case moved, `unchanged` when it already had that status.
    pub status_changes: Counts,
    pub rfos: Counts,
    /// `updated` when a maintenance changed or moved on.
    pub maintenances: Counts,
    /// `updated` when a quote was revised, sent or withdrawn.
    pub quotes: Counts,
    /// `updated` when an order reached a milestone, was delayed or cancelled.
    pub orders: Counts,
}

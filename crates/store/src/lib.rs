//! OnePortal's storage: SQLite by default, PostgreSQL for several nodes,
//! with the same SQL and the same migrations versions on both.

pub mod api_clients;
pub mod arg;
pub mod audit;
pub mod calendar_feeds;
pub mod cases;
pub mod catalog;
mod checkpoint;
pub mod counts;
pub mod db;
pub mod deactivations;
pub mod direct;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod invoices;
pub mod keys;
pub mod listing;
pub mod maintenances;
pub mod metrics;
pub mod monitoring;
pub mod notifications;
pub mod orders;
pub mod orgs;
pub mod outbox;
pub mod portal;
pub mod provisioning;
pub mod quotes;
pub mod rate_counters;
pub mod revocations;
pub mod sessions;
pub mod settings;
pub mod staff;
pub mod stored;
pub mod users;
pub mod webhooks;

pub use db::{Arg, Backend, Db, Exec, Reader, Record, SqliteDurability, Tx};
pub use error::StoreError;

/// The current time as Unix milliseconds, the form every timestamp column holds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

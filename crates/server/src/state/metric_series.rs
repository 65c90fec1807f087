//! What the metrics intake remembers between pushes, so that a push of known
//! series costs one write and no reads.

use std::sync::atomic::{AtomicI64, Ordering};

use dashmap::DashMap;
use oneportal_store::metrics::SeriesRow;

/// How long a service id that named no service is not looked up again.
const UNKNOWN_FOR_MS: i64 = 60_000;

pub struct KnownSeries {
    /// Series by the hash of their labels.
    by_labels: quick_cache::sync::Cache<String, SeriesRow>,
    /// Service ids pushed that named no service, until when they are not looked up again.
    unknown_services: DashMap<String, i64>,
    /// How far the five-minute rollup had gone when this node last looked:
    /// samples before it arrived late and ask for a redo.
    rolled_up_to: AtomicI64,
}

impl Default for KnownSeries {
    fn default() -> Self {
        KnownSeries {
            by_labels: quick_cache::sync::Cache::new(200_000),
            unknown_services: DashMap::new(),
            rolled_up_to: AtomicI64::new(i64::MIN),
        }
    }
}

impl KnownSeries {
    pub fn series(&self, labels_hash: &str) -> Option<SeriesRow> {
        self.by_labels.get(labels_hash)
    }

    pub fn remember(&self, labels_hash: String, series: SeriesRow) {
        self.by_labels.insert(labels_hash, series);
    }

    /// Whether `service` was found to name no service within the last minute.
    pub fn known_unknown(&self, service: &str, now: i64) -> bool {
        self.unknown_services
            .get(service)
            .is_some_and(|until| *until > now)
    }

    pub fn remember_unknown(&self, service: &str, now: i64) {
        if self.unknown_services.len() > 100_000 {
            self.unknown_services.retain(|_, until| *until > now);
        }
        self.unknown_services
            .insert(service.to_owned(), now + UNKNOWN_FOR_MS);
    }

    pub fn rolled_up_to(&self) -> i64 {
        self.rolled_up_to.load(Ordering::Relaxed)
    }

    pub fn set_rolled_up_to(&self, at: i64) {
        self.rolled_up_to.store(at, Ordering::Relaxed);
    }
}

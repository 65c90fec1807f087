//! Totals of large lists (`X-Total-Count`), remembered for a moment: counting a
//! hundred thousand matching cases for every page would cost far more than the
//! page. A write on this node forgets them at once; other nodes' writes show
//! within the time to live.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::Arg;

pub struct CountCache {
    totals: quick_cache::sync::Cache<String, (i64, Instant)>,
    generation: AtomicU64,
    time_to_live: Duration,
}

impl CountCache {
    pub fn new(time_to_live: Duration) -> Self {
        CountCache {
            totals: quick_cache::sync::Cache::new(10_000),
            generation: AtomicU64::new(0),
            time_to_live,
        }
    }

    /// Forgets every remembered total (call after a write to the counted table).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn key(&self, sql: &str, args: &[Arg]) -> String {
        format!("{}|{sql}|{args:?}", self.generation.load(Ordering::Relaxed))
    }

    pub(crate) fn get(&self, key: &str) -> Option<i64> {
        self.totals
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.time_to_live)
            .map(|(total, _)| total)
    }

    pub(crate) fn put(&self, key: String, total: i64) {
        self.totals.insert(key, (total, Instant::now()));
    }
}

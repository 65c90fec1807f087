//! Totals of large lists (`X-Total-Count`), remembered for a moment: counting a
//! hundred thousand matching cases for every page would cost far more than the
//! page. A write on this node forgets them at once; other nodes' writes show
//! within the time to live.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{Arg, StoreError};

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

    /// The remembered total for `key`, or `count`'s answer. Only one caller counts a
    /// given key at a time; the others wait for its answer rather than all
    /// recounting together when the total expires.
    pub(crate) async fn total(
        &self,
        key: String,
        count: impl Future<Output = Result<i64, StoreError>>,
    ) -> Result<i64, StoreError> {
        let mut count = Some(count);
        loop {
            match self.totals.get_value_or_guard_async(&key).await {
                Ok((total, at)) if at.elapsed() < self.time_to_live => return Ok(total),
                // Expired: drop it, unless another caller has just refreshed it.
                Ok(_) => {
                    self.totals
                        .remove_if(&key, |(_, at)| at.elapsed() >= self.time_to_live);
                }
                Err(guard) => {
                    let Some(count) = count.take() else {
                        continue;
                    };
                    let total = count.await?;
                    let _ = guard.insert((total, Instant::now()));
                    return Ok(total);
                }
            }
        }
    }
}

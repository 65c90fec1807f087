//! Totals of large lists (`X-Total-Count`), remembered for a moment: counting a
//! hundred thousand matching cases for every page would cost far more than the
//! page. A write on this node forgets them at once; other nodes' writes show
//! within the time to live (plus the time of one count).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{Arg, StoreError};

/// A remembered total, the generation it was counted in, when, and whether a
/// caller is recounting it.
#[derive(Clone)]
struct Total {
    value: i64,
    generation: u64,
    counted_at: Instant,
    recounting: Arc<AtomicBool>,
}

impl Total {
    fn new(value: i64, generation: u64) -> Total {
        Total {
            value,
            generation,
            counted_at: Instant::now(),
            recounting: Arc::new(AtomicBool::new(false)),
        }
    }
}

pub struct CountCache {
    totals: quick_cache::sync::Cache<String, Total>,
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

    /// The generation is kept in the value, not the key, so that a write replaces
    /// a list's total rather than leaving the old one behind until evicted.
    pub(crate) fn key(&self, sql: &str, args: &[Arg]) -> String {
        format!("{sql}|{args:?}")
    }

    /// The remembered total for `key`, or `count`'s answer.
    ///
    /// Only one caller counts a given key at a time. When nothing is remembered
    /// (first use, or a write on this node changed the generation in the key) the
    /// others wait for its answer. When the total has merely aged past its time to
    /// live, one caller recounts and the others keep getting the aged total
    /// meanwhile: on a million rows a count takes long enough that making every
    /// request wait for it would stall the whole list once per time to live.
    pub(crate) async fn total(
        &self,
        key: String,
        count: impl Future<Output = Result<i64, StoreError>>,
    ) -> Result<i64, StoreError> {
        let mut count = Some(count);
        loop {
            let generation = self.generation.load(Ordering::Acquire);
            match self.totals.get_value_or_guard_async(&key).await {
                // Counted before a write on this node: as good as missing.
                Ok(total) if total.generation != generation => {
                    self.totals.remove_if(&key, |t| t.generation != generation);
                }
                Ok(total) if total.counted_at.elapsed() < self.time_to_live => {
                    return Ok(total.value);
                }
                Ok(aged) => {
                    let claimed = aged.recounting.compare_exchange(
                        false,
                        true,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    let Some(count) = count.take().filter(|_| claimed.is_ok()) else {
                        return Ok(aged.value);
                    };
                    return match count.await {
                        Ok(value) => {
                            self.totals.insert(key, Total::new(value, generation));
                            Ok(value)
                        }
                        Err(error) => {
                            // Let the next caller try again.
                            aged.recounting.store(false, Ordering::Release);
                            Err(error)
                        }
                    };
                }
                Err(guard) => {
                    let Some(count) = count.take() else {
                        continue;
                    };
                    let value = count.await?;
                    let _ = guard.insert(Total::new(value, generation));
                    return Ok(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(ttl_ms: u64) -> CountCache {
        CountCache::new(Duration::from_millis(ttl_ms))
    }

    #[tokio::test]
    async fn a_fresh_total_is_not_recounted() {
        let counts = cache(60_000);
        assert_eq!(counts.total("k".into(), async { Ok(7) }).await.unwrap(), 7);
        assert_eq!(counts.total("k".into(), async { Ok(8) }).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn an_aged_total_is_served_while_one_caller_recounts() {
        let counts = cache(1);
        counts.total("k".into(), async { Ok(7) }).await.unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let recount = counts.total("k".into(), async {
            wait.await.ok();
            Ok(9)
        });
        let other = async {
            // The recount above is in flight: this caller gets the aged total at once.
            let value = counts.total("k".into(), async { Ok(100) }).await.unwrap();
            release.send(()).unwrap();
            value
        };
        let (recounted, served) = tokio::join!(recount, other);
        assert_eq!((recounted.unwrap(), served), (9, 7));
        assert_eq!(
            counts.total("k".into(), async { Ok(100) }).await.unwrap(),
            9
        );
    }

    #[tokio::test]
    async fn a_failed_recount_lets_the_next_caller_try() {
        let counts = cache(1);
        counts.total("k".into(), async { Ok(7) }).await.unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let failed = counts
            .total("k".into(), async {
                Err(StoreError::Unavailable("down".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(counts.total("k".into(), async { Ok(9) }).await.unwrap(), 9);
    }

    #[tokio::test]
    async fn a_write_makes_callers_wait_for_the_new_count() {
        let counts = cache(60_000);
        let key = counts.key("SELECT", &[]);
        counts.total(key.clone(), async { Ok(7) }).await.unwrap();
        counts.invalidate();
        assert_eq!(counts.total(key.clone(), async { Ok(8) }).await.unwrap(), 8);
        // The new total replaced the old one instead of sitting beside it.
        assert_eq!(counts.totals.len(), 1);
    }
}

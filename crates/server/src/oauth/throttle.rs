//! Slowing and then refusing repeated failed client authentication, per client
//! id and per source address; the per-client token issuance quota; and counting
//! failures for the audit log.
//!
//! On PostgreSQL failures and issued tokens are also counted in
//! [`SharedCounters`], so that the limits hold across nodes (a guesser spreading
//! attempts over N nodes gets the same count as on one). On SQLite (one node)
//! they are counted here in memory only.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::shared_counters::SharedCounters;

const WINDOW: Duration = Duration::from_secs(60);

/// Keys in the shared table carry at most this much of a caller-chosen id.
const KEY_CHARS: usize = 128;

struct Window {
    started: Instant,
    failures: u32,
}

/// Fixed one-minute windows of failure counts on one node, or the cluster's
/// sliding one-minute count when `shared`.
pub struct FailureThrottle {
    windows: DashMap<String, Window>,
    per_client: u32,
    per_address: u32,
    shared: Option<Arc<SharedCounters>>,
}

/// Whose failures are counted.
pub enum ThrottleKey<'a> {
    Client(&'a str),
    Address(&'a str),
}

impl FailureThrottle {
    /// `shared` counts across nodes; without it (SQLite) failures are counted per node.
    pub fn new(per_client: u32, per_address: u32, shared: Option<Arc<SharedCounters>>) -> Self {
        FailureThrottle {
            windows: DashMap::new(),
            per_client: per_client.max(1),
            per_address: per_address.max(1),
            shared,
        }
    }

    fn key_and_limit(&self, key: &ThrottleKey<'_>) -> (String, u32) {
        match key {
            ThrottleKey::Client(id) => (format!("c:{id}"), self.per_client),
            ThrottleKey::Address(ip) => (format!("a:{ip}"), self.per_address),
        }
    }

    fn shared_key(key: &str) -> String {
        format!("fail:{}", key.chars().take(KEY_CHARS).collect::<String>())
    }

    /// `Err(retry_after)` once the key has used up its failures for this window.
    pub fn check(&self, key: ThrottleKey<'_>) -> Result<(), Duration> {
        let (key, limit) = self.key_and_limit(&key);
        if let Some(counters) = &self.shared {
            let now = oneportal_store::now_ms();
            return match counters.wait(&Self::shared_key(&key), u64::from(limit), now) {
                Some(wait) => Err(wait),
                None => Ok(()),
            };
        }
        match self.windows.get(&key) {
            Some(w) if w.started.elapsed() < WINDOW && w.failures >= limit => {
                Err(WINDOW.saturating_sub(w.started.elapsed()))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failure; returns how long to hold the answer back. Past half the
    /// limit each further failure waits longer, so guessing gets slow before it gets refused.
    pub fn record_failure(&self, key: ThrottleKey<'_>) -> Duration {
        let (key, limit) = self.key_and_limit(&key);
        if let Some(counters) = &self.shared {
            let now = oneportal_store::now_ms();
            let failures = counters.add(&Self::shared_key(&key), now).ceil() as u32;
            return Self::delay(failures, limit);
        }
        let mut entry = self.windows.entry(key).or_insert_with(|| Window {
            started: Instant::now(),
            failures: 0,
        });
        if entry.started.elapsed() >= WINDOW {
            entry.started = Instant::now();
            entry.failures = 0;
        }
        entry.failures += 1;
        Self::delay(entry.failures, limit)
    }

    fn delay(failures: u32, limit: u32) -> Duration {
        let over_half = failures.saturating_sub(limit / 2);
        Duration::from_millis(u64::from(over_half.min(10)) * 100)
    }

    /// Drops finished windows so that memory stays bounded.
    pub fn sweep(&self) {
        self.windows.retain(|_, w| w.started.elapsed() < WINDOW);
    }
}

/// Tokens a client may obtain per minute: GCRA on each node and, on PostgreSQL,
/// the cluster's sliding one-minute count as well.
pub struct IssuanceQuota {
    limiter: DefaultKeyedRateLimiter<String>,
    shared: Option<(Arc<SharedCounters>, u64)>,
}

impl IssuanceQuota {
    /// `None` when `per_minute` is 0 (no quota).
    pub fn new(per_minute: u32, shared: Option<Arc<SharedCounters>>) -> Option<IssuanceQuota> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(IssuanceQuota {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            shared: shared.map(|counters| (counters, u64::from(per_minute.get()))),
        })
    }

    /// Counts one token for `client_id`; `Err(retry_after)` when the quota is spent.
    pub fn check(&self, client_id: &str) -> Result<(), Duration> {
        let now = oneportal_store::now_ms();
        let key = format!("issue:{client_id}");
        if let Some((counters, limit)) = &self.shared {
            counters.try_add(&key, *limit, now)?;
        }
        self.limiter
            .check_key(&client_id.to_owned())
            .map_err(|not_until| {
                if let Some((counters, _)) = &self.shared {
                    counters.undo(&key, now);
                }
                not_until.wait_time_from(DefaultClock::default().now())
            })
    }

    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

/// Failure counts by (client id, address, reason) awaiting their audit entry:
/// one entry a minute per combination, never one per failed request.
#[derive(Default)]
pub struct FailureLog {
    counts: DashMap<(String, String, &'static str), u64>,
}

impl FailureLog {
    pub fn count(&self, client_id: &str, address: &str, reason: &'static str) {
        // Bound what an attacker can make us remember: cut long ids.
        let client_id: String = client_id.chars().take(64).collect();
        *self
            .counts
            .entry((client_id, address.to_owned(), reason))
            .or_insert(0) += 1;
    }

    pub fn drain(&self) -> Vec<((String, String, &'static str), u64)> {
        let keys: Vec<_> = self.counts.iter().map(|e| e.key().clone()).collect();
        keys.into_iter()
            .filter_map(|k| self.counts.remove(&k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_and_slows_before() {
        let throttle = FailureThrottle::new(4, 100, None);
        assert_eq!(
            throttle.record_failure(ThrottleKey::Client("a")),
            Duration::ZERO
        );
        assert_eq!(
            throttle.record_failure(ThrottleKey::Client("a")),
            Duration::ZERO
        );
        assert!(throttle.record_failure(ThrottleKey::Client("a")) > Duration::ZERO);
        assert!(throttle.check(ThrottleKey::Client("a")).is_ok());
        throttle.record_failure(ThrottleKey::Client("a"));
        let retry = throttle.check(ThrottleKey::Client("a")).unwrap_err();
        assert!(retry <= WINDOW && retry > Duration::from_secs(50));
        assert!(
            throttle.check(ThrottleKey::Client("b")).is_ok(),
            "other clients are unaffected"
        );
        assert!(
            throttle.check(ThrottleKey::Address("a")).is_ok(),
            "keys of different kinds are apart"
        );
    }

    #[test]
    fn shared_failures_from_other_nodes_count_here() {
        let counters = Arc::new(SharedCounters::new());
        let throttle = FailureThrottle::new(4, 100, Some(counters.clone()));
        let now = oneportal_store::now_ms();
        // Three failures on other nodes, as a sync brings them in.
        for _ in 0..3 {
            counters.add("fail:c:a", now);
        }
        assert!(throttle.check(ThrottleKey::Client("a")).is_ok());
        assert!(throttle.record_failure(ThrottleKey::Client("a")) > Duration::ZERO);
        let retry = throttle.check(ThrottleKey::Client("a")).unwrap_err();
        assert!(retry > Duration::ZERO && retry <= 2 * WINDOW, "{retry:?}");
        assert!(throttle.check(ThrottleKey::Address("a")).is_ok());
    }

    #[test]
    fn the_issuance_quota_counts_the_cluster_when_shared() {
        let counters = Arc::new(SharedCounters::new());
        let quota = IssuanceQuota::new(3, Some(counters.clone())).unwrap();
        counters.add("issue:opc_a", oneportal_store::now_ms());
        assert!(quota.check("opc_a").is_ok());
        assert!(quota.check("opc_a").is_ok());
        assert!(quota.check("opc_a").is_err(), "1 elsewhere + 2 here");
        let alone = IssuanceQuota::new(3, None).unwrap();
        assert!((0..3).all(|_| alone.check("opc_a").is_ok()));
        assert!(alone.check("opc_a").is_err());
    }
}

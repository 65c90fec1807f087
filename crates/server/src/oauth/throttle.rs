//! Slowing and then refusing repeated failed client authentication, per client
//! id and per source address, and counting failures for the audit log.

use std::time::{Duration, Instant};

use dashmap::DashMap;

const WINDOW: Duration = Duration::from_secs(60);

struct Window {
    started: Instant,
    failures: u32,
}

/// Fixed one-minute windows of failure counts.
pub struct FailureThrottle {
    windows: DashMap<String, Window>,
    per_client: u32,
    per_address: u32,
}

/// Whose failures are counted.
pub enum ThrottleKey<'a> {
    Client(&'a str),
    Address(&'a str),
}

impl FailureThrottle {
    pub fn new(per_client: u32, per_address: u32) -> Self {
        FailureThrottle {
            windows: DashMap::new(),
            per_client: per_client.max(1),
            per_address: per_address.max(1),
        }
    }

    fn key_and_limit(&self, key: &ThrottleKey<'_>) -> (String, u32) {
        match key {
            ThrottleKey::Client(id) => (format!("c:{id}"), self.per_client),
            ThrottleKey::Address(ip) => (format!("a:{ip}"), self.per_address),
        }
    }

    /// `Err(retry_after)` once the key has used up its failures for this window.
    pub fn check(&self, key: ThrottleKey<'_>) -> Result<(), Duration> {
        let (key, limit) = self.key_and_limit(&key);
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
        let mut entry = self.windows.entry(key).or_insert_with(|| Window {
            started: Instant::now(),
            failures: 0,
        });
        if entry.started.elapsed() >= WINDOW {
            entry.started = Instant::now();
            entry.failures = 0;
        }
        entry.failures += 1;
        let over_half = entry.failures.saturating_sub(limit / 2);
        Duration::from_millis(u64::from(over_half.min(10)) * 100)
    }

    /// Drops finished windows so that memory stays bounded.
    pub fn sweep(&self) {
        self.windows.retain(|_, w| w.started.elapsed() < WINDOW);
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
        let throttle = FailureThrottle::new(4, 100);
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
}

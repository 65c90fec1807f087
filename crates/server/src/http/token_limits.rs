//! Slowing and then refusing repeated failed client authentication; the
//! per-client token issuance quota; and counting failures for the audit log.
//!
//! Failures are counted so that whoever fails is the one who waits, and a
//! caller who knows only a client id cannot lock the client out:
//!
//! - per (client id, source): `failures_per_client_per_minute` (10) failures for
//!   one client from one source refuse that source for that client (429, even
//!   with the right secret) until they leave the one-minute window;
//! - per source, any client: `failures_per_address_per_minute` (30) failures
//!   refuse that source for every client;
//! - per client, every source: a ceiling of [`CLIENT_CEILING_FACTOR`] times the
//!   per-(client, source) limit (100 by default) bounds guessing spread over many
//!   sources. Past half of it every failed answer for the client is held back
//!   (up to 1 s); at the ceiling a source that has itself failed for the client in
//!   the window is refused, while a source that has not (the legitimate caller)
//!   still authenticates. So per minute a guesser gets at most the ceiling plus
//!   one guess per further source, and each source at most 10 per client and 30
//!   in all.
//!
//! A source is an IPv4 address, or an IPv6 address's /64 (one customer line
//! usually holds a whole /64, so counting single IPv6 addresses would give a
//! guesser 2^64 fresh sources); an IPv4-mapped IPv6 address counts as its IPv4.
//!
//! On PostgreSQL failures and issued tokens are also counted in
//! [`SharedCounters`], so that the limits hold across nodes (a guesser spreading
//! attempts over N nodes gets the same count as on one). On SQLite (one node)
//! they are counted here in memory only.

use std::net::IpAddr;
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

/// A client's failures from every source may reach this many times the
/// per-(client, source) limit before sources that failed are refused.
pub const CLIENT_CEILING_FACTOR: u32 = 10;

struct Window {
    started: Instant,
    failures: u32,
}

/// Fixed one-minute windows of failure counts on one node, or the cluster's
/// sliding one-minute count when `shared`.
pub struct FailureThrottle {
    windows: DashMap<String, Window>,
    per_client_source: u32,
    per_source: u32,
    per_client: u32,
    shared: Option<Arc<SharedCounters>>,
}

/// The source a request is counted under: an IPv4 address, or an IPv6 /64.
pub fn source_of(ip: IpAddr) -> String {
    match crate::http::source::counted_address(ip) {
        IpAddr::V6(network) => {
            let s = network.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        v4 => v4.to_string(),
    }
}

impl FailureThrottle {
    /// `per_client` failures per client id from one source, `per_source` per
    /// source for all clients; `shared` counts across nodes (without it, SQLite,
    /// failures are counted per node).
    pub fn new(per_client: u32, per_source: u32, shared: Option<Arc<SharedCounters>>) -> Self {
        let per_client_source = per_client.max(1);
        FailureThrottle {
            windows: DashMap::new(),
            per_client_source,
            per_source: per_source.max(1),
            per_client: per_client_source.saturating_mul(CLIENT_CEILING_FACTOR),
            shared,
        }
    }

    /// The keys of one attempt: (client, source), source, client.
    fn keys(client_id: &str, source: &str) -> [String; 3] {
        let client: String = client_id.chars().take(KEY_CHARS).collect();
        [
            format!("cs:{client}|{source}"),
            format!("a:{source}"),
            format!("c:{client}"),
        ]
    }

    fn shared_key(key: &str) -> String {
        format!("fail:{key}")
    }

    /// `Some(retry_after)` when `key` has `limit` failures or more in the window.
    fn at_limit(&self, key: &str, limit: u32) -> Option<Duration> {
        if let Some(counters) = &self.shared {
            return counters.wait(
                &Self::shared_key(key),
                u64::from(limit),
                oneportal_store::now_ms(),
            );
        }
        match self.windows.get(key) {
            Some(w) if w.started.elapsed() < WINDOW && w.failures >= limit => {
                Some(WINDOW.saturating_sub(w.started.elapsed()))
            }
            _ => None,
        }
    }

    /// `Err(retry_after)` when `source` may not try `client_id` now (see the module docs).
    pub fn check(&self, client_id: &str, source: &str) -> Result<(), Duration> {
        let [pair, source_key, client] = Self::keys(client_id, source);
        if let Some(wait) = self
            .at_limit(&source_key, self.per_source)
            .or_else(|| self.at_limit(&pair, self.per_client_source))
        {
            return Err(wait);
        }
        if let Some(client_wait) = self.at_limit(&client, self.per_client)
            && let Some(own_wait) = self.at_limit(&pair, 1)
        {
            // Either the client's count drops under the ceiling or this source's failures age out.
            return Err(client_wait.min(own_wait));
        }
        Ok(())
    }

    /// Counts a failure of `source` for `client_id`; returns how long to hold the
    /// answer back. Past half a limit each further failure waits longer, so guessing
    /// gets slow before it gets refused.
    pub fn record_failure(&self, client_id: &str, source: &str) -> Duration {
        let [pair, source_key, client] = Self::keys(client_id, source);
        [
            (pair, self.per_client_source),
            (source_key, self.per_source),
            (client, self.per_client),
        ]
        .into_iter()
        .map(|(key, limit)| Self::delay(self.count(key), limit))
        .max()
        .unwrap_or_default()
    }

    /// Adds one failure to `key`; the count including it.
    fn count(&self, key: String) -> u32 {
        if let Some(counters) = &self.shared {
            let now = oneportal_store::now_ms();
            return counters.add(&Self::shared_key(&key), now).ceil() as u32;
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
        entry.failures
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
    fn refuses_the_failing_source_after_the_limit_and_slows_before() {
        let throttle = FailureThrottle::new(4, 100, None);
        assert_eq!(throttle.record_failure("a", "10.0.0.1"), Duration::ZERO);
        assert_eq!(throttle.record_failure("a", "10.0.0.1"), Duration::ZERO);
        assert!(throttle.record_failure("a", "10.0.0.1") > Duration::ZERO);
        assert!(throttle.check("a", "10.0.0.1").is_ok());
        throttle.record_failure("a", "10.0.0.1");
        let retry = throttle.check("a", "10.0.0.1").unwrap_err();
        assert!(retry <= WINDOW && retry > Duration::from_secs(50));
        assert!(
            throttle.check("a", "10.0.0.2").is_ok(),
            "another source still reaches the client"
        );
        assert!(
            throttle.check("b", "10.0.0.1").is_ok(),
            "the source may still try other clients"
        );
    }

    #[test]
    fn a_source_failing_for_many_clients_is_refused_for_all() {
        let throttle = FailureThrottle::new(4, 6, None);
        for i in 0..6 {
            throttle.record_failure(&format!("client{i}"), "10.0.0.1");
        }
        assert!(throttle.check("fresh", "10.0.0.1").is_err());
        assert!(throttle.check("fresh", "10.0.0.2").is_ok());
    }

    #[test]
    fn at_the_client_ceiling_only_sources_that_failed_are_refused() {
        let throttle = FailureThrottle::new(2, 1000, None);
        let ceiling = 2 * CLIENT_CEILING_FACTOR;
        // One failure each from many sources: no source reaches its own limit.
        for i in 0..ceiling {
            throttle.record_failure("a", &format!("10.0.{}.{}", i / 256, i % 256));
        }
        assert!(
            throttle.check("a", "10.0.0.0").is_err(),
            "a source that failed waits once the client's ceiling is reached"
        );
        assert!(
            throttle.check("a", "192.0.2.7").is_ok(),
            "a source that never failed still authenticates"
        );
        assert!(
            throttle.check("b", "10.0.0.0").is_ok(),
            "other clients are apart"
        );
        assert!(
            throttle.record_failure("a", "192.0.2.8") > Duration::ZERO,
            "failures past half the ceiling are held back"
        );
    }

    #[test]
    fn shared_failures_from_other_nodes_count_here() {
        let counters = Arc::new(SharedCounters::new());
        let throttle = FailureThrottle::new(4, 100, Some(counters.clone()));
        let now = oneportal_store::now_ms();
        // Three failures on other nodes, as a sync brings them in.
        for _ in 0..3 {
            counters.add("fail:cs:a|10.0.0.1", now);
        }
        assert!(throttle.check("a", "10.0.0.1").is_ok());
        assert!(throttle.record_failure("a", "10.0.0.1") > Duration::ZERO);
        let retry = throttle.check("a", "10.0.0.1").unwrap_err();
        assert!(retry > Duration::ZERO && retry <= 2 * WINDOW, "{retry:?}");
        assert!(throttle.check("a", "10.0.0.2").is_ok());
    }

    #[test]
    fn ipv6_sources_are_their_64_and_mapped_ipv4_is_ipv4() {
        let source = |s: &str| source_of(s.parse().unwrap());
        assert_eq!(source("192.0.2.1"), "192.0.2.1");
        assert_ne!(source("192.0.2.1"), source("192.0.2.2"));
        assert_eq!(source("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(source("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            source("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            source("2001:db8:1:2::1"),
            "one /64 is one source"
        );
        assert_ne!(source("2001:db8:1:3::1"), source("2001:db8:1:2::1"));
        assert_eq!(source("::1"), "0:0:0:0::/64");
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

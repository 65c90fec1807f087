//! Per-caller request limits on API V2, announced with the `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` headers of the IETF draft, and
//! 429 + `Retry-After` when spent.
//!
//! Each node shapes bursts with GCRA in memory (`burst` at once, then the
//! sustained rate). On PostgreSQL the per-minute quota also holds across nodes:
//! a caller's requests are counted in [`SharedCounters`] and refused once the
//! cluster's sliding one-minute count reaches `max(requests_per_minute, burst)`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::ApiError;
use crate::config::RateLimitsConfig;
use crate::shared_counters::SharedCounters;

pub struct CallerLimits {
    limiter: RateLimiter<
        String,
        DefaultKeyedStateStore<String>,
        DefaultClock,
        StateInformationMiddleware,
    >,
    burst: u32,
    /// Time for one request's worth of quota to come back.
    period: Duration,
    /// The cluster-wide count and its per-minute limit (PostgreSQL only).
    shared: Option<(Arc<SharedCounters>, u64)>,
}

/// Where a caller stands after a request was let through.
pub struct Allowance {
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

impl CallerLimits {
    /// `None` when the configuration turns limits off.
    /// `shared` counts across nodes; without it (SQLite) limits are per node, in memory.
    pub fn new(
        config: &RateLimitsConfig,
        shared: Option<Arc<SharedCounters>>,
    ) -> Option<CallerLimits> {
        let per_minute = NonZeroU32::new(config.requests_per_minute)?;
        let burst = NonZeroU32::new(config.burst.max(1)).expect("at least one");
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Some(CallerLimits {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            burst: burst.get(),
            period: quota.replenish_interval(),
            shared: shared.map(|counters| {
                let per_minute = u64::from(per_minute.get().max(burst.get()));
                (counters, per_minute)
            }),
        })
    }

    /// Counts one request of `caller`; 429 with the wait when the quota is spent.
    pub fn check(&self, caller: &str) -> Result<Allowance, ApiError> {
        let refuse = |wait: Duration| ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        };
        let now = oneportal_store::now_ms();
        let shared_key = self.shared.as_ref().map(|_| format!("api:{caller}"));
        let cluster = match (&self.shared, &shared_key) {
            (Some((counters, limit)), Some(key)) => {
                let estimate = counters.try_add(key, *limit, now).map_err(refuse)?;
                Some((counters, key, *limit, estimate))
            }
            _ => None,
        };
        // The caller's key is copied only on its first request of a period (`check_key` takes a reference).
        match self.limiter.check_key(&caller.to_owned()) {
            Ok(snapshot) => {
                let mut remaining = snapshot.remaining_burst_capacity();
                let used = self.burst.saturating_sub(remaining);
                let mut reset_secs = (self.period * used).as_secs_f64().ceil() as u64;
                if let Some((_, _, limit, estimate)) = cluster {
                    // The combined view: the cluster's minute may have less left than this node's burst.
                    let left = limit.saturating_sub(estimate.ceil() as u64);
                    if left < u64::from(remaining) {
                        remaining = left as u32;
                        // Until what was counted so far has slid out of the last minute.
                        let into_window = now.rem_euclid(crate::shared_counters::WINDOW_MS);
                        let slide_ms = 2 * crate::shared_counters::WINDOW_MS - into_window;
                        reset_secs = reset_secs.max((slide_ms as u64).div_ceil(1000));
                    }
                }
                Ok(Allowance {
                    limit: self.burst,
                    remaining,
                    reset_secs,
                })
            }
            Err(not_until) => {
                if let Some((counters, key, _, _)) = cluster {
                    counters.undo(key, now);
                }
                Err(refuse(
                    not_until.wait_time_from(DefaultClock::default().now()),
                ))
            }
        }
    }

    /// Drops callers that have not been seen for a while.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

impl Allowance {
    pub fn write(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_secs));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_refuses_with_a_wait() {
        let limits = CallerLimits::new(
            &RateLimitsConfig {
                requests_per_minute: 60,
                burst: 3,
            },
            None,
        )
        .unwrap();
        let remaining: Vec<u32> = (0..3)
            .map(|_| limits.check("opc_a").map(|a| a.remaining).unwrap_or(99))
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        match limits.check("opc_a") {
            Err(ApiError::TooManyRequests { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            _ => panic!("the fourth request in a second is refused"),
        }
        assert!(limits.check("opc_b").is_ok(), "callers are counted apart");
    }

    #[test]
    fn with_shared_counts_the_cluster_minute_holds_and_remaining_is_the_smaller() {
        let counters = Arc::new(SharedCounters::new());
        let config = RateLimitsConfig {
            requests_per_minute: 5,
            burst: 5,
        };
        let here = CallerLimits::new(&config, Some(counters.clone())).unwrap();
        let now = oneportal_store::now_ms();
        // Another node's requests, as a sync would bring them in.
        for _ in 0..3 {
            counters.add("api:opc_a", now);
        }
        let first = here.check("opc_a").map_err(|_| ()).unwrap();
        assert_eq!(first.remaining, 1, "5 - (3 elsewhere + 1 here)");
        assert!(here.check("opc_a").is_ok());
        assert!(
            matches!(here.check("opc_a"), Err(ApiError::TooManyRequests { .. })),
            "the cluster's minute is spent though this node's burst is not"
        );
        assert!(here.check("opc_b").is_ok());
    }

    #[test]
    fn zero_turns_limits_off() {
        assert!(
            CallerLimits::new(
                &RateLimitsConfig {
                    requests_per_minute: 0,
                    burst: 10
                },
                None
            )
            .is_none()
        );
    }
}

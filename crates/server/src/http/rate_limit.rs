//! Per-caller request limits on API V2 (GCRA, per node), announced with the
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers of the
//! IETF draft, and 429 + `Retry-After` when spent.

use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::ApiError;
use crate::config::RateLimitsConfig;

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
}

/// Where a caller stands after a request was let through.
pub struct Allowance {
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

impl CallerLimits {
    /// `None` when the configuration turns limits off.
    pub fn new(config: &RateLimitsConfig) -> Option<CallerLimits> {
        let per_minute = NonZeroU32::new(config.requests_per_minute)?;
        let burst = NonZeroU32::new(config.burst.max(1)).expect("at least one");
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Some(CallerLimits {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            burst: burst.get(),
            period: quota.replenish_interval(),
        })
    }

    /// Counts one request of `caller`; 429 with the wait when the quota is spent.
    pub fn check(&self, caller: &str) -> Result<Allowance, ApiError> {
        // The caller's key is copied only on its first request of a period (`check_key` takes a reference).
        match self.limiter.check_key(&caller.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = self.burst.saturating_sub(remaining);
                Ok(Allowance {
                    limit: self.burst,
                    remaining,
                    reset_secs: (self.period * used).as_secs_f64().ceil() as u64,
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(ApiError::TooManyRequests {
                    retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
                })
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
        let limits = CallerLimits::new(&RateLimitsConfig {
            requests_per_minute: 60,
            burst: 3,
        })
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
    fn zero_turns_limits_off() {
        assert!(
            CallerLimits::new(&RateLimitsConfig {
                requests_per_minute: 0,
                burst: 10
            })
            .is_none()
        );
    }
}

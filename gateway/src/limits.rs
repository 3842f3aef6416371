//! Rate limits by key (a user, a client address, an account), counted by
//! `governor`'s token buckets, and the RESOURCE_EXHAUSTED status with a
//! RetryInfo that tells the client when to try again.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A token bucket per key. Cheap to clone.
#[derive(Clone)]
pub struct KeyedLimit {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

/// A rate: `per_second` sustained, bursts up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = Duration::from_secs_f64(1.0 / self.per_second.max(0.001));
        Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

impl KeyedLimit {
    pub fn new(rate: Rate) -> Self {
        Self {
            limiter: Arc::new(RateLimiter::keyed(rate.quota())),
        }
    }

    /// Takes one token for `key`, or says how long until one is free.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// RESOURCE_EXHAUSTED, with when to retry.
pub fn exhausted(what: &str, retry_after: Duration) -> Status {
    let mut details = ErrorDetails::with_retry_info(Some(retry_after));
    details.set_error_info("RATE_LIMITED", platform::error::ERROR_DOMAIN, []);
    Status::with_error_details(
        Code::ResourceExhausted,
        format!(
            "too many {what}; retry in {:.1} s",
            retry_after.as_secs_f64().max(0.1)
        ),
        details,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_over_the_limit_is_refused_per_key() {
        let limit = KeyedLimit::new(Rate {
            per_second: 1.0,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(limit.check("alice").is_ok());
        }
        let wait = limit.check("alice").expect_err("over the limit");
        assert!(wait <= Duration::from_secs(1));
        assert!(
            limit.check("bob").is_ok(),
            "other keys have their own bucket"
        );
    }

    #[test]
    fn the_status_carries_retry_info() {
        let status = exhausted("login attempts", Duration::from_millis(1500));
        assert_eq!(status.code(), Code::ResourceExhausted);
        let retry = status
            .get_error_details()
            .retry_info()
            .cloned()
            .expect("retry info");
        assert_eq!(retry.retry_delay, Some(Duration::from_millis(1500)));
    }
}

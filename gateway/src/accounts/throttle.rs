//! Login throttling: per account (slows guessing one password) and per
//! client address (slows trying many accounts), both token buckets.

use std::time::Duration;

use crate::limits::{KeyedLimit, Rate};

/// Both login limits.
#[derive(Clone)]
pub struct LoginThrottle {
    per_account: KeyedLimit,
    per_client: KeyedLimit,
}

impl LoginThrottle {
    pub fn new(per_account: Rate, per_client: Rate) -> Self {
        Self {
            per_account: KeyedLimit::new(per_account),
            per_client: KeyedLimit::new(per_client),
        }
    }

    /// One attempt for `account` from `client`, or how long to wait.
    pub fn attempt(&self, account: &str, client: &str) -> Result<(), Duration> {
        self.per_client.check(client)?;
        self.per_account.check(account)
    }

    pub fn forget_idle(&self) {
        self.per_account.forget_idle();
        self.per_client.forget_idle();
    }
}

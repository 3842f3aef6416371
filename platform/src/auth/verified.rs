//! Tokens already verified, so a token presented again (a user's on each of
//! their calls, a service's on each call it makes for that user) costs a
//! map lookup instead of an Ed25519 verification (about 50 µs; with the
//! signing, 8 % of the services' CPU per checkout in the profile of
//! BENCHMARKS.md).
//!
//! Keyed by the token's whole text: the same text carries the same
//! signature, issuer, audience and claims, so it verifies the same way,
//! except for expiry, which a hit checks again. Only tokens that verified
//! are kept, so a client sending garbage fills nothing; the size is bounded
//! and entries leave after `KEEP`, whichever comes first.

use std::time::Duration;

use moka::sync::Cache;

use super::Principal;

/// Most tokens kept (a few hundred bytes each).
const CAPACITY: u64 = 10_000;
/// How long a token is kept after it was verified (it is checked against
/// its own expiry on every hit as well).
const KEEP: Duration = Duration::from_secs(300);

/// A token's verified caller and when the token expires.
#[derive(Debug, Clone)]
pub(super) struct Verified {
    pub principal: Principal,
    /// Seconds since the Unix epoch.
    pub exp: u64,
}

/// The verified tokens of one verifier. Cheap to clone (shared).
#[derive(Clone)]
pub(super) struct VerifiedTokens(Cache<String, Verified>);

impl VerifiedTokens {
    pub fn new() -> Self {
        Self(
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(KEEP)
                .build(),
        )
    }

    /// What `token` was verified as, if it was.
    pub fn get(&self, token: &str) -> Option<Verified> {
        self.0.get(token)
    }

    pub fn insert(&self, token: &str, verified: Verified) {
        self.0.insert(token.to_owned(), verified);
    }
}

/// Whether a token expiring at `exp` is still accepted at `now` with
/// `leeway` seconds (as `jsonwebtoken` decides it: expired once
/// `exp < now - leeway`).
pub(super) fn unexpired(exp: u64, now: u64, leeway: u64) -> bool {
    exp.saturating_add(leeway) >= now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_accepted_until_its_expiry_plus_the_leeway() {
        assert!(unexpired(100, 100, 5));
        assert!(unexpired(100, 105, 5));
        assert!(!unexpired(100, 106, 5));
        assert!(unexpired(u64::MAX, 0, 5));
    }
}

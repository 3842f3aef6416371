//! Store credit: a balance per user and currency that never goes below
//! zero, credited by admins' top-ups (and wallet refunds) and debited by
//! wallet charges.

use time::OffsetDateTime;

use super::{
    fingerprint::Fingerprint,
    values::{Currency, IdempotencyKey, Money, TopUpReason, UserId},
};

/// A user's store credit in one currency. Every user has one in every
/// currency: a wallet never topped up has a balance of zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    pub user_id: UserId,
    pub currency: Currency,
    pub balance_minor: i64,
    /// When the balance last changed; `None` if it never did.
    pub updated_at: Option<OffsetDateTime>,
}

impl Wallet {
    /// The wallet of a user who has never had credit in `currency`.
    pub fn empty(user_id: UserId, currency: Currency) -> Self {
        Self {
            user_id,
            currency,
            balance_minor: 0,
            updated_at: None,
        }
    }
}

/// A validated TopUpWallet request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUpRequest {
    pub key: IdempotencyKey,
    pub user_id: UserId,
    pub amount: Money,
    pub reason: TopUpReason,
}

impl TopUpRequest {
    /// What makes a repeat "the same request": whose wallet, how much and why.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(
            "top_up",
            &[
                self.user_id.as_str(),
                &self.amount.minor().to_string(),
                self.amount.currency().as_str(),
                self.reason.as_str(),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::AMOUNTS;

    fn top_up(amount: i64, reason: &str) -> TopUpRequest {
        TopUpRequest {
            key: IdempotencyKey::parse("t1").expect("key"),
            user_id: UserId::parse("customer-1").expect("user"),
            amount: Money::parse("USD", amount, AMOUNTS).expect("amount"),
            reason: TopUpReason::parse(reason).expect("reason"),
        }
    }

    #[test]
    fn a_top_up_is_identified_by_wallet_amount_and_reason() {
        assert_eq!(
            top_up(500, "goodwill").fingerprint(),
            top_up(500, "goodwill").fingerprint()
        );
        assert_ne!(
            top_up(500, "goodwill").fingerprint(),
            top_up(600, "goodwill").fingerprint()
        );
        assert_ne!(
            top_up(500, "goodwill").fingerprint(),
            top_up(500, "apology").fingerprint()
        );
    }
}

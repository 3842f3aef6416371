//! Small validated values: ids, idempotency keys, amounts and free text.
//! A value of these types is valid by construction.

use std::ops::RangeInclusive;

pub use platform::money::{Currency, Money};
use platform::values::{key, text};

/// Largest amount of one charge, refund or top-up, in minor units (one
/// million in major units).
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000;

platform::string_value!(
    /// A caller's idempotency key: 1 to 64 characters of letters, digits,
    /// `-` and `_`. One key names one charge, one refund or one top-up.
    pub IdempotencyKey, key
);
platform::string_value!(
    /// The id of the order a payment is for, as the orders service chose it:
    /// 1 to 64 characters of letters, digits, `-` and `_`.
    pub OrderId, key
);

platform::string_value!(
    /// A user's id, as their token names it (see `platform::values::user_id`).
    pub UserId, platform::values::user_id
);

platform::uuid_value!(
    /// A payment's id: a UUID chosen by this service.
    pub PaymentId, "a payment id"
);
platform::uuid_value!(
    /// A refund's id: a UUID chosen by this service.
    pub RefundId, "a refund id"
);
platform::uuid_value!(
    /// A wallet top-up's id: a UUID chosen by this service.
    pub TopUpId, "a top-up id"
);

/// Minor units one charge, refund or top-up may move: at least one, at
/// most [`MAX_AMOUNT_MINOR`].
pub const AMOUNTS: RangeInclusive<i64> = 1..=MAX_AMOUNT_MINOR;

platform::string_value!(
    /// Why money was refunded: up to 200 characters, may be empty.
    pub RefundReason, |raw| text(raw, 0, 200, false)
);
platform::string_value!(
    /// Why a wallet was topped up: 1 to 200 characters.
    pub TopUpReason, |raw| text(raw, 1, 200, false)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_safe() {
        assert!(IdempotencyKey::parse("order-1_charge").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse("ключ").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(64)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(OrderId::parse("0190a1b2-0000-7000-8000-000000000001").is_ok());
        assert!(OrderId::parse("order/1").is_err());
    }

    #[test]
    fn amounts_are_positive_bounded_and_in_known_currencies() {
        use platform::money::InvalidMoney;
        let amount = |currency, minor| Money::parse(currency, minor, AMOUNTS);
        assert!(amount("USD", 1).is_ok());
        assert!(amount("JPY", MAX_AMOUNT_MINOR).is_ok());
        assert!(matches!(amount("USD", 0), Err(InvalidMoney::Minor(_))));
        assert!(matches!(amount("USD", -5), Err(InvalidMoney::Minor(_))));
        assert!(matches!(
            amount("USD", MAX_AMOUNT_MINOR + 1),
            Err(InvalidMoney::Minor(_))
        ));
        assert!(matches!(amount("usd", 1), Err(InvalidMoney::Currency(_))));
    }

    #[test]
    fn ids_are_uuids() {
        let id = PaymentId::generate();
        assert_eq!(PaymentId::parse(&id.to_string()), Ok(id));
        assert_eq!(
            PaymentId::parse("42"),
            Err("must be a payment id (a UUID)".into())
        );
        assert_eq!(PaymentId::parse(""), Err("is required".into()));
    }

    #[test]
    fn user_ids_are_any_plain_text() {
        assert!(UserId::parse("customer-1").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a\nb").is_err());
        assert!(UserId::parse(&"u".repeat(129)).is_err());
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(
            RefundReason::parse("  damaged ").map(|r| r.0),
            Ok("damaged".into())
        );
        assert!(RefundReason::parse("").is_ok());
        assert!(TopUpReason::parse(" ").is_err());
        assert!(TopUpReason::parse(&"x".repeat(201)).is_err());
    }
}

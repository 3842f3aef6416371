//! Small validated values: ids, idempotency keys, amounts and free text.
//! A value of these types is valid by construction.

use uuid::Uuid;

/// Largest amount of one charge, refund or top-up, in minor units (one
/// million in major units).
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000;

/// Whether `raw` is 1 to 64 characters of letters, digits, `-` and `_`:
/// the shape of every caller-chosen key (safe in logs, URLs and SQL).
fn check_key(raw: &str) -> Result<(), String> {
    if raw.is_empty() {
        return Err("is required".into());
    }
    if raw.len() > 64 {
        return Err("must be at most 64 characters".into());
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("must contain only letters, digits, '-' and '_'".into());
    }
    Ok(())
}

/// A caller's idempotency key: 1 to 64 characters of letters, digits, `-`
/// and `_`. One key names one charge, one refund or one top-up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_key(raw).map(|()| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id of the order a payment is for, as the orders service chose it:
/// 1 to 64 characters of letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        check_key(raw).map(|()| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's id. Users are created elsewhere (the gateway issues their
/// tokens), so any non-empty text without control characters is accepted,
/// up to 128 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("is required".into());
        }
        if raw.chars().count() > 128 {
            return Err("must be at most 128 characters".into());
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id, ordered by creation time (UUID v7).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn parse(raw: &str) -> Result<Self, String> {
                if raw.is_empty() {
                    return Err("is required".into());
                }
                Uuid::try_parse(raw)
                    .map(Self)
                    .map_err(|_| concat!("must be a ", $what, " id (a UUID)").into())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A payment's id: a UUID chosen by this service.
    PaymentId,
    "payment"
);
uuid_id!(
    /// A refund's id: a UUID chosen by this service.
    RefundId,
    "refund"
);
uuid_id!(
    /// A wallet top-up's id: a UUID chosen by this service.
    TopUpId,
    "top-up"
);

/// An ISO 4217 currency code the shop accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency(String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if contracts::money::is_known_currency(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be a supported ISO 4217 code in upper case, e.g. USD".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount to move: a known currency and 1 to [`MAX_AMOUNT_MINOR`]
/// minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    currency: Currency,
    minor: i64,
}

/// Which part of an amount is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    Currency(String),
    Minor(String),
}

impl Amount {
    pub fn new(currency: &str, minor: i64) -> Result<Self, AmountError> {
        let currency = Currency::parse(currency).map_err(AmountError::Currency)?;
        if minor <= 0 {
            return Err(AmountError::Minor("must be greater than 0".into()));
        }
        if minor > MAX_AMOUNT_MINOR {
            return Err(AmountError::Minor(format!(
                "must be at most {MAX_AMOUNT_MINOR} minor units"
            )));
        }
        Ok(Self { currency, minor })
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }
}

/// Checks free text: at most `max` characters, no control characters, and
/// at least one character where `required`.
fn text(raw: &str, max: usize, required: bool) -> Result<String, String> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// Why money was refunded: up to 200 characters, may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundReason(String);

impl RefundReason {
    pub fn parse(raw: &str) -> Result<Self, String> {
        text(raw, 200, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a wallet was topped up: 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUpReason(String);

impl TopUpReason {
    pub fn parse(raw: &str) -> Result<Self, String> {
        text(raw, 200, true).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
        assert!(Amount::new("USD", 1).is_ok());
        assert!(Amount::new("JPY", MAX_AMOUNT_MINOR).is_ok());
        assert!(matches!(Amount::new("USD", 0), Err(AmountError::Minor(_))));
        assert!(matches!(Amount::new("USD", -5), Err(AmountError::Minor(_))));
        assert!(matches!(
            Amount::new("USD", MAX_AMOUNT_MINOR + 1),
            Err(AmountError::Minor(_))
        ));
        assert!(matches!(
            Amount::new("usd", 1),
            Err(AmountError::Currency(_))
        ));
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

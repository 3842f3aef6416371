//! Small validated values: ids, quantities, money and the shipping address.

pub use platform::money::{Currency, Money};
use platform::values::key;

/// Most lines in one order.
pub const MAX_LINES: usize = 50;
/// Most units of one product in one order.
pub const MAX_QUANTITY: i64 = 1000;
/// Largest order total, in minor units.
pub const MAX_TOTAL_MINOR: i64 = 100_000_000;

platform::uuid_value!(
    /// An order's id: a UUID chosen by this service.
    pub OrderId, "an order id"
);
platform::uuid_value!(
    /// A product's id, as the catalog chose it: a UUID.
    pub ProductId, "a product id"
);
platform::uuid_value!(
    /// A payment's id, as the payments service chose it: a UUID.
    pub PaymentId, "a payment id"
);

platform::string_value!(
    /// A user's id, as their token names it (see `platform::values::user_id`).
    pub UserId, platform::values::user_id
);

platform::string_value!(
    /// A client's idempotency key: 1 to 64 characters of letters, digits,
    /// `-`, `_`.
    pub RequestId, |raw| {
        if raw.is_empty() {
            return Err(
                "is required: choose a unique id per order you place, and reuse it only to retry"
                    .into(),
            );
        }
        key(raw)
    }
);

/// A shipping address, every part checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub recipient: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country_code: String,
}

/// Checked by the one rule every service applies to addresses.
impl From<platform::address::PostalAddress> for Address {
    fn from(a: platform::address::PostalAddress) -> Self {
        Self {
            recipient: a.recipient,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country_code: a.country_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_safe_keys() {
        assert!(RequestId::parse("checkout-2024_06").is_ok());
        assert!(RequestId::parse("").is_err());
        assert!(RequestId::parse("has space").is_err());
        assert!(RequestId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn ids_are_uuids_in_canonical_form() {
        assert_eq!(
            OrderId::parse("0190A1B2-0000-7000-8000-000000000001").map(|id| id.to_string()),
            Ok("0190a1b2-0000-7000-8000-000000000001".into())
        );
        assert_eq!(
            OrderId::parse("42"),
            Err("must be an order id (a UUID)".into())
        );
        assert_eq!(
            ProductId::parse("42"),
            Err("must be a product id (a UUID)".into())
        );
        assert_eq!(
            PaymentId::parse("42"),
            Err("must be a payment id (a UUID)".into())
        );
    }

    #[test]
    fn user_ids_are_any_plain_text() {
        assert!(UserId::parse("customer-1").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a\nb").is_err());
        assert!(UserId::parse(&"u".repeat(128)).is_ok());
        assert!(UserId::parse(&"u".repeat(129)).is_err());
    }
}

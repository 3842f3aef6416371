//! Small validated values: ids, quantities and the shipping address.

use uuid::Uuid;

/// Most lines in one order.
pub const MAX_LINES: usize = 50;
/// Most units of one product in one order.
pub const MAX_QUANTITY: i64 = 1000;
/// Largest order total, in minor units.
pub const MAX_TOTAL_MINOR: i64 = 100_000_000;

/// Parses a UUID-shaped id (orders and products are identified by UUIDs).
pub fn uuid(raw: &str, what: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("is required".into());
    }
    Uuid::try_parse(raw)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| format!("must be {what} (a UUID)"))
}

/// A client's idempotency key: 1 to 64 characters of letters, digits, `-`, `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err(
                "is required: choose a unique id per order you place, and reuse it only to retry"
                    .into(),
            );
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
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

/// Checks trimmed text: length within `min..=max`, no control characters.
pub fn text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err("must not be empty".into());
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// An ISO 3166-1 alpha-2 country code: two upper-case letters.
pub fn country_code(raw: &str) -> Result<String, String> {
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(raw.to_owned())
    } else {
        Err("must be an ISO 3166-1 alpha-2 code in upper case, e.g. US".into())
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
            uuid("0190A1B2-0000-7000-8000-000000000001", "an id"),
            Ok("0190a1b2-0000-7000-8000-000000000001".into())
        );
        assert!(uuid("42", "an id").is_err());
    }

    #[test]
    fn countries_are_two_capital_letters() {
        assert!(country_code("DE").is_ok());
        assert!(country_code("de").is_err());
        assert!(country_code("DEU").is_err());
    }
}

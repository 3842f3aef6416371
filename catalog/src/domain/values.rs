//! Small validated values shared by products and inventory.

use uuid::Uuid;

/// Largest price, in minor units (one million in major units).
pub const MAX_PRICE_MINOR: i64 = 100_000_000;
/// Largest stock level and largest single adjustment.
pub const MAX_STOCK: i64 = 1_000_000;

/// A product's id: a UUID, printed in its canonical hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductId(Uuid);

impl ProductId {
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
            .map_err(|_| "must be a product id (a UUID)".into())
    }
}

impl std::fmt::Display for ProductId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Checks a free-text value: trimmed length within bounds, no control
/// characters (newlines allowed where `multiline`).
fn text(raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(if min == 1 {
            "must not be empty".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, String> {
                text(raw, $min, $max, $multiline).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_value!(
    /// A product's display name: 1 to 200 characters.
    ProductName, 1, 200, false
);
text_value!(
    /// A product's description: up to 5000 characters, newlines allowed.
    Description, 0, 5000, true
);
text_value!(
    /// Why stock was adjusted: 1 to 200 characters.
    Reason, 1, 200, false
);

/// A category slug: 1 to 50 characters of `a-z`, `0-9` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category(String);

impl Category {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.len() > 50 {
            return Err("must be at most 50 characters".into());
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err("must contain only a-z, 0-9 and '-'".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A unit price: a known currency and 0 to [`MAX_PRICE_MINOR`] minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    currency: String,
    amount_minor: i64,
}

/// Which part of a price is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    Currency(String),
    Amount(String),
}

impl Price {
    pub fn new(currency: &str, amount_minor: i64) -> Result<Self, PriceError> {
        if !contracts::money::is_known_currency(currency) {
            return Err(PriceError::Currency(
                "must be a supported ISO 4217 code in upper case, e.g. USD".into(),
            ));
        }
        if amount_minor < 0 {
            return Err(PriceError::Amount("must not be negative".into()));
        }
        if amount_minor > MAX_PRICE_MINOR {
            return Err(PriceError::Amount(format!(
                "must be at most {MAX_PRICE_MINOR} minor units"
            )));
        }
        Ok(Self {
            currency: currency.to_owned(),
            amount_minor,
        })
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }
}

/// Units to start a new product's stock with: 0 to [`MAX_STOCK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitialStock(i64);

impl InitialStock {
    pub fn new(units: i64) -> Result<Self, String> {
        if !(0..=MAX_STOCK).contains(&units) {
            return Err(format!("must be between 0 and {MAX_STOCK}"));
        }
        Ok(Self(units))
    }

    pub fn units(self) -> i64 {
        self.0
    }
}

/// A manual stock change: not zero, at most [`MAX_STOCK`] either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDelta(i64);

impl StockDelta {
    pub fn new(delta: i64) -> Result<Self, String> {
        if delta == 0 {
            return Err("must not be zero".into());
        }
        if delta.unsigned_abs() > MAX_STOCK as u64 {
            return Err(format!("must be between -{MAX_STOCK} and {MAX_STOCK}"));
        }
        Ok(Self(delta))
    }

    pub fn units(self) -> i64 {
        self.0
    }
}

/// An optimistic-concurrency version, shown to clients as an opaque etag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub i64);

impl Version {
    /// The version an etag names; any other string is not an etag of ours.
    pub fn from_etag(etag: &str) -> Result<Self, String> {
        etag.strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .map(Self)
            .ok_or_else(|| "is not an etag returned by this service".into())
    }

    pub fn etag(self) -> String {
        format!("v{}", self.0)
    }

    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ProductName::parse("  Mug ").map(|n| n.0), Ok("Mug".into()));
        assert!(ProductName::parse("   ").is_err());
        assert!(ProductName::parse(&"x".repeat(201)).is_err());
        assert!(ProductName::parse("bad\u{0}name").is_err());
        assert!(Description::parse("two\nlines").is_ok());
    }

    #[test]
    fn categories_are_slugs() {
        assert!(Category::parse("coffee-gear").is_ok());
        assert!(Category::parse("Coffee").is_err());
        assert!(Category::parse("").is_err());
        assert!(Category::parse("a b").is_err());
    }

    #[test]
    fn prices_are_bounded_and_in_known_currencies() {
        assert!(Price::new("USD", 0).is_ok());
        assert!(matches!(Price::new("USD", -1), Err(PriceError::Amount(_))));
        assert!(matches!(
            Price::new("USD", MAX_PRICE_MINOR + 1),
            Err(PriceError::Amount(_))
        ));
        assert!(matches!(Price::new("ABC", 1), Err(PriceError::Currency(_))));
    }

    #[test]
    fn etags_round_trip_and_reject_strangers() {
        assert_eq!(Version::from_etag(&Version(7).etag()), Ok(Version(7)));
        assert!(Version::from_etag("7").is_err());
        assert!(Version::from_etag("v-1").is_err());
    }

    #[test]
    fn stock_deltas_are_non_zero_and_bounded() {
        assert!(StockDelta::new(0).is_err());
        assert!(StockDelta::new(-MAX_STOCK).is_ok());
        assert!(StockDelta::new(MAX_STOCK + 1).is_err());
        assert!(StockDelta::new(i64::MIN).is_err());
    }
}

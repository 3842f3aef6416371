//! Small validated values shared by products and inventory.

use std::ops::RangeInclusive;

use platform::values::text;

/// Largest price, in minor units (one million in major units).
pub const MAX_PRICE_MINOR: i64 = 100_000_000;
/// Largest stock level and largest single adjustment.
pub const MAX_STOCK: i64 = 1_000_000;

platform::uuid_value!(
    /// A product's id: a UUID, printed in its canonical hyphenated form.
    pub ProductId, "a product id"
);
platform::string_value!(
    /// A product's display name: 1 to 200 characters.
    pub ProductName, |raw| text(raw, 1, 200, false)
);
platform::string_value!(
    /// A product's description: up to 5000 characters, newlines allowed.
    pub Description, |raw| text(raw, 0, 5000, true)
);
platform::string_value!(
    /// Why stock was adjusted: 1 to 200 characters.
    pub Reason, |raw| text(raw, 1, 200, false)
);

platform::string_value!(
    /// A category slug: 1 to 50 characters of `a-z`, `0-9` and `-`.
    pub Category, |raw| {
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
        Ok(raw.to_owned())
    }
);

/// Minor units a unit price may have: free up to [`MAX_PRICE_MINOR`].
pub const PRICES: RangeInclusive<i64> = 0..=MAX_PRICE_MINOR;

/// Heaviest a product may be, in grams (a tonne).
pub const MAX_WEIGHT_GRAMS: i32 = 1_000_000;

/// Shipping weight of one unit, packed, in grams: 0 to
/// [`MAX_WEIGHT_GRAMS`]; 0 means not known (quotes then count a default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WeightGrams(i32);

impl WeightGrams {
    pub fn new(grams: i32) -> Result<Self, String> {
        if !(0..=MAX_WEIGHT_GRAMS).contains(&grams) {
            return Err(format!("must be between 0 and {MAX_WEIGHT_GRAMS} grams"));
        }
        Ok(Self(grams))
    }

    pub fn grams(self) -> i32 {
        self.0
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
        use platform::money::{InvalidMoney, Money};
        assert!(Money::parse("USD", 0, PRICES).is_ok());
        assert!(matches!(
            Money::parse("USD", -1, PRICES),
            Err(InvalidMoney::Minor(_))
        ));
        assert!(matches!(
            Money::parse("USD", MAX_PRICE_MINOR + 1, PRICES),
            Err(InvalidMoney::Minor(_))
        ));
        assert!(matches!(
            Money::parse("ABC", 1, PRICES),
            Err(InvalidMoney::Currency(_))
        ));
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

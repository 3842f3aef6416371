//! Money as every service handles it: a currency the shop accepts and an
//! exact number of that currency's minor units, with checked arithmetic (an
//! overflow is an error, never a wrapped or saturated total), and its
//! conversion from and to the contract's `shop.common.v1.Money`, where a
//! bad part is reported as a field violation of its own
//! (`product.price.currency_code`, `amount.amount_minor`).

use std::ops::RangeInclusive;

use contracts::common::Money as MoneyMessage;

use crate::error::Violations;

/// ISO 4217 currencies the shop accepts, with their number of minor-unit
/// digits. Kept short on purpose: add a currency when the shop sells in it.
const CURRENCIES: &[(&str, u8)] = &[
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("USD", 2),
];

/// A currency the shop accepts: an ISO 4217 code in upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(&'static str);

impl Currency {
    /// The currency named by `code` (exact, upper case).
    pub fn parse(code: &str) -> Result<Self, String> {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(known, _)| Self(known))
            .ok_or_else(|| "must be a supported ISO 4217 code in upper case, e.g. USD".into())
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Number of minor-unit digits: 2 for USD, 0 for JPY.
    pub fn minor_digits(self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == self.0)
            .map_or(0, |(_, digits)| u32::from(*digits))
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Why two amounts could not be combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflows")]
    Overflow,
}

/// Which part of money from outside is wrong, and why (the description of
/// a field violation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidMoney {
    Currency(String),
    Minor(String),
}

impl InvalidMoney {
    /// The violated field below the money's own path.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Currency(_) => "currency_code",
            Self::Minor(_) => "amount_minor",
        }
    }

    pub fn description(&self) -> &str {
        match self {
            Self::Currency(d) | Self::Minor(d) => d,
        }
    }
}

/// An amount of money: a currency and a number of its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    currency: Currency,
    minor: i64,
}

impl Money {
    pub fn new(currency: Currency, minor: i64) -> Self {
        Self { currency, minor }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(currency, 0)
    }

    /// Money in the currency named by `code` whose minor units lie in
    /// `allowed` (what a price or a charge may be).
    pub fn parse(
        code: &str,
        minor: i64,
        allowed: RangeInclusive<i64>,
    ) -> Result<Self, InvalidMoney> {
        let currency = Currency::parse(code).map_err(InvalidMoney::Currency)?;
        let (min, max) = (*allowed.start(), *allowed.end());
        if minor < min {
            return Err(InvalidMoney::Minor(match min {
                0 => "must not be negative".into(),
                1 => "must be greater than 0".into(),
                _ => format!("must be at least {min} minor units"),
            }));
        }
        if minor > max {
            return Err(InvalidMoney::Minor(format!(
                "must be at most {max} minor units"
            )));
        }
        Ok(Self::new(currency, minor))
    }

    /// The money a request carries at `field`, which is required; every
    /// violation is recorded in `v` under the path of the part at fault.
    pub fn from_message(
        v: &mut Violations,
        field: &str,
        message: Option<&MoneyMessage>,
        allowed: RangeInclusive<i64>,
    ) -> Option<Self> {
        let Some(message) = message else {
            v.add(field, "is required");
            return None;
        };
        match Self::parse(&message.currency_code, message.amount_minor, allowed) {
            Ok(money) => Some(money),
            Err(invalid) => {
                v.add(
                    format!("{field}.{}", invalid.field()),
                    invalid.description(),
                );
                None
            }
        }
    }

    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// `self + other`, both in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(self.currency, minor))
    }

    /// `self - other`, both in the same currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(self.currency, minor))
    }

    /// `self * quantity`, e.g. a unit price times a number of units.
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let minor = self
            .minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(self.currency, minor))
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl From<Money> for MoneyMessage {
    fn from(money: Money) -> Self {
        Self {
            currency_code: money.currency.as_str().to_owned(),
            amount_minor: money.minor,
        }
    }
}

impl std::fmt::Display for Money {
    /// "19.99 USD", "500 JPY".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.currency.minor_digits();
        if digits == 0 {
            return write!(f, "{} {}", self.minor, self.currency);
        }
        let scale = 10_u64.pow(digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = digits as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldViolation;

    fn usd(minor: i64) -> Money {
        Money::new(Currency::parse("USD").expect("USD is known"), minor)
    }

    #[test]
    fn adds_and_multiplies_exactly() {
        let total = usd(1999).checked_mul(3).and_then(|m| m.checked_add(usd(1)));
        assert_eq!(total, Ok(usd(5998)));
        assert_eq!(usd(5).checked_sub(usd(7)), Ok(usd(-2)));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(
            usd(i64::MAX / 2 + 1).checked_mul(2),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn currencies_do_not_mix() {
        let eur = Money::new(Currency::parse("EUR").expect("EUR is known"), 1);
        assert!(matches!(
            usd(1).checked_add(eur),
            Err(MoneyError::CurrencyMismatch(_, _))
        ));
    }

    #[test]
    fn unknown_or_lower_case_currencies_are_refused() {
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("XXX").is_err());
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn parsed_money_stays_within_its_bounds() {
        assert_eq!(Money::parse("USD", 0, 0..=10), Ok(usd(0)));
        assert_eq!(
            Money::parse("USD", -1, 0..=10),
            Err(InvalidMoney::Minor("must not be negative".into()))
        );
        assert_eq!(
            Money::parse("USD", 0, 1..=10),
            Err(InvalidMoney::Minor("must be greater than 0".into()))
        );
        assert_eq!(
            Money::parse("USD", 11, 1..=10),
            Err(InvalidMoney::Minor("must be at most 10 minor units".into()))
        );
        assert!(matches!(
            Money::parse("usd", 1, 1..=10),
            Err(InvalidMoney::Currency(_))
        ));
    }

    #[test]
    fn messages_convert_both_ways_naming_the_part_at_fault() {
        let mut v = Violations::default();
        let message = MoneyMessage::from(usd(250));
        assert_eq!(
            Money::from_message(&mut v, "price", Some(&message), 0..=1000),
            Some(usd(250))
        );
        let bad = MoneyMessage {
            currency_code: "usd".into(),
            amount_minor: -1,
        };
        assert_eq!(
            Money::from_message(&mut v, "price", Some(&bad), 0..=1000),
            None
        );
        assert_eq!(Money::from_message(&mut v, "amount", None, 0..=1000), None);
        let invalid = v.finish(|| Some(())).expect_err("violations");
        assert_eq!(
            invalid.0,
            vec![
                FieldViolation::new(
                    "price.currency_code",
                    "must be a supported ISO 4217 code in upper case, e.g. USD"
                ),
                FieldViolation::new("amount", "is required"),
            ]
        );
    }

    #[test]
    fn displays_in_major_units() {
        assert_eq!(usd(1999).to_string(), "19.99 USD");
        assert_eq!(usd(-5).to_string(), "-0.05 USD");
        let jpy = Money::new(Currency::parse("JPY").expect("JPY is known"), 500);
        assert_eq!(jpy.to_string(), "500 JPY");
    }
}

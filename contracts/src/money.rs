//! Money as exact integers of a currency's minor unit, with checked
//! arithmetic: an overflow is an error, never a wrapped or saturated total.

use crate::common::Money;

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

/// Why an amount of money could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency code {0:?} is not a supported ISO 4217 code")]
    UnknownCurrency(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(String, String),
    #[error("amount overflows")]
    Overflow,
}

/// Whether `code` is a currency the shop accepts (exact, upper case).
pub fn is_known_currency(code: &str) -> bool {
    CURRENCIES.iter().any(|(known, _)| *known == code)
}

/// Number of minor-unit digits of a known currency (2 for USD, 0 for JPY).
pub fn minor_digits(code: &str) -> Option<u8> {
    CURRENCIES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, digits)| *digits)
}

impl Money {
    /// Money in a known currency.
    pub fn new(currency_code: &str, amount_minor: i64) -> Result<Self, MoneyError> {
        if !is_known_currency(currency_code) {
            return Err(MoneyError::UnknownCurrency(currency_code.to_owned()));
        }
        Ok(Self {
            currency_code: currency_code.to_owned(),
            amount_minor,
        })
    }

    /// Zero in the given currency.
    pub fn zero(currency_code: &str) -> Result<Self, MoneyError> {
        Self::new(currency_code, 0)
    }

    /// `self + other`, both in the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            currency_code: self.currency_code.clone(),
            amount_minor: amount,
        })
    }

    /// `self - other`, both in the same currency.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount_minor
            .checked_sub(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            currency_code: self.currency_code.clone(),
            amount_minor: amount,
        })
    }

    /// `self * quantity`, e.g. a unit price times a number of units.
    pub fn checked_mul(&self, quantity: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount_minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            currency_code: self.currency_code.clone(),
            amount_minor: amount,
        })
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency_code == other.currency_code {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency_code.clone(),
                other.currency_code.clone(),
            ))
        }
    }
}

impl std::fmt::Display for Money {
    /// "19.99 USD", "500 JPY"; unknown currencies print their minor units.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = minor_digits(&self.currency_code).unwrap_or(0) as u32;
        if digits == 0 {
            return write!(f, "{} {}", self.amount_minor, self.currency_code);
        }
        let scale = 10_i64.pow(digits);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale as u64,
            abs % scale as u64,
            self.currency_code,
            width = digits as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: i64) -> Money {
        Money::new("USD", amount).expect("USD is known")
    }

    #[test]
    fn adds_and_multiplies_exactly() {
        let total = usd(1999)
            .checked_mul(3)
            .and_then(|m| m.checked_add(&usd(1)));
        assert_eq!(total, Ok(usd(5998)));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            usd(i64::MAX).checked_add(&usd(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            usd(i64::MAX / 2 + 1).checked_mul(2),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn currencies_do_not_mix() {
        let eur = Money::new("EUR", 1).expect("EUR is known");
        assert!(matches!(
            usd(1).checked_add(&eur),
            Err(MoneyError::CurrencyMismatch(_, _))
        ));
    }

    #[test]
    fn unknown_or_lower_case_currencies_are_refused() {
        assert!(Money::new("usd", 1).is_err());
        assert!(Money::new("XXX", 1).is_err());
    }

    #[test]
    fn displays_in_major_units() {
        assert_eq!(usd(1999).to_string(), "19.99 USD");
        assert_eq!(usd(-5).to_string(), "-0.05 USD");
        assert_eq!(Money::new("JPY", 500).expect("JPY").to_string(), "500 JPY");
    }
}

//! Payment cards as the service holds them for the one charge they come
//! with. The number and the CVC live only in memory, inside types whose
//! `Debug` hides them; what may be kept is the [`CardSummary`] (brand and
//! last four digits) and the expiry.

use time::OffsetDateTime;

/// A card number that passed the format checks every Shop service agrees
/// on (`contracts::card`: 12 to 19 digits, valid Luhn check digit).
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if contracts::card::is_valid_number(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 12 to 19 digits with a valid check digit".into())
        }
    }

    /// The full number, for the card network only. Never store or log it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn last4(&self) -> &str {
        contracts::card::last4(&self.0)
    }

    pub fn brand(&self) -> Brand {
        Brand::of(&self.0)
    }
}

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardNumber(****{})", self.last4())
    }
}

/// A card verification code: 3 or 4 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvc(String);

impl Cvc {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if (3..=4).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 3 or 4 digits".into())
        }
    }

    /// The code, for the card network only. Never store or log it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Cvc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cvc(***)")
    }
}

/// The month a card expires: month 1 to 12 of a four-digit year. A card
/// is good through the last day of its expiry month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    month: u8,
    year: i32,
}

/// What is wrong with an expiry: the month, the year, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryError {
    pub month: Option<String>,
    pub year: Option<String>,
}

impl Expiry {
    pub fn new(month: i32, year: i32) -> Result<Self, ExpiryError> {
        let valid_month = u8::try_from(month).ok().filter(|m| (1..=12).contains(m));
        let valid_year = (1000..=9999).contains(&year);
        match valid_month {
            Some(month) if valid_year => Ok(Self { month, year }),
            _ => Err(ExpiryError {
                month: valid_month
                    .is_none()
                    .then(|| "must be between 1 and 12".to_owned()),
                year: (!valid_year).then(|| "must be a four-digit year".to_owned()),
            }),
        }
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// Whether the expiry month is over at `now` (UTC). Expiry in the past
    /// is not invalid input: the card network declines it.
    pub fn has_passed(self, now: OffsetDateTime) -> bool {
        (self.year, self.month) < (now.year(), u8::from(now.month()))
    }
}

platform::stored_enum!(
    /// The card's issuing network, from the number's leading digits.
    pub Brand {
        Visa => "visa",
        Mastercard => "mastercard",
        Amex => "amex",
        Discover => "discover",
        Other => "other",
    }
);

impl Brand {
    /// The brand of a card number (digits only).
    pub fn of(number: &str) -> Self {
        let prefix = |digits: usize| -> u32 {
            number
                .get(..digits)
                .and_then(|p| p.parse().ok())
                .unwrap_or(0)
        };
        match (prefix(1), prefix(2), prefix(3), prefix(4)) {
            (4, _, _, _) => Self::Visa,
            (_, 51..=55, _, _) | (_, _, _, 2221..=2720) => Self::Mastercard,
            (_, 34 | 37, _, _) => Self::Amex,
            (_, 65, _, _) | (_, _, 644..=649, _) | (_, _, _, 6011) => Self::Discover,
            _ => Self::Other,
        }
    }
}

/// Name on the card: up to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderName(String);

impl HolderName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim();
        if value.chars().count() > 100 {
            return Err("must be at most 100 characters".into());
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A card to charge. `Debug` shows only the last four digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvc: Cvc,
    pub holder: HolderName,
}

impl Card {
    /// What may be kept and shown about this card.
    pub fn summary(&self) -> CardSummary {
        CardSummary {
            brand: self.number.brand(),
            last4: self.number.last4().to_owned(),
        }
    }
}

/// What is kept about a card: its brand and last four digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSummary {
    pub brand: Brand,
    pub last4: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn brands_come_from_the_leading_digits() {
        assert_eq!(Brand::of("4242424242424242"), Brand::Visa);
        assert_eq!(Brand::of("5555555555554444"), Brand::Mastercard);
        assert_eq!(Brand::of("2223003122003222"), Brand::Mastercard);
        assert_eq!(Brand::of("378282246310005"), Brand::Amex);
        assert_eq!(Brand::of("6011111111111117"), Brand::Discover);
        assert_eq!(Brand::of("6500000000000002"), Brand::Discover);
        assert_eq!(Brand::of("3530111333300000"), Brand::Other);
        for brand in [Brand::Visa, Brand::Amex, Brand::Other] {
            assert_eq!(Brand::parse(brand.as_str()), Some(brand));
        }
    }

    #[test]
    fn a_card_is_good_through_its_expiry_month() {
        let expiry = Expiry::new(6, 2030).expect("valid");
        assert!(!expiry.has_passed(datetime!(2030-06-30 23:59 UTC)));
        assert!(expiry.has_passed(datetime!(2030-07-01 00:00 UTC)));
        assert!(!expiry.has_passed(datetime!(2029-12-01 00:00 UTC)));
    }

    #[test]
    fn expiry_and_cvc_formats_are_checked() {
        let month_only = Expiry::new(13, 2030).expect_err("bad month");
        assert!(month_only.month.is_some() && month_only.year.is_none());
        let year_only = Expiry::new(1, 30).expect_err("bad year");
        assert!(year_only.month.is_none() && year_only.year.is_some());
        let both = Expiry::new(0, 99_999).expect_err("both bad");
        assert!(both.month.is_some() && both.year.is_some());
        assert!(Cvc::parse("123").is_ok());
        assert!(Cvc::parse("1234").is_ok());
        assert!(Cvc::parse("12").is_err());
        assert!(Cvc::parse("12a").is_err());
        assert!(CardNumber::parse("4242424242424241").is_err());
    }

    #[test]
    fn debug_never_shows_the_number_or_the_cvc() {
        let card = Card {
            number: CardNumber::parse("4242424242424242").expect("valid"),
            expiry: Expiry::new(12, 2030).expect("valid"),
            cvc: Cvc::parse("987").expect("valid"),
            holder: HolderName::parse("Ada").expect("valid"),
        };
        let printed = format!("{card:?}");
        assert!(!printed.contains("424242424242"), "{printed}");
        assert!(!printed.contains("987"), "{printed}");
        assert!(printed.contains("****4242"), "{printed}");
        assert_eq!(
            card.summary(),
            CardSummary {
                brand: Brand::Visa,
                last4: "4242".into()
            }
        );
    }
}

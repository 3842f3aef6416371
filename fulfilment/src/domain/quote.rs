//! A shipping quote: the options offered for one parcel (lines and
//! address) to one user, held until it expires, and [`Quote::check`],
//! what the orders service asks before it charges an option's price.

use platform::money::Currency;
use time::OffsetDateTime;

use super::{Address, UserId, shipping::Offer};

platform::uuid_value!(
    /// A shipping quote's id.
    pub QuoteId, "a quote id"
);

platform::uuid_value!(
    /// A product's id in the catalog.
    pub ProductId, "a product id"
);

/// Most lines a parcel holds (as an order).
pub const MAX_LINES: usize = 50;
/// Most units of one product in a parcel (as in an order).
pub const MAX_QUANTITY: i64 = 1000;

/// One product of a quoted parcel, and how many.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct QuoteLine {
    pub product_id: ProductId,
    pub quantity: i64,
}

/// A validated GetShippingQuote request: distinct products, quantities in
/// range, a checked address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRequest {
    pub address: Address,
    pub lines: Vec<QuoteLine>,
}

/// A quote as it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub id: QuoteId,
    pub user_id: UserId,
    /// The currency of every option's price (the rules').
    pub currency: Currency,
    pub address: Address,
    pub lines: Vec<QuoteLine>,
    /// Cheapest first, as offered.
    pub options: Vec<Offer>,
    pub weight_grams: i64,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Why a quote does not give the option asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckRefused {
    #[error("the shipping quote has expired; ask for a new one")]
    Expired,
    #[error("the shipping quote was made for other lines or another address")]
    Mismatch,
    #[error("the shipping quote has no option {0:?}")]
    UnknownOption(String),
}

impl Quote {
    /// Whether the quote has expired at `now`: it is good until just
    /// before `expires_at`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The option `code`, if the quote is still good at `now` and was
    /// made for exactly these lines (in any order) and this address. A
    /// quote may be checked any number of times until it expires.
    pub fn check(
        &self,
        lines: &[QuoteLine],
        address: &Address,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<&Offer, CheckRefused> {
        if self.is_expired(now) {
            return Err(CheckRefused::Expired);
        }
        let sorted = |lines: &[QuoteLine]| {
            let mut lines = lines.to_vec();
            lines.sort();
            lines
        };
        if sorted(lines) != sorted(&self.lines) || *address != self.address {
            return Err(CheckRefused::Mismatch);
        }
        self.options
            .iter()
            .find(|o| o.code == code)
            .ok_or_else(|| CheckRefused::UnknownOption(code.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use platform::money::Money;
    use time::{Duration, macros::datetime};

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-11-27 10:00 UTC);

    fn product(n: u8) -> ProductId {
        ProductId::parse(&format!("00000000-0000-7000-8000-0000000000{n:02}")).expect("an id")
    }

    fn address() -> Address {
        Address {
            recipient: "Ada".into(),
            line1: "1 Main St".into(),
            city: "Springfield".into(),
            postal_code: "12345".into(),
            country_code: "US".into(),
            ..Address::default()
        }
    }

    fn quote() -> Quote {
        Quote {
            id: QuoteId::generate(),
            user_id: UserId::parse("user-1").expect("a user"),
            currency: Currency::parse("USD").expect("USD"),
            address: address(),
            lines: vec![
                QuoteLine {
                    product_id: product(1),
                    quantity: 2,
                },
                QuoteLine {
                    product_id: product(2),
                    quantity: 1,
                },
            ],
            options: vec![Offer {
                code: "standard".into(),
                name: "Standard (3-5 days)".into(),
                price: Money::new(Currency::parse("USD").expect("USD"), 600),
                earliest_delivery: T0 + Duration::days(3),
                latest_delivery: T0 + Duration::days(5),
            }],
            weight_grams: 1200,
            created_at: T0,
            expires_at: T0 + Duration::minutes(30),
        }
    }

    #[test]
    fn the_same_lines_in_any_order_and_address_give_the_option_until_expiry() {
        let quote = quote();
        let mut lines = quote.lines.clone();
        lines.reverse();
        for now in [T0, T0 + Duration::minutes(29)] {
            let option = quote
                .check(&lines, &address(), "standard", now)
                .expect("the option");
            assert_eq!(option.price.minor(), 600);
        }
        assert_eq!(
            quote.check(&lines, &address(), "standard", T0 + Duration::minutes(30)),
            Err(CheckRefused::Expired)
        );
    }

    #[test]
    fn other_lines_or_another_address_or_option_are_refused() {
        let quote = quote();
        let mut more = quote.lines.clone();
        more[0].quantity = 3;
        let mut fewer = quote.lines.clone();
        fewer.pop();
        for lines in [more, fewer] {
            assert_eq!(
                quote.check(&lines, &address(), "standard", T0),
                Err(CheckRefused::Mismatch)
            );
        }
        let mut moved = address();
        moved.postal_code = "54321".into();
        assert_eq!(
            quote.check(&quote.lines, &moved, "standard", T0),
            Err(CheckRefused::Mismatch)
        );
        assert_eq!(
            quote.check(&quote.lines, &address(), "express", T0),
            Err(CheckRefused::UnknownOption("express".into()))
        );
    }
}

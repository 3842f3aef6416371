//! A validated checkout request, how it is priced from the catalog's
//! products and the shipping option, and the fingerprint that tells a retry
//! from a different request reusing the same request id.

use contracts::common::Card;
use platform::money::MoneyError;
use sha2::{Digest, Sha256};

use super::{
    order::{MethodType, OrderLine},
    shipping::{OptionCode, QuoteId},
    values::{Address, MAX_TOTAL_MINOR, Money, ProductId, RequestId},
};

/// How the customer pays. Card details live only in memory, never stored.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentChoice {
    Card(Card),
    Wallet,
}

impl PaymentChoice {
    pub fn method(&self) -> MethodType {
        match self {
            Self::Card(_) => MethodType::Card,
            Self::Wallet => MethodType::Wallet,
        }
    }

    pub fn card_last4(&self) -> Option<String> {
        match self {
            Self::Card(card) => Some(contracts::card::last4(&card.number).to_owned()),
            Self::Wallet => None,
        }
    }
}

/// A checkout request whose every field was checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutRequest {
    pub request_id: RequestId,
    /// (product id, quantity), distinct products, in the customer's order.
    pub lines: Vec<(ProductId, i64)>,
    pub payment: PaymentChoice,
    pub address: Address,
    /// The shipping quote the customer chose from, and the option chosen.
    pub quote_id: QuoteId,
    pub shipping_option: OptionCode,
}

impl CheckoutRequest {
    /// A hash of what was asked: the lines, how to pay (card last four and
    /// expiry, never the number or CVC), where to ship and how.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        let mut lines = self.lines.clone();
        lines.sort();
        for (product_id, quantity) in &lines {
            hasher.update(format!("line:{product_id}:{quantity}\n"));
        }
        match &self.payment {
            PaymentChoice::Card(card) => hasher.update(format!(
                "card:{}:{}/{}\n",
                contracts::card::last4(&card.number),
                card.exp_month,
                card.exp_year
            )),
            PaymentChoice::Wallet => hasher.update("wallet\n"),
        }
        let a = &self.address;
        for part in [
            &a.recipient,
            &a.line1,
            &a.line2,
            &a.city,
            &a.region,
            &a.postal_code,
            &a.country_code,
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher.update(format!(
            "shipping:{}:{}\n",
            self.quote_id, self.shipping_option
        ));
        platform::values::hex(&hasher.finalize())
    }

    /// The priced lines and their subtotal, from the catalog's current
    /// products.
    pub fn price(&self, products: &[ProductInfo]) -> Result<Pricing, PricingError> {
        let missing: Vec<ProductId> = self
            .lines
            .iter()
            .filter(|(id, _)| !products.iter().any(|p| &p.id == id))
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            return Err(PricingError::Missing(missing));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        let mut total: Option<Money> = None;
        for (product_id, quantity) in &self.lines {
            let product = products
                .iter()
                .find(|p| &p.id == product_id)
                .ok_or(PricingError::Missing(vec![*product_id]))?;
            if total.is_some_and(|sum| sum.currency() != product.price.currency()) {
                return Err(PricingError::CurrencyMismatch);
            }
            let line_total = product.price.checked_mul(*quantity)?;
            total = Some(match total {
                None => line_total,
                Some(sum) => sum.checked_add(line_total)?,
            });
            lines.push(OrderLine {
                product_id: *product_id,
                product_name: product.name.clone(),
                unit_price: product.price,
                quantity: *quantity,
            });
        }
        let subtotal = total.ok_or(PricingError::NoLines)?;
        if subtotal.minor() > MAX_TOTAL_MINOR {
            return Err(PricingError::TooLarge);
        }
        Ok(Pricing { lines, subtotal })
    }
}

/// What the catalog says about a product right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInfo {
    pub id: ProductId,
    pub name: String,
    pub price: Money,
}

/// An order's lines with their prices snapshotted, and their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
}

impl Pricing {
    /// What the customer pays with `shipping` added: in the lines'
    /// currency, and within the largest allowed order.
    pub fn total_with(&self, shipping: Money) -> Result<Money, PricingError> {
        if shipping.currency() != self.subtotal.currency() {
            return Err(PricingError::CurrencyMismatch);
        }
        let total = self.subtotal.checked_add(shipping)?;
        if total.minor() > MAX_TOTAL_MINOR {
            return Err(PricingError::TooLarge);
        }
        Ok(total)
    }
}

/// Why a request cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PricingError {
    /// These products do not exist (or were deleted).
    Missing(Vec<ProductId>),
    /// The products are priced in more than one currency.
    CurrencyMismatch,
    /// The total overflows or exceeds the largest allowed order.
    TooLarge,
    /// There was nothing to price.
    NoLines,
}

impl From<MoneyError> for PricingError {
    fn from(error: MoneyError) -> Self {
        match error {
            MoneyError::CurrencyMismatch(..) => Self::CurrencyMismatch,
            MoneyError::Overflow => Self::TooLarge,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::Currency;

    /// The id of test product `name` (a letter).
    fn id(name: &str) -> ProductId {
        let hex = format!("{:0>12}", name.as_bytes()[0]);
        ProductId::parse(&format!("0190a1b2-0000-7000-8000-{hex}")).expect("id")
    }

    fn product(name: &str, price_minor: i64, currency: &str) -> ProductInfo {
        ProductInfo {
            id: id(name),
            name: format!("Product {name}"),
            price: Money::new(Currency::parse(currency).expect("currency"), price_minor),
        }
    }

    fn request(lines: &[(&str, i64)]) -> CheckoutRequest {
        CheckoutRequest {
            request_id: RequestId::parse("r1").expect("id"),
            lines: lines.iter().map(|(p, q)| (id(p), *q)).collect(),
            payment: PaymentChoice::Wallet,
            address: Address::default(),
            quote_id: QuoteId::parse("0190a1b2-0000-7000-8000-0000000000f1").expect("quote"),
            shipping_option: OptionCode::parse("standard").expect("option"),
        }
    }

    #[test]
    fn prices_snapshot_names_and_sum_lines() {
        let priced = request(&[("a", 2), ("b", 1)])
            .price(&[product("a", 250, "USD"), product("b", 1000, "USD")])
            .expect("priced");
        assert_eq!(priced.subtotal.minor(), 1500);
        assert_eq!(priced.subtotal.currency().as_str(), "USD");
        assert_eq!(priced.lines[0].product_name, "Product a");
    }

    #[test]
    fn missing_products_mixed_currencies_and_huge_totals_are_refused() {
        let products = [product("a", 250, "USD"), product("e", 100, "EUR")];
        assert_eq!(
            request(&[("a", 1), ("z", 1)]).price(&products),
            Err(PricingError::Missing(vec![id("z")]))
        );
        assert_eq!(
            request(&[("a", 1), ("e", 1)]).price(&products),
            Err(PricingError::CurrencyMismatch)
        );
        assert_eq!(
            request(&[("a", 1000)]).price(&[product("a", i64::MAX / 2, "USD")]),
            Err(PricingError::TooLarge)
        );
        assert_eq!(
            request(&[("a", 1000)]).price(&[product("a", 100_001, "USD")]),
            Err(PricingError::TooLarge)
        );
    }

    #[test]
    fn shipping_adds_to_the_total_in_the_same_currency_and_within_the_limit() {
        let usd = |minor| Money::new(Currency::parse("USD").expect("usd"), minor);
        let priced = request(&[("a", 2)])
            .price(&[product("a", 250, "USD")])
            .expect("priced");
        assert_eq!(priced.total_with(usd(499)), Ok(usd(999)));
        assert_eq!(priced.total_with(usd(0)), Ok(usd(500)));
        assert_eq!(
            priced.total_with(Money::new(Currency::parse("EUR").expect("eur"), 499)),
            Err(PricingError::CurrencyMismatch)
        );
        assert_eq!(
            priced.total_with(usd(MAX_TOTAL_MINOR)),
            Err(PricingError::TooLarge)
        );
    }

    #[test]
    fn the_fingerprint_tells_another_quote_or_option_apart() {
        let a = request(&[("a", 1)]);
        let mut other_option = a.clone();
        other_option.shipping_option = OptionCode::parse("express").expect("option");
        let mut other_quote = a.clone();
        other_quote.quote_id =
            QuoteId::parse("0190a1b2-0000-7000-8000-0000000000f2").expect("quote");
        assert_ne!(a.fingerprint(), other_option.fingerprint());
        assert_ne!(a.fingerprint(), other_quote.fingerprint());
    }

    #[test]
    fn the_fingerprint_ignores_line_order_but_not_content_nor_card_secrets() {
        let a = request(&[("a", 1), ("b", 2)]);
        let reordered = request(&[("b", 2), ("a", 1)]);
        let more = request(&[("a", 2), ("b", 2)]);
        assert_eq!(a.fingerprint(), reordered.fingerprint());
        assert_ne!(a.fingerprint(), more.fingerprint());

        let card = |cvc: &str| Card {
            number: "4242424242424242".into(),
            exp_month: 1,
            exp_year: 2030,
            cvc: cvc.into(),
            holder_name: String::new(),
        };
        let mut with_card = a.clone();
        with_card.payment = PaymentChoice::Card(card("123"));
        let mut same_card_retyped_cvc = a.clone();
        same_card_retyped_cvc.payment = PaymentChoice::Card(card("999"));
        assert_eq!(with_card.fingerprint(), same_card_retyped_cvc.fingerprint());
        assert_ne!(with_card.fingerprint(), a.fingerprint());
    }
}

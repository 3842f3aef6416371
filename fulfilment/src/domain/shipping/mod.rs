//! Shipping prices, pure: [`Rules`] (read from the operator's TOML, see
//! [`rules`]) and [`Rules::offers`], the options a parcel of priced lines
//! has to a country at a moment, cheapest first.

pub mod rules;

use platform::money::{Currency, Money};
use time::{Duration, OffsetDateTime};

pub use rules::{DEFAULT_RULES, MAX_WEIGHT_GRAMS, Rules, RulesError};

/// One line of a parcel as the catalog prices and weighs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The product's price currency, as the catalog gives it.
    pub currency: String,
    pub unit_price_minor: i64,
    pub quantity: i64,
    /// One unit's weight; 0 when not known.
    pub weight_grams: i64,
}

/// One priced way to ship a parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub code: String,
    /// The option's name with its delivery days, e.g. "Standard (3-5 days)".
    pub name: String,
    pub price: Money,
    pub earliest_delivery: OffsetDateTime,
    pub latest_delivery: OffsetDateTime,
}

/// What the rules offer a parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offers {
    /// The parcel's weight the prices were computed from.
    pub weight_grams: i64,
    /// Cheapest first.
    pub options: Vec<Offer>,
}

/// Why a parcel cannot be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unquotable {
    #[error("no shipping option serves the country {0}")]
    NotServed(String),
    #[error("shipping is priced in {rules}; the products are priced in {lines}")]
    CurrencyMismatch { rules: Currency, lines: String },
}

/// Started kilograms of `grams`: 1 to 1000 g is 1, 1001 g is 2.
fn started_kilograms(grams: i64) -> i64 {
    grams.saturating_add(999) / 1000
}

/// "Standard (3-5 days)", "Express (1 day)".
fn display_name(name: &str, min_days: u32, max_days: u32) -> String {
    match (min_days, max_days) {
        (1, 1) => format!("{name} (1 day)"),
        (min, max) if min == max => format!("{name} ({max} days)"),
        (min, max) => format!("{name} ({min}-{max} days)"),
    }
}

impl Rules {
    /// The options serving `country` for a parcel of `lines`, priced
    /// `now`: cheapest first (then fastest, then by code, so the order is
    /// stable).
    pub fn offers(
        &self,
        country: &str,
        lines: &[PricedLine],
        now: OffsetDateTime,
    ) -> Result<Offers, Unquotable> {
        let zone = self
            .zones
            .iter()
            .find(|z| z.countries.iter().any(|c| c == country))
            .ok_or_else(|| Unquotable::NotServed(country.to_owned()))?;
        if let Some(other) = lines.iter().find(|l| l.currency != self.currency.as_str()) {
            return Err(Unquotable::CurrencyMismatch {
                rules: self.currency,
                lines: other.currency.clone(),
            });
        }
        // Saturating: quantities and weights are bounded far below
        // overflow at the edge; the value only meets a threshold.
        let weight_grams = lines.iter().fold(0_i64, |sum, l| {
            let unit = if l.weight_grams > 0 {
                l.weight_grams
            } else {
                self.default_weight_grams
            };
            sum.saturating_add(unit.saturating_mul(l.quantity))
        });
        let value = lines.iter().fold(0_i64, |sum, l| {
            sum.saturating_add(l.unit_price_minor.saturating_mul(l.quantity))
        });
        let free = self.free_shipping.as_ref().filter(|f| value >= f.threshold);
        let kilograms = started_kilograms(weight_grams);
        let mut options: Vec<(Offer, u32)> = self
            .options
            .iter()
            .filter_map(|option| {
                let rate = option.rates.iter().find(|r| r.zone == zone.name)?;
                let is_free = free.is_some_and(|f| f.options.contains(&option.code));
                let price = if is_free {
                    0
                } else {
                    rate.base
                        .saturating_add(rate.per_kg.saturating_mul(kilograms))
                };
                let offer = Offer {
                    code: option.code.clone(),
                    name: display_name(&option.name, rate.min_days, rate.max_days),
                    price: Money::new(self.currency, price),
                    earliest_delivery: now + Duration::days(i64::from(rate.min_days)),
                    latest_delivery: now + Duration::days(i64::from(rate.max_days)),
                };
                Some((offer, rate.max_days))
            })
            .collect();
        if options.is_empty() {
            return Err(Unquotable::NotServed(country.to_owned()));
        }
        options.sort_by(|(a, a_days), (b, b_days)| {
            (a.price.minor(), a_days, &a.code).cmp(&(b.price.minor(), b_days, &b.code))
        });
        Ok(Offers {
            weight_grams,
            options: options.into_iter().map(|(offer, _)| offer).collect(),
        })
    }
}

#[cfg(test)]
mod tests;

//! The shipping rules as the operator writes them (TOML, see the default
//! `shipping-rules.toml`), read and checked once at start: a rule that
//! cannot price a parcel sensibly stops the service with the problem named,
//! rather than surfacing as odd prices later.

use std::collections::HashSet;

use platform::money::Currency;
use serde::Deserialize;

/// Most a base price, a price per kilogram or a free-shipping threshold
/// may be, in minor units: far above any real rate, far below overflow.
const MAX_MINOR: i64 = 100_000_000;
/// Most a product's weight may be, in grams (as the catalog allows).
pub const MAX_WEIGHT_GRAMS: i64 = 1_000_000;
/// Longest delivery estimate, in days.
const MAX_DAYS: u32 = 365;

/// Rules that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid shipping rules: {0}")]
pub struct RulesError(pub String);

/// Validated shipping rules: build them with [`Rules::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub(super) currency: Currency,
    pub(super) default_weight_grams: i64,
    pub(super) free_shipping: Option<FreeShipping>,
    pub(super) zones: Vec<Zone>,
    pub(super) options: Vec<OptionRule>,
}

/// Where the shop ships at one set of rates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Zone {
    pub name: String,
    pub countries: Vec<String>,
}

/// One way to ship, with its rate in each zone it serves.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OptionRule {
    pub code: String,
    pub name: String,
    pub rates: Vec<Rate>,
}

/// An option's price and delivery time in one zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Rate {
    pub zone: String,
    pub base: i64,
    pub per_kg: i64,
    pub min_days: u32,
    pub max_days: u32,
}

/// The options that cost nothing from a value of the lines on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FreeShipping {
    pub threshold: i64,
    pub options: Vec<String>,
}

/// The file as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    currency: String,
    default_weight_grams: i64,
    free_shipping: Option<FreeShipping>,
    zones: Vec<Zone>,
    options: Vec<OptionRule>,
}

/// The rules built into the service, used when no file is given.
pub const DEFAULT_RULES: &str = include_str!("../../../shipping-rules.toml");

impl Rules {
    /// The built-in rules.
    pub fn default_rules() -> Result<Self, RulesError> {
        Self::parse(DEFAULT_RULES)
    }

    /// Reads and checks rules written in TOML.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let file: File = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        let fail = |problem: String| Err(RulesError(problem));
        let currency =
            Currency::parse(&file.currency).map_err(|e| RulesError(format!("currency {e}")))?;
        if !(1..=MAX_WEIGHT_GRAMS).contains(&file.default_weight_grams) {
            return fail(format!(
                "default_weight_grams must be between 1 and {MAX_WEIGHT_GRAMS}"
            ));
        }
        check_zones(&file.zones)?;
        check_options(&file.options, &file.zones)?;
        if let Some(free) = &file.free_shipping {
            if !(0..=MAX_MINOR).contains(&free.threshold) {
                return fail(format!(
                    "free_shipping.threshold must be between 0 and {MAX_MINOR}"
                ));
            }
            if let Some(code) = free
                .options
                .iter()
                .find(|code| !file.options.iter().any(|o| &o.code == *code))
            {
                return fail(format!("free_shipping names the unknown option {code:?}"));
            }
        }
        Ok(Self {
            currency,
            default_weight_grams: file.default_weight_grams,
            free_shipping: file.free_shipping,
            zones: file.zones,
            options: file.options,
        })
    }

    /// The currency shipping is priced in.
    pub fn currency(&self) -> Currency {
        self.currency
    }
}

fn check_zones(zones: &[Zone]) -> Result<(), RulesError> {
    if zones.is_empty() {
        return Err(RulesError("there must be at least one zone".into()));
    }
    let mut names = HashSet::new();
    let mut countries = HashSet::new();
    for zone in zones {
        if zone.name.trim().is_empty() {
            return Err(RulesError("a zone has no name".into()));
        }
        if !names.insert(zone.name.as_str()) {
            return Err(RulesError(format!("zone {:?} is named twice", zone.name)));
        }
        if zone.countries.is_empty() {
            return Err(RulesError(format!("zone {:?} has no countries", zone.name)));
        }
        for country in &zone.countries {
            if !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())) {
                return Err(RulesError(format!(
                    "zone {:?}: {country:?} is not an ISO 3166-1 alpha-2 code in upper case",
                    zone.name
                )));
            }
            if !countries.insert(country.as_str()) {
                return Err(RulesError(format!(
                    "country {country} is in more than one zone"
                )));
            }
        }
    }
    Ok(())
}

fn check_options(options: &[OptionRule], zones: &[Zone]) -> Result<(), RulesError> {
    if options.is_empty() {
        return Err(RulesError("there must be at least one option".into()));
    }
    let mut codes = HashSet::new();
    for option in options {
        let code = &option.code;
        if code.is_empty()
            || code.len() > 32
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err(RulesError(format!(
                "option code {code:?} must be 1 to 32 lower-case letters, digits, '-' or '_'"
            )));
        }
        if !codes.insert(code.as_str()) {
            return Err(RulesError(format!("option {code:?} is defined twice")));
        }
        let name_len = option.name.trim().chars().count();
        if name_len == 0 || name_len > 64 || option.name.chars().any(char::is_control) {
            return Err(RulesError(format!(
                "option {code:?}: the name must be 1 to 64 characters"
            )));
        }
        if option.rates.is_empty() {
            return Err(RulesError(format!("option {code:?} has no rates")));
        }
        let mut rated = HashSet::new();
        for rate in &option.rates {
            let at = format!("option {code:?}, zone {:?}", rate.zone);
            if !zones.iter().any(|z| z.name == rate.zone) {
                return Err(RulesError(format!("{at}: no such zone")));
            }
            if !rated.insert(rate.zone.as_str()) {
                return Err(RulesError(format!("{at}: rated twice")));
            }
            if !(0..=MAX_MINOR).contains(&rate.base) || !(0..=MAX_MINOR).contains(&rate.per_kg) {
                return Err(RulesError(format!(
                    "{at}: base and per_kg must be between 0 and {MAX_MINOR}"
                )));
            }
            if rate.min_days > rate.max_days || rate.max_days > MAX_DAYS {
                return Err(RulesError(format!(
                    "{at}: min_days must not exceed max_days, nor max_days {MAX_DAYS}"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"
        currency = "USD"
        default_weight_grams = 500
        [free_shipping]
        threshold = 5000
        options = ["standard"]
        [[zones]]
        name = "domestic"
        countries = ["US"]
        [[options]]
        code = "standard"
        name = "Standard"
        rates = [{ zone = "domestic", base = 499, per_kg = 100, min_days = 3, max_days = 5 }]
    "#;

    #[test]
    fn the_built_in_rules_are_valid_and_in_dollars() {
        let rules = Rules::default_rules().expect("the built-in rules");
        assert_eq!(rules.currency().as_str(), "USD");
        assert!(rules.options.iter().any(|o| o.code == "standard"));
        assert!(rules.options.iter().any(|o| o.code == "express"));
    }

    #[test]
    fn a_valid_file_is_read() {
        let rules = Rules::parse(VALID).expect("valid rules");
        assert_eq!(rules.default_weight_grams, 500);
        assert_eq!(rules.zones.len(), 1);
    }

    /// Each broken rule, and a word its error must name.
    #[test]
    fn broken_rules_are_refused_naming_the_problem() {
        let cases: [(&str, &str, &str); 14] = [
            ("currency = \"USD\"", "currency = \"XXX\"", "currency"),
            (
                "default_weight_grams = 500",
                "default_weight_grams = 0",
                "default_weight_grams",
            ),
            ("threshold = 5000", "threshold = -1", "threshold"),
            (
                "options = [\"standard\"]",
                "options = [\"overnight\"]",
                "overnight",
            ),
            ("countries = [\"US\"]", "countries = []", "no countries"),
            ("countries = [\"US\"]", "countries = [\"us\"]", "\"us\""),
            (
                "countries = [\"US\"]",
                "countries = [\"US\", \"US\"]",
                "more than one zone",
            ),
            ("code = \"standard\"", "code = \"Standard!\"", "option code"),
            ("name = \"Standard\"", "name = \"\"", "name"),
            (
                "zone = \"domestic\", base",
                "zone = \"mars\", base",
                "no such zone",
            ),
            ("base = 499", "base = -1", "base"),
            ("min_days = 3", "min_days = 6", "min_days"),
            ("max_days = 5", "max_days = 5, speed = 1", "speed"),
            ("name = \"domestic\"", "name = \"\"", "no name"),
        ];
        for (from, to, named) in cases {
            assert!(VALID.contains(from), "{from}");
            let broken = VALID.replacen(from, to, 1);
            let error = Rules::parse(&broken).expect_err(to);
            assert!(
                error.to_string().contains(named),
                "{to}: {error} should name {named}"
            );
        }
    }

    #[test]
    fn a_country_in_two_zones_or_an_option_twice_is_refused() {
        let two_zones = format!("{VALID}\n[[zones]]\nname = \"again\"\ncountries = [\"US\"]\n");
        assert!(Rules::parse(&two_zones).is_err());
        let twice = format!(
            "{VALID}\n[[options]]\ncode = \"standard\"\nname = \"Again\"\n\
             rates = [{{ zone = \"domestic\", base = 1, per_kg = 1, min_days = 1, max_days = 1 }}]\n"
        );
        let error = Rules::parse(&twice).expect_err("an option twice");
        assert!(error.to_string().contains("defined twice"), "{error}");
    }
}

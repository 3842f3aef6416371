//! Postal addresses as every service takes them (an order's shipping
//! address, a shipping quote's, a customer's saved ones): each part
//! trimmed and bounded, the country an upper-case ISO 3166-1 alpha-2 code.
//! One check, so an address saved in the gateway, quoted by fulfilment and
//! ordered by orders compares equal after the same normalisation.

use contracts::common;

use crate::{error::Violations, values::text};

/// A postal address, every part checked (see [`check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostalAddress {
    pub recipient: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country_code: String,
}

/// An ISO 3166-1 alpha-2 country code: two upper-case letters.
pub fn country_code(raw: &str) -> Result<String, String> {
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(raw.to_owned())
    } else {
        Err("must be an ISO 3166-1 alpha-2 code in upper case, e.g. US".into())
    }
}

/// Checks the address at `field` (violations are named `field.recipient`,
/// ...), as the contract's `shop.common.v1.Address` documents: recipient
/// 1 to 100 characters, line1 1 to 200, line2 up to 200, city 1 to 100,
/// region up to 100, postal code 1 to 20, each trimmed and free of control
/// characters; the country code as [`country_code`] says.
pub fn check(v: &mut Violations, field: &str, a: &common::Address) -> Option<PostalAddress> {
    let at = |name: &str| format!("{field}.{name}");
    let recipient = v.check(&at("recipient"), text(&a.recipient, 1, 100, false));
    let line1 = v.check(&at("line1"), text(&a.line1, 1, 200, false));
    let line2 = v.check(&at("line2"), text(&a.line2, 0, 200, false));
    let city = v.check(&at("city"), text(&a.city, 1, 100, false));
    let region = v.check(&at("region"), text(&a.region, 0, 100, false));
    let postal_code = v.check(&at("postal_code"), text(&a.postal_code, 1, 20, false));
    let country_code = v.check(&at("country_code"), country_code(&a.country_code));
    Some(PostalAddress {
        recipient: recipient?,
        line1: line1?,
        line2: line2?,
        city: city?,
        region: region?,
        postal_code: postal_code?,
        country_code: country_code?,
    })
}

/// Checks the address at `field`, which is required: a missing one is a
/// violation of `field` itself.
pub fn required(
    v: &mut Violations,
    field: &str,
    address: Option<&common::Address>,
) -> Option<PostalAddress> {
    let Some(a) = address else {
        v.add(field, "is required");
        return None;
    };
    check(v, field, a)
}

impl From<PostalAddress> for common::Address {
    fn from(a: PostalAddress) -> Self {
        Self {
            recipient: a.recipient,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country_code: a.country_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> common::Address {
        common::Address {
            recipient: " Ada Lovelace ".into(),
            line1: "12 Analytical Row".into(),
            line2: String::new(),
            city: "London".into(),
            region: String::new(),
            postal_code: "N1 9GU".into(),
            country_code: "GB".into(),
        }
    }

    fn fields(v: Violations) -> Vec<String> {
        v.finish(|| None::<()>)
            .expect_err("violations")
            .0
            .into_iter()
            .map(|f| f.field)
            .collect()
    }

    #[test]
    fn a_valid_address_comes_back_trimmed() {
        let mut v = Violations::default();
        let checked = check(&mut v, "address", &valid()).expect("valid");
        assert_eq!(checked.recipient, "Ada Lovelace");
        assert_eq!(common::Address::from(checked).country_code, "GB");
    }

    #[test]
    fn every_bad_part_is_named_under_its_field() {
        let bad = common::Address {
            recipient: " ".into(),
            line1: "x".repeat(201),
            line2: "a\u{0}b".into(),
            city: String::new(),
            region: "r".repeat(101),
            postal_code: "1".repeat(21),
            country_code: "gb".into(),
        };
        let mut v = Violations::default();
        assert!(check(&mut v, "shipping_address", &bad).is_none());
        assert_eq!(
            fields(v),
            [
                "shipping_address.recipient",
                "shipping_address.line1",
                "shipping_address.line2",
                "shipping_address.city",
                "shipping_address.region",
                "shipping_address.postal_code",
                "shipping_address.country_code",
            ]
        );
    }

    #[test]
    fn a_missing_required_address_names_the_field() {
        let mut v = Violations::default();
        assert!(required(&mut v, "address", None).is_none());
        assert_eq!(fields(v), ["address"]);
    }

    #[test]
    fn country_codes_are_two_upper_case_letters() {
        assert!(country_code("US").is_ok());
        for bad in ["", "us", "USA", "U1", "ÜS"] {
            assert!(country_code(bad).is_err(), "{bad:?}");
        }
    }
}

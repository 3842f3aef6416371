//! How the rules price a parcel: zones, weights (started kilograms, the
//! default weight), the free-shipping threshold, and the refusals.

use time::macros::datetime;

use super::*;

const NOW: OffsetDateTime = datetime!(2026-11-27 10:00 UTC);

const RULES: &str = r#"
    currency = "USD"
    default_weight_grams = 500
    [free_shipping]
    threshold = 5000
    options = ["standard"]
    [[zones]]
    name = "domestic"
    countries = ["US"]
    [[zones]]
    name = "europe"
    countries = ["DE", "FR"]
    [[options]]
    code = "standard"
    name = "Standard"
    rates = [
        { zone = "domestic", base = 500, per_kg = 100, min_days = 3, max_days = 5 },
        { zone = "europe", base = 1500, per_kg = 400, min_days = 7, max_days = 14 },
    ]
    [[options]]
    code = "express"
    name = "Express"
    rates = [{ zone = "domestic", base = 1500, per_kg = 200, min_days = 1, max_days = 1 }]
    [[options]]
    code = "courier"
    name = "Courier"
    rates = [{ zone = "europe", base = 900, per_kg = 0, min_days = 2, max_days = 3 }]
"#;

fn rules() -> Rules {
    Rules::parse(RULES).expect("the test rules")
}

/// A USD line: unit price, quantity, unit weight.
fn line(unit_price_minor: i64, quantity: i64, weight_grams: i64) -> PricedLine {
    PricedLine {
        currency: "USD".into(),
        unit_price_minor,
        quantity,
        weight_grams,
    }
}

/// What a case says, where to, the parcel, its weight, and the options
/// expected (code, price), in order.
type Case = (
    &'static str,
    &'static str,
    Vec<PricedLine>,
    i64,
    Vec<(&'static str, i64)>,
);

#[test]
fn parcels_are_priced_by_zone_weight_and_value_cheapest_first() {
    let cases: Vec<Case> = vec![
        (
            "light, domestic",
            "US",
            vec![line(1000, 1, 200)],
            200,
            vec![("standard", 600), ("express", 1700)],
        ),
        (
            "exactly a kilogram",
            "US",
            vec![line(1000, 1, 1000)],
            1000,
            vec![("standard", 600), ("express", 1700)],
        ),
        (
            "a gram over a kilogram starts the second",
            "US",
            vec![line(1000, 1, 1001)],
            1001,
            vec![("standard", 700), ("express", 1900)],
        ),
        (
            "unknown weights count the default per unit",
            "US",
            vec![line(1000, 2, 0)],
            1000,
            vec![("standard", 600), ("express", 1700)],
        ),
        (
            "lines add up, known and default weights",
            "US",
            vec![line(1000, 3, 400), line(500, 2, 0)],
            2200,
            vec![("standard", 800), ("express", 2100)],
        ),
        (
            "value exactly at the threshold ships free",
            "US",
            vec![line(5000, 1, 200)],
            200,
            vec![("standard", 0), ("express", 1700)],
        ),
        (
            "value just under the threshold pays",
            "US",
            vec![line(4999, 1, 200)],
            200,
            vec![("standard", 600), ("express", 1700)],
        ),
        (
            "value over the threshold, from quantities",
            "US",
            vec![line(2600, 2, 200)],
            400,
            vec![("standard", 0), ("express", 1700)],
        ),
        (
            "another zone has its own options and rates",
            "DE",
            vec![line(1000, 1, 200)],
            200,
            vec![("courier", 900), ("standard", 1900)],
        ),
        (
            "heavy to another zone",
            "FR",
            vec![line(1000, 1, 3000)],
            3000,
            vec![("courier", 900), ("standard", 2700)],
        ),
    ];
    let rules = rules();
    for (what, country, lines, weight, expected) in cases {
        let offers = rules.offers(country, &lines, NOW).expect(what);
        assert_eq!(offers.weight_grams, weight, "{what}");
        let got: Vec<(&str, i64)> = offers
            .options
            .iter()
            .map(|o| (o.code.as_str(), o.price.minor()))
            .collect();
        assert_eq!(got, expected, "{what}");
        assert!(
            offers
                .options
                .iter()
                .all(|o| o.price.currency().as_str() == "USD"),
            "{what}"
        );
    }
}

#[test]
fn each_option_says_its_days_and_when_it_arrives() {
    let offers = rules()
        .offers("US", &[line(1000, 1, 200)], NOW)
        .expect("offers");
    let standard = &offers.options[0];
    assert_eq!(standard.name, "Standard (3-5 days)");
    assert_eq!(standard.earliest_delivery, datetime!(2026-11-30 10:00 UTC));
    assert_eq!(standard.latest_delivery, datetime!(2026-12-02 10:00 UTC));
    let express = &offers.options[1];
    assert_eq!(express.name, "Express (1 day)");
    assert_eq!(express.earliest_delivery, datetime!(2026-11-28 10:00 UTC));
}

#[test]
fn a_country_in_no_zone_is_not_served() {
    assert_eq!(
        rules().offers("JP", &[line(1000, 1, 200)], NOW),
        Err(Unquotable::NotServed("JP".into()))
    );
}

#[test]
fn lines_in_another_currency_are_refused() {
    let mut euro = line(1000, 1, 200);
    euro.currency = "EUR".into();
    for lines in [vec![euro.clone()], vec![line(1000, 1, 200), euro]] {
        assert_eq!(
            rules().offers("US", &lines, NOW),
            Err(Unquotable::CurrencyMismatch {
                rules: Currency::parse("USD").expect("USD"),
                lines: "EUR".into()
            })
        );
    }
}

#[test]
fn started_kilograms_round_up() {
    assert_eq!(started_kilograms(1), 1);
    assert_eq!(started_kilograms(999), 1);
    assert_eq!(started_kilograms(1000), 1);
    assert_eq!(started_kilograms(1001), 2);
    assert_eq!(started_kilograms(50_000_000_000), 50_000_000);
}

//! GetShippingQuote: a parcel priced by the built-in shipping rules from the
//! catalog's prices and weights (London is in the "europe" zone: standard
//! 14.99 + 4.00 a started kilogram in 7 to 14 days, express 34.99 + 8.00 in
//! 3 to 5; standard is free from 50.00 of goods; 500 g a unit of unknown
//! weight), and what it refuses.

use std::time::Duration;

use contracts::catalog as catalog_proto;
use tonic::Code;

use crate::helpers::{
    TestApp, address, address_in, expect_code, info, minor, quote_request, reason, seconds,
    violated_fields,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_quote_lists_the_options_for_the_address_cheapest_first_with_estimates() {
    let app = TestApp::spawn().await;
    let kettle = app.product(1000, 600).await;
    let now = app.clock.now().unix_timestamp();

    let quote = app
        .quote_for("user-1", address(), &[(&kettle, 2)])
        .await
        .expect("a quote");

    assert!(uuid::Uuid::parse_str(&quote.id).is_ok());
    assert_eq!(quote.weight_grams, 1200);
    let options: Vec<(&str, i64)> = quote
        .options
        .iter()
        .map(|o| (o.code.as_str(), minor(&o.price)))
        .collect();
    // 1200 g is two started kilograms.
    assert_eq!(
        options,
        [("standard", 1499 + 800), ("express", 3499 + 1600)]
    );
    let standard = &quote.options[0];
    assert_eq!(standard.name, "Standard (7-14 days)");
    assert_eq!(
        standard.price.as_ref().map(|p| p.currency_code.as_str()),
        Some("USD")
    );
    let day = 24 * 60 * 60;
    assert_eq!(
        seconds(standard.earliest_delivery_time.as_ref()),
        now + 7 * day
    );
    assert_eq!(
        seconds(standard.latest_delivery_time.as_ref()),
        now + 14 * day
    );
    assert_eq!(seconds(quote.expire_time.as_ref()), now + 30 * 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_zone_has_its_own_prices() {
    let app = TestApp::spawn().await;
    let mug = app.product(1800, 400).await;
    let quote = app
        .quote_for("user-1", address_in("US"), &[(&mug, 1)])
        .await
        .expect("a quote");
    let prices: Vec<i64> = quote.options.iter().map(|o| minor(&o.price)).collect();
    assert_eq!(prices, [499 + 100, 1499 + 200]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_of_unknown_weight_counts_the_default_weight() {
    let app = TestApp::spawn().await;
    let unweighed = app.product(1000, 0).await;
    let quote = app
        .quote_for("user-1", address(), &[(&unweighed, 3)])
        .await
        .expect("a quote");
    assert_eq!(quote.weight_grams, 1500);
    assert_eq!(minor(&quote.options[0].price), 1499 + 2 * 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_shipping_is_free_from_fifty_dollars_of_goods() {
    let app = TestApp::spawn().await;
    let at_threshold = app.product(2500, 300).await;
    let just_under = app.product(4999, 300).await;

    let free = app
        .quote_for("user-1", address(), &[(&at_threshold, 2)])
        .await
        .expect("a quote");
    let options: Vec<(&str, i64)> = free
        .options
        .iter()
        .map(|o| (o.code.as_str(), minor(&o.price)))
        .collect();
    assert_eq!(options, [("standard", 0), ("express", 3499 + 800)]);

    let paid = app
        .quote_for("user-1", address(), &[(&just_under, 1)])
        .await
        .expect("a quote");
    assert_eq!(minor(&paid.options[0].price), 1499 + 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_country_outside_every_zone_is_not_served() {
    let app = TestApp::spawn().await;
    let mug = app.product(1800, 400).await;
    let refused = expect_code(
        app.quote_for("user-1", address_in("JP"), &[(&mug, 1)])
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "DESTINATION_NOT_SERVED");
    assert_eq!(info(&refused, "country_code"), "JP");
}

#[tokio::test(flavor = "multi_thread")]
async fn products_priced_in_another_currency_are_refused() {
    let app = TestApp::spawn().await;
    let request = catalog_proto::CreateProductRequest {
        product: Some(catalog_proto::Product {
            name: "Euro mug".into(),
            category: "general".into(),
            price: Some(contracts::common::Money {
                currency_code: "EUR".into(),
                amount_minor: 1500,
            }),
            ..Default::default()
        }),
        initial_stock: 1,
    };
    let euro = app
        .catalog
        .clone()
        .create_product(app.as_admin(request))
        .await
        .expect("a product")
        .into_inner()
        .id;
    let refused = expect_code(
        app.quote_for("user-1", address(), &[(&euro, 1)]).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "CURRENCY_MISMATCH");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_product_is_not_found_by_id() {
    let app = TestApp::spawn().await;
    let mug = app.product(1800, 400).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let refused = expect_code(
        app.quote_for("user-1", address(), &[(&mug, 1), (&unknown, 1)])
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&refused), "PRODUCT_NOT_FOUND");
    assert_eq!(info(&refused, "product_ids"), unknown);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_lines_and_addresses_are_invalid_naming_each_field() {
    let app = TestApp::spawn().await;
    let mug = app.product(1800, 400).await;
    let other = app.product(900, 100).await;

    let ids: Vec<String> = (0..51).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let many: Vec<(&str, i64)> = ids.iter().map(|id| (id.as_str(), 1)).collect();
    let refused = expect_code(
        app.quote_for("user-1", address(), &many).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["lines"]);

    let refused = expect_code(
        app.quote_for("user-1", address(), &[]).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["lines"]);

    let refused = expect_code(
        app.quote_for("user-1", address(), &[(&mug, 1), (&mug, 2)])
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["lines[1].product_id"]);

    let refused = expect_code(
        app.quote_for("user-1", address(), &[(&mug, 0), (&other, 1001), ("x", 1)])
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&refused),
        [
            "lines[0].quantity",
            "lines[1].quantity",
            "lines[2].product_id"
        ]
    );

    let blank = contracts::common::Address {
        recipient: " ".into(),
        line1: String::new(),
        city: String::new(),
        postal_code: String::new(),
        country_code: "gb".into(),
        ..address()
    };
    let refused = expect_code(
        app.quote_for("user-1", blank, &[(&mug, 1)]).await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&refused),
        [
            "address.recipient",
            "address.line1",
            "address.city",
            "address.postal_code",
            "address.country_code"
        ]
    );

    let mut no_address = quote_request(address(), &[(&mug, 1)]);
    no_address.address = None;
    let refused = expect_code(
        app.try_quote(app.as_customer("user-1", no_address)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["address"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn quotes_are_for_signed_in_users() {
    let app = TestApp::spawn().await;
    let mug = app.product(1800, 400).await;
    let request = || quote_request(address(), &[(&mug, 1)]);
    expect_code(
        app.try_quote(tonic::Request::new(request())).await,
        Code::Unauthenticated,
    );
    app.try_quote(app.as_admin(request()))
        .await
        .expect("admins may quote too");
    expect_code(
        app.try_quote(app.as_orders("user-1", request())).await,
        Code::PermissionDenied,
    );
}

/// The catalog down: quoting is UNAVAILABLE, for the caller to retry.
#[tokio::test(flavor = "multi_thread")]
async fn without_the_catalog_quoting_is_unavailable() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let closed = unused.local_addr().expect("an address");
    drop(unused);
    let app = TestApp::spawn_with(|config| {
        config.catalog_url = format!("http://{closed}");
        config.call_timeout = Duration::from_secs(2);
    })
    .await;
    let product = uuid::Uuid::now_v7().to_string();
    let refused = expect_code(
        app.quote_for("user-1", address(), &[(&product, 1)]).await,
        Code::Unavailable,
    );
    assert_eq!(reason(&refused), "DEPENDENCY_UNAVAILABLE");
    assert_eq!(info(&refused, "service"), "catalog");
}

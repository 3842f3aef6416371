//! CheckShippingQuote, as the orders service asks it while placing an
//! order: the chosen option of the user's own, unexpired quote, made for
//! exactly the order's lines (in any order) and address.

use std::time::Duration;

use contracts::fulfilment as proto;
use tonic::Code;

use crate::helpers::{
    TestApp, address, eventually, expect_code, minor, reason, shipping_lines, violated_fields,
};

/// A quote of `user-1` for two products to the test address, and the
/// products' ids.
async fn quoted(app: &TestApp) -> (proto::ShippingQuote, String, String) {
    let kettle = app.product(7900, 1300).await;
    let mug = app.product(1800, 400).await;
    let quote = app
        .quote_for("user-1", address(), &[(&kettle, 1), (&mug, 2)])
        .await
        .expect("a quote");
    (quote, kettle, mug)
}

fn check_request(
    quote: &proto::ShippingQuote,
    option_code: &str,
    lines: &[(&str, i64)],
) -> proto::CheckShippingQuoteRequest {
    proto::CheckShippingQuoteRequest {
        quote_id: quote.id.clone(),
        option_code: option_code.to_owned(),
        address: Some(address()),
        lines: shipping_lines(lines),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_lines_in_another_order_get_the_chosen_option_as_often_as_asked() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let request = check_request(&quote, "express", &[(&mug, 2), (&kettle, 1)]);
    for _ in 0..3 {
        let option = app
            .check("user-1", request.clone())
            .await
            .expect("the option");
        assert_eq!(option, quote.options[1]);
        assert_eq!(option.code, "express");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_address_is_compared_after_the_same_trimming_as_when_quoted() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let mut request = check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2)]);
    if let Some(a) = request.address.as_mut() {
        a.recipient = format!("  {}  ", a.recipient);
    }
    let option = app.check("user-1", request).await.expect("the option");
    assert_eq!(minor(&option.price), minor(&quote.options[0].price));
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_quote_or_an_unknown_one_is_not_found() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let request = check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2)]);
    let refused = expect_code(app.check("user-2", request.clone()).await, Code::NotFound);
    assert_eq!(reason(&refused), "SHIPPING_QUOTE_NOT_FOUND");

    let unknown = proto::CheckShippingQuoteRequest {
        quote_id: uuid::Uuid::now_v7().to_string(),
        ..request
    };
    expect_code(app.check("user-1", unknown).await, Code::NotFound);
}

#[tokio::test(flavor = "multi_thread")]
async fn other_quantities_lines_or_address_are_a_mismatch() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let other = app.product(500, 100).await;
    let mismatched = [
        check_request(&quote, "standard", &[(&kettle, 1), (&mug, 3)]),
        check_request(&quote, "standard", &[(&kettle, 1)]),
        check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2), (&other, 1)]),
        proto::CheckShippingQuoteRequest {
            address: Some(contracts::common::Address {
                postal_code: "N1 9GV".into(),
                ..address()
            }),
            ..check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2)])
        },
    ];
    for request in mismatched {
        let refused = expect_code(app.check("user-1", request).await, Code::FailedPrecondition);
        assert_eq!(reason(&refused), "SHIPPING_QUOTE_MISMATCH");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_option_the_quote_does_not_have_is_unknown() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let refused = expect_code(
        app.check(
            "user-1",
            check_request(&quote, "overnight", &[(&kettle, 1), (&mug, 2)]),
        )
        .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "SHIPPING_OPTION_UNKNOWN");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quote_expires_after_thirty_minutes() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let request = check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2)]);

    app.wait(Duration::from_secs(29 * 60));
    app.check("user-1", request.clone())
        .await
        .expect("still good");
    app.wait(Duration::from_secs(60));
    let refused = expect_code(
        app.check("user-1", request.clone()).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "SHIPPING_QUOTE_EXPIRED");
    // Still "expired", not "not found", long after.
    app.wait(Duration::from_secs(12 * 60 * 60));
    let refused = expect_code(app.check("user-1", request).await, Code::FailedPrecondition);
    assert_eq!(reason(&refused), "SHIPPING_QUOTE_EXPIRED");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_quotes_are_swept_away_after_a_grace_period() {
    let app = TestApp::spawn_with(|config| {
        config.quote_grace = Duration::from_secs(60 * 60);
        config.quote_sweep_interval = Duration::from_millis(50);
    })
    .await;
    let (quote, kettle, mug) = quoted(&app).await;
    let request = check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2)]);
    app.wait(Duration::from_secs(31 * 60));
    let refused = expect_code(
        app.check("user-1", request.clone()).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "SHIPPING_QUOTE_EXPIRED");

    app.wait(Duration::from_secs(60 * 60));
    eventually("the expired quote is swept away", || async {
        app.check("user-1", request.clone())
            .await
            .is_err_and(|status| status.code() == Code::NotFound)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_orders_service_checks_quotes() {
    let app = TestApp::spawn().await;
    let (quote, kettle, mug) = quoted(&app).await;
    let request = check_request(&quote, "standard", &[(&kettle, 1), (&mug, 2)]);
    let mut client = app.client.clone();
    expect_code(
        client
            .check_shipping_quote(app.as_customer("user-1", request.clone()))
            .await,
        Code::PermissionDenied,
    );
    expect_code(
        client
            .check_shipping_quote(app.as_admin(request.clone()))
            .await,
        Code::PermissionDenied,
    );
    expect_code(
        client
            .check_shipping_quote(tonic::Request::new(request))
            .await,
        Code::Unauthenticated,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_with_bad_fields_is_invalid() {
    let app = TestApp::spawn().await;
    let request = proto::CheckShippingQuoteRequest {
        quote_id: "nope".into(),
        option_code: String::new(),
        address: None,
        lines: vec![],
    };
    let refused = expect_code(app.check("user-1", request).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["quote_id", "option_code", "address", "lines"]
    );
}

//! Checking out a cart, with the orders service out of reach (its outcomes
//! arrive as the events a test hands over): what is refused before any
//! order is placed, and how an order's outcome changes the cart: the
//! ordered lines leave it once the order is confirmed, however often the
//! event comes; a failed order leaves the lines and moves the version on.
//! The whole path, with a real orders service, is in the shop's e2e tests.

use platform::events::types;
use tonic::{Code, Request};

use crate::helpers::{
    TestApp, expect_code, line, order_event, order_from, reason, violated_fields,
};
use contracts::cart::{self as proto, cart_service_client::CartServiceClient};

#[tokio::test]
async fn checking_out_needs_a_signed_in_customer_an_etag_and_something_to_buy() {
    let app = TestApp::spawn().await;
    let mut mug = app.product("Blue Mug", 1250).await;

    let anonymous = proto::CheckoutCartRequest {
        etag: "v1".into(),
        payment_method: Some(platform::testing::card("4242424242424242")),
        ..Default::default()
    };
    let refused = CartServiceClient::clone(&app.client)
        .checkout_cart(Request::new(anonymous))
        .await;
    expect_code(refused, Code::Unauthenticated);

    let refused = app.checkout("ada", "v1").await;
    expect_code(refused, Code::NotFound);

    app.customer_adds("ada", "", &mug, 1).await.expect("a cart");
    let refused = expect_code(app.checkout("ada", "").await, Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["etag"]);

    let stale = expect_code(app.checkout("ada", "v0").await, Code::Aborted);
    assert_eq!(reason(&stale), "ETAG_MISMATCH");

    app.deliver([mug.deleted()]).await;
    let cart = app.cart_of("ada").await;
    assert!(line(&cart, &mug).unavailable);
    let unavailable = expect_code(
        app.checkout("ada", &cart.etag).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&unavailable), "CART_LINES_UNAVAILABLE");
    assert!(
        unavailable.message().contains("remove them"),
        "{unavailable:?}"
    );

    let emptied = app
        .client
        .clone()
        .clear_cart(app.as_customer(
            "ada",
            proto::ClearCartRequest {
                etag: cart.etag.clone(),
                request_id: "clear-1".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("cleared")
        .into_inner();
    let empty = expect_code(
        app.checkout("ada", &emptied.etag).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&empty), "CART_EMPTY");
}

#[tokio::test]
async fn with_the_orders_service_down_checkout_says_try_again_and_the_cart_is_untouched() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let cart = app.customer_adds("ada", "", &mug, 2).await.expect("a cart");

    let refused = expect_code(app.checkout("ada", &cart.etag).await, Code::Unavailable);
    assert_eq!(reason(&refused), "DEPENDENCY_UNAVAILABLE");
    assert!(!refused.message().contains("127.0.0.1"), "{refused:?}");
    let after = app.cart_of("ada").await;
    assert_eq!(after.etag, cart.etag);
    assert_eq!(line(&after, &mug).quantity, 2);
}

#[tokio::test]
async fn a_confirmed_order_takes_its_lines_out_of_the_cart_once_however_often_its_event_comes() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;
    let cart = app.customer_adds("ada", "", &mug, 2).await.expect("a cart");
    let cart = app
        .customer_adds("ada", &cart.etag, &tea, 1)
        .await
        .expect("tea");
    // The checkout is recorded before the orders service is called (here
    // it is down, as if the call was lost after the order was placed).
    expect_code(app.checkout("ada", &cart.etag).await, Code::Unavailable);
    let order = order_from(&cart, &[(&mug, 2), (&tea, 1)]);

    // Placed: nothing happens to the cart yet. The customer adds a mug.
    app.deliver([order_event(types::ORDER_PLACED, &order, 1)])
        .await;
    assert_eq!(app.cart_of("ada").await.etag, cart.etag);
    let more = app
        .customer_adds("ada", &cart.etag, &mug, 1)
        .await
        .expect("one more mug, after checking out");

    let confirmed = order_event(types::ORDER_CONFIRMED, &order, 2);
    app.deliver([confirmed.clone()]).await;
    let after = app.cart_of("ada").await;
    assert_eq!(after.lines.len(), 1, "{after:?}");
    assert_eq!(line(&after, &mug).quantity, 1, "the mug added since stays");
    assert_ne!(after.etag, more.etag);

    // The same event again, and the same outcome under another event id
    // (a producer that published it twice): applied once.
    app.deliver([confirmed]).await;
    app.deliver([order_event(types::ORDER_CONFIRMED, &order, 2)])
        .await;
    let again = app.cart_of("ada").await;
    assert_eq!(again.etag, after.etag);
    assert_eq!(line(&again, &mug).quantity, 1);
}

#[tokio::test]
async fn a_failed_order_leaves_the_cart_as_it_was_at_a_new_version() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let cart = app.customer_adds("ada", "", &mug, 2).await.expect("a cart");
    expect_code(app.checkout("ada", &cart.etag).await, Code::Unavailable);
    let order = order_from(&cart, &[(&mug, 2)]);

    app.deliver([order_event(types::ORDER_FAILED, &order, 2)])
        .await;
    let after = app.cart_of("ada").await;
    assert_eq!(
        line(&after, &mug).quantity,
        2,
        "a declined payment costs no line"
    );
    assert_ne!(
        after.etag, cart.etag,
        "a new version: checking out again is a new order"
    );

    // A confirmation arriving after the failure (it cannot, but events
    // are only ordered per order) changes nothing more.
    app.deliver([order_event(types::ORDER_CONFIRMED, &order, 3)])
        .await;
    assert_eq!(app.cart_of("ada").await, after);
}

#[tokio::test]
async fn orders_not_placed_from_a_cart_change_no_cart() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let cart = app.customer_adds("ada", "", &mug, 2).await.expect("a cart");
    // The same cart, but no checkout was made: an order whose request id
    // merely looks like one of the cart's.
    let order = order_from(&cart, &[(&mug, 2)]);
    app.deliver([order_event(types::ORDER_CONFIRMED, &order, 2)])
        .await;
    assert_eq!(app.cart_of("ada").await, cart);
}

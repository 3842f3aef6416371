//! The catalog's changes in the cart: a new price marks the line with the
//! price the customer saw; a deletion marks it unavailable; a late, older
//! event changes nothing.

use tonic::Code;

use crate::helpers::{TestApp, expect_code, line, reason};

#[tokio::test]
async fn a_price_change_in_the_catalog_shows_in_the_cart_with_the_price_before() {
    let app = TestApp::spawn().await;
    let mut mug = app.product("Blue Mug", 1250).await;
    let before = app.customer_adds("ada", "", &mug, 2).await.expect("a cart");

    app.deliver([mug.repriced(1250, 1400)]).await;
    let cart = app.cart_of("ada").await;
    let mug_line = line(&cart, &mug);
    assert!(mug_line.price_changed);
    assert_eq!(
        mug_line.unit_price.as_ref().map(|m| m.amount_minor),
        Some(1400)
    );
    assert_eq!(
        mug_line
            .previous_unit_price
            .as_ref()
            .map(|m| m.amount_minor),
        Some(1250)
    );
    assert_ne!(
        cart.etag, before.etag,
        "a client holding the old etag reads the change first"
    );

    let acknowledged = app
        .customer_adds("ada", &cart.etag, &mug, 1)
        .await
        .expect("one more");
    assert!(
        !line(&acknowledged, &mug).price_changed,
        "changing the line acknowledges the price"
    );
}

#[tokio::test]
async fn a_deletion_in_the_catalog_marks_the_line_unavailable_and_it_cannot_be_added() {
    let app = TestApp::spawn().await;
    let mut mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;
    let cart = app.customer_adds("ada", "", &mug, 2).await.expect("a cart");
    app.customer_adds("ada", &cart.etag, &tea, 1)
        .await
        .expect("tea");

    app.deliver([mug.deleted()]).await;
    let cart = app.cart_of("ada").await;
    assert!(line(&cart, &mug).unavailable);
    assert!(!line(&cart, &tea).unavailable);

    let refused = expect_code(
        app.customer_adds("ada", &cart.etag, &mug, 1).await,
        Code::NotFound,
    );
    assert_eq!(reason(&refused), "PRODUCT_NOT_FOUND");
}

#[tokio::test]
async fn an_older_event_arriving_late_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut mug = app.product("Blue Mug", 1250).await;
    app.customer_adds("ada", "", &mug, 1).await.expect("a cart");
    let older = mug.repriced(1250, 1300);
    let newer = mug.repriced(1300, 1500);

    app.deliver([newer]).await;
    app.deliver([older]).await;
    let cart = app.cart_of("ada").await;
    assert_eq!(
        line(&cart, &mug)
            .unit_price
            .as_ref()
            .map(|m| m.amount_minor),
        Some(1500)
    );
}

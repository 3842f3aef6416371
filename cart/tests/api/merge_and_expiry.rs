//! An anonymous cart merged into the customer's at sign-in, once; idle
//! carts deleted by the sweeper.

use contracts::cart as proto;
use tonic::{Code, Request};

use crate::helpers::{IDLE, TestApp, add_item, expect_code, line};

#[tokio::test]
async fn signing_in_merges_the_anonymous_cart_into_the_customers_once() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;
    let mine = app
        .customer_adds("ada", "", &mug, 1)
        .await
        .expect("ada's cart");
    let anonymous = app
        .add(Request::new(add_item("", "", &mug, 2)))
        .await
        .expect("an anonymous cart");
    let anonymous = app
        .add(Request::new(add_item(
            &anonymous.id,
            &anonymous.etag,
            &tea,
            1,
        )))
        .await
        .expect("tea too");

    let merge = proto::MergeCartRequest {
        anonymous_cart_id: anonymous.id.clone(),
    };
    let merged = app
        .client
        .clone()
        .merge_cart(app.as_customer("ada", merge.clone()))
        .await
        .expect("merged")
        .into_inner();
    let cart = merged.cart.expect("the customer's cart");
    assert_eq!(cart.id, mine.id);
    assert_eq!(line(&cart, &mug).quantity, 3, "quantities added");
    assert_eq!(line(&cart, &tea).quantity, 1);
    assert!(merged.capped_product_ids.is_empty() && merged.dropped_product_ids.is_empty());

    let again = app
        .client
        .clone()
        .merge_cart(app.as_customer("ada", merge))
        .await
        .expect("merging again is harmless")
        .into_inner();
    assert_eq!(again.cart, Some(cart));
    let gone = proto::GetCartRequest {
        cart_id: anonymous.id,
    };
    expect_code(app.get(Request::new(gone)).await, Code::NotFound);
}

#[tokio::test]
async fn merging_needs_a_signed_in_customer() {
    let app = TestApp::spawn().await;
    let merge = proto::MergeCartRequest {
        anonymous_cart_id: uuid::Uuid::new_v4().to_string(),
    };
    expect_code(
        app.client.clone().merge_cart(Request::new(merge)).await,
        Code::Unauthenticated,
    );
}

#[tokio::test]
async fn the_sweeper_deletes_carts_idle_past_their_expiry_and_no_others() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let idle = app
        .add(Request::new(add_item("", "", &mug, 1)))
        .await
        .expect("an idle cart");
    let expire = idle
        .expire_time
        .and_then(|t| contracts::timestamp::to_datetime(&t));
    assert_eq!(
        expire,
        Some(app.clock.now() + IDLE),
        "expiry is documented: 30 days idle"
    );

    app.clock.advance(IDLE / 2);
    let busy = app
        .customer_adds("ada", "", &mug, 1)
        .await
        .expect("a busy cart");
    app.clock.advance(IDLE / 2);

    let idle_read = proto::GetCartRequest {
        cart_id: idle.id.clone(),
    };
    crate::helpers::eventually_gone(&app, idle_read).await;
    assert_eq!(
        app.cart_of("ada").await,
        busy,
        "a cart changed within the idle time stays"
    );
}

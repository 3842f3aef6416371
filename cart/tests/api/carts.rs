//! Filling a cart: etags against lost updates, request ids against double
//! application, limits refused by name, and carts nobody else can see.

use contracts::cart as proto;
use tonic::Code;

use crate::helpers::{TestApp, add_item, expect_code, line, reason, violated_fields};

#[tokio::test]
async fn a_customer_fills_a_cart_on_one_device_and_reads_it_on_another() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;

    let empty = app.cart_of("ada").await;
    assert!(empty.id.is_empty() && empty.etag.is_empty() && empty.lines.is_empty());
    let cart = app
        .customer_adds("ada", "", &mug, 2)
        .await
        .expect("the first item");
    let cart = app
        .customer_adds("ada", &cart.etag, &tea, 1)
        .await
        .expect("a second item");

    let elsewhere = app.cart_of("ada").await;
    assert_eq!(elsewhere, cart);
    assert_eq!(elsewhere.user_id, "ada");
    assert_eq!(line(&elsewhere, &mug).quantity, 2);
    assert_eq!(line(&elsewhere, &mug).product_name, "Blue Mug");
    assert_eq!(
        line(&elsewhere, &tea)
            .unit_price
            .as_ref()
            .map(|m| m.amount_minor),
        Some(499)
    );
}

#[tokio::test]
async fn of_two_devices_writing_with_the_same_etag_exactly_one_wins_and_the_other_is_told() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;
    let cart = app.customer_adds("ada", "", &mug, 1).await.expect("a cart");

    let (phone, laptop) = tokio::join!(
        app.customer_adds("ada", &cart.etag, &mug, 1),
        app.customer_adds("ada", &cart.etag, &tea, 1),
    );
    let (won, lost) = match (phone, laptop) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one write must win: {other:?}"),
    };
    assert_eq!(lost.code(), Code::Aborted);
    assert_eq!(reason(&lost), "ETAG_MISMATCH");
    assert_eq!(
        app.cart_of("ada").await,
        won,
        "the winner's cart is the cart"
    );
}

#[tokio::test]
async fn a_write_with_a_stale_etag_changes_nothing() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let first = app.customer_adds("ada", "", &mug, 1).await.expect("a cart");
    let second = app
        .customer_adds("ada", &first.etag, &mug, 1)
        .await
        .expect("one more");

    let stale = expect_code(
        app.customer_adds("ada", &first.etag, &mug, 5).await,
        Code::Aborted,
    );
    assert_eq!(reason(&stale), "ETAG_MISMATCH");
    let no_etag = expect_code(app.customer_adds("ada", "", &mug, 5).await, Code::Aborted);
    assert_eq!(
        reason(&no_etag),
        "ETAG_MISMATCH",
        "an empty etag only creates a cart"
    );
    assert_eq!(app.cart_of("ada").await, second);
}

#[tokio::test]
async fn a_retried_write_with_the_same_request_id_is_applied_once() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let cart = app.customer_adds("ada", "", &mug, 1).await.expect("a cart");

    let request = add_item("", &cart.etag, &mug, 2);
    let first = app
        .add(app.as_customer("ada", request.clone()))
        .await
        .expect("applied");
    let retry = app
        .add(app.as_customer("ada", request.clone()))
        .await
        .expect("answered");
    assert_eq!(retry, first);
    assert_eq!(line(&retry, &mug).quantity, 3, "1 + 2, not 1 + 2 + 2");

    let other_content = proto::AddItemRequest {
        quantity: 5,
        ..request
    };
    let refused = expect_code(
        app.add(app.as_customer("ada", other_content)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["request_id"]);
}

#[tokio::test]
async fn a_retried_anonymous_first_write_returns_the_cart_it_created() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let request = add_item("", "", &mug, 1);
    let created = app
        .add(tonic::Request::new(request.clone()))
        .await
        .expect("a new cart");
    let retry = app
        .add(tonic::Request::new(request))
        .await
        .expect("the same cart");
    assert_eq!(retry, created);
    assert!(created.user_id.is_empty(), "anonymous");
}

#[tokio::test]
async fn limits_are_refused_naming_the_field_and_never_clamped() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;

    for quantity in [0, -1, 100] {
        let refused = expect_code(
            app.customer_adds("ada", "", &mug, quantity).await,
            Code::InvalidArgument,
        );
        assert_eq!(
            violated_fields(&refused),
            ["quantity"],
            "quantity {quantity}"
        );
        assert!(refused.message().contains("99"), "{}", refused.message());
    }
    let cart = app
        .customer_adds("ada", "", &mug, 90)
        .await
        .expect("90 mugs");
    let over = expect_code(
        app.customer_adds("ada", &cart.etag, &mug, 10).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&over), ["quantity"]);
    assert!(over.message().contains("at most 99"), "{}", over.message());

    let mut etag = cart.etag;
    for i in 1..cart::domain::MAX_LINES {
        let product = app.product(&format!("Product {i}"), 100).await;
        etag = app
            .customer_adds("ada", &etag, &product, 1)
            .await
            .expect("within the limit")
            .etag;
    }
    let one_too_many = app.product("One too many", 100).await;
    let refused = expect_code(
        app.customer_adds("ada", &etag, &one_too_many, 1).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["product_id"]);
    assert!(
        refused.message().contains("50 lines"),
        "{}",
        refused.message()
    );
    assert_eq!(app.cart_of("ada").await.lines.len(), 50);
    assert_eq!(line(&app.cart_of("ada").await, &mug).quantity, 90);
}

#[tokio::test]
async fn a_product_the_catalog_never_published_is_not_found() {
    let app = TestApp::spawn().await;
    let request = proto::AddItemRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        product_id: uuid::Uuid::now_v7().to_string(),
        quantity: 1,
        ..Default::default()
    };
    let refused = expect_code(
        app.add(app.as_customer("ada", request)).await,
        Code::NotFound,
    );
    assert_eq!(reason(&refused), "PRODUCT_NOT_FOUND");
}

#[tokio::test]
async fn quantities_are_set_and_lines_removed_and_the_cart_cleared() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;
    let cart = app.customer_adds("ada", "", &mug, 1).await.expect("a cart");
    let cart = app
        .customer_adds("ada", &cart.etag, &tea, 1)
        .await
        .expect("tea");
    let mut client = app.client.clone();

    let cart = client
        .set_quantity(app.as_customer(
            "ada",
            proto::SetQuantityRequest {
                etag: cart.etag,
                request_id: "set-1".into(),
                product_id: mug.id.clone(),
                quantity: 7,
                ..Default::default()
            },
        ))
        .await
        .expect("set")
        .into_inner();
    assert_eq!(line(&cart, &mug).quantity, 7);
    let cart = client
        .remove_item(app.as_customer(
            "ada",
            proto::RemoveItemRequest {
                etag: cart.etag,
                request_id: "remove-1".into(),
                product_id: tea.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("removed")
        .into_inner();
    assert_eq!(cart.lines.len(), 1);
    let cleared = client
        .clear_cart(app.as_customer(
            "ada",
            proto::ClearCartRequest {
                etag: cart.etag,
                request_id: "clear-1".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("cleared")
        .into_inner();
    assert!(cleared.lines.is_empty());
    assert_eq!(cleared.id, cart.id, "the cart itself remains");
}

#[tokio::test]
async fn another_customers_cart_is_invisible() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let adas = app
        .customer_adds("ada", "", &mug, 1)
        .await
        .expect("ada's cart");

    let by_id = proto::GetCartRequest {
        cart_id: adas.id.clone(),
    };
    let as_bob = expect_code(
        app.get(app.as_customer("bob", by_id.clone())).await,
        Code::NotFound,
    );
    assert_eq!(reason(&as_bob), "CART_NOT_FOUND");
    expect_code(app.get(tonic::Request::new(by_id)).await, Code::NotFound);
    assert!(
        app.cart_of("bob").await.lines.is_empty(),
        "bob has his own, empty cart"
    );

    let write = add_item(&adas.id, &adas.etag, &mug, 1);
    expect_code(
        app.add(app.as_customer("bob", write.clone())).await,
        Code::NotFound,
    );
    expect_code(app.add(tonic::Request::new(write)).await, Code::NotFound);
    assert_eq!(app.cart_of("ada").await, adas);
}

#[tokio::test]
async fn an_anonymous_cart_is_reached_by_its_id_and_a_bad_token_is_refused() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let cart = app
        .add(tonic::Request::new(add_item("", "", &mug, 2)))
        .await
        .expect("a cart");
    let read = app
        .get(tonic::Request::new(proto::GetCartRequest {
            cart_id: cart.id.clone(),
        }))
        .await
        .expect("read by its id");
    assert_eq!(read, cart);

    let forged = platform::testing::authorized(
        proto::GetCartRequest {
            cart_id: cart.id.clone(),
        },
        &app.auth.forged_token(),
    );
    expect_code(app.get(forged).await, Code::Unauthenticated);
    let unknown = proto::GetCartRequest {
        cart_id: uuid::Uuid::new_v4().to_string(),
    };
    expect_code(app.get(tonic::Request::new(unknown)).await, Code::NotFound);
}

#[tokio::test]
async fn of_two_devices_creating_a_customers_cart_at_once_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let tea = app.product("Green Tea", 499).await;

    let (phone, laptop) = tokio::join!(
        app.customer_adds("ada", "", &mug, 1),
        app.customer_adds("ada", "", &tea, 1),
    );
    let (won, lost) = match (phone, laptop) {
        (Ok(won), Err(lost)) | (Err(lost), Ok(won)) => (won, lost),
        other => panic!("exactly one cart must be created: {other:?}"),
    };
    assert_eq!(
        reason(&expect_code(Err::<(), _>(lost), Code::Aborted)),
        "ETAG_MISMATCH"
    );
    assert_eq!(app.cart_of("ada").await, won);
}

#[tokio::test]
async fn an_anonymous_write_creating_a_cart_needs_an_unguessable_request_id() {
    let app = TestApp::spawn().await;
    let mug = app.product("Blue Mug", 1250).await;
    let request = proto::AddItemRequest {
        request_id: "retry-1".into(),
        ..add_item("", "", &mug, 1)
    };
    let refused = expect_code(
        app.add(tonic::Request::new(request)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&refused), ["request_id"]);
}

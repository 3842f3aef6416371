//! A customer's whole visit, through the gateway only: register, log in,
//! browse, order, watch the order confirm, cancel it.

use contracts::{
    auth as auth_proto, catalog as catalog_proto,
    orders::{self as orders_proto, OrderStatus},
};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_log_in_browse_order_watch_and_cancel() {
    let shop = TestShop::spawn().await;
    let beans = shop.product("Kenya Coffee Beans", 1_450, 10).await;

    let (_, user_id) = shop.register("Ada@Example.com").await;
    let token = shop
        .login("ada@example.com", "correct horse battery")
        .await
        .expect("the normalised email logs in");
    let me = shop
        .auth
        .clone()
        .who_am_i(call(auth_proto::WhoAmIRequest {}, Some(&token)))
        .await
        .expect("who am i")
        .into_inner();
    assert_eq!(
        (me.id.as_str(), me.role()),
        (user_id.as_str(), auth_proto::Role::Customer)
    );

    let found = shop
        .catalog
        .clone()
        .list_products(catalog_proto::ListProductsRequest {
            query: "coffee".into(),
            ..Default::default()
        })
        .await
        .expect("browse")
        .into_inner();
    assert_eq!(found.products[0].id, beans);

    let placed = shop
        .orders
        .clone()
        .create_order(call(
            shop.quoted_order(&token, "visit-1", &beans, 2).await,
            Some(&token),
        ))
        .await
        .expect("order")
        .into_inner();
    assert_eq!(placed.status(), OrderStatus::Confirmed);
    assert_eq!(placed.user_id, user_id);

    let mut watch = shop
        .orders
        .clone()
        .watch_order(call(
            orders_proto::WatchOrderRequest {
                id: placed.id.clone(),
                after_sequence: 0,
            },
            Some(&token),
        ))
        .await
        .expect("watch")
        .into_inner();
    let mut story = Vec::new();
    while story.last() != Some(&OrderStatus::Confirmed) {
        let event = watch.message().await.expect("stream").expect("an event");
        story.push(event.status());
    }
    assert_eq!(
        story,
        [
            OrderStatus::Pending,
            OrderStatus::StockReserved,
            OrderStatus::Paid,
            OrderStatus::Confirmed
        ]
    );

    let cancelled = shop
        .orders
        .clone()
        .cancel_order(call(
            orders_proto::CancelOrderRequest {
                id: placed.id.clone(),
                reason: "changed my mind".into(),
            },
            Some(&token),
        ))
        .await
        .expect("cancel")
        .into_inner();
    assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    // The watch follows the order to its end.
    let mut rest = Vec::new();
    while let Some(event) = watch.message().await.expect("stream") {
        rest.push(event.status());
    }
    assert_eq!(rest, [OrderStatus::Cancelling, OrderStatus::Cancelled]);
    shop.stop().await;
}

#[tokio::test]
async fn login_gives_the_same_answer_for_an_unknown_email_and_a_wrong_password() {
    let shop = TestShop::spawn().await;
    shop.register("ada@example.com").await;
    let wrong_password = shop.login("ada@example.com", "not the password").await;
    let unknown = shop.login("nobody@example.com", "not the password").await;
    let (a, b) = (
        wrong_password.expect_err("refused"),
        unknown.expect_err("refused"),
    );
    assert_eq!((a.code(), a.message()), (b.code(), b.message()));
    assert_eq!(reason(&a), "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn registering_twice_or_weakly_is_refused_clearly() {
    let shop = TestShop::spawn().await;
    shop.register("ada@example.com").await;
    let again = shop
        .auth
        .clone()
        .register(auth_proto::RegisterRequest {
            email: " ADA@example.com".into(),
            password: "correct horse battery".into(),
            display_name: "Ada".into(),
        })
        .await
        .expect_err("taken");
    assert_eq!(reason(&again), "EMAIL_TAKEN");

    let weak = shop
        .auth
        .clone()
        .register(auth_proto::RegisterRequest {
            email: "bob@example.com".into(),
            password: "short".into(),
            display_name: String::new(),
        })
        .await
        .expect_err("weak");
    assert_eq!(weak.code(), tonic::Code::InvalidArgument);
    assert!(
        weak.message()
            .contains("password: must be at least 10 characters"),
        "{}",
        weak.message()
    );
    assert!(
        weak.message().contains("display_name"),
        "{}",
        weak.message()
    );
}

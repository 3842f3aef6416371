//! CreateOrder's outcomes: confirmed, declined, out of stock, wallet, and
//! requests refused before any order exists.

use contracts::{common::DeclineCode, orders as proto};
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_paid_order_is_confirmed_with_stock_taken_and_one_charge() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    let beans = shop.product("Beans", 1_450, 5).await;

    let order = shop
        .place(
            "alice",
            order("r1", &[(&mug, 2), (&beans, 1)], card(GOOD_CARD)),
        )
        .await
        .expect("order placed");

    assert_eq!(order.status(), proto::OrderStatus::Confirmed);
    // Over the free-shipping threshold: the lines are all there is to pay.
    assert_eq!(minor(&order.total), 2 * 1_800 + 1_450);
    assert_eq!(order.lines[0].product_name, "Mug");
    let payment = order.payment.clone().expect("payment summary");
    assert!(!payment.payment_id.is_empty());
    assert_eq!(payment.method.expect("method").card_last4, "4242");
    assert_eq!(shop.stock(&mug).await.available, 8);
    assert_eq!(shop.payments_of(&order.id).await.len(), 1);
    shop.assert_consistent(&[(&mug, 10), (&beans, 5)], &[&order.id])
        .await;
}

#[tokio::test]
async fn a_declined_card_fails_the_order_and_puts_the_stock_back() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;

    let order = shop
        .place("alice", order("r1", &[(&mug, 3)], card(DECLINED_CARD)))
        .await
        .expect("a decline is a failed order, not an error");

    assert_eq!(order.status(), proto::OrderStatus::Failed);
    assert_eq!(
        order.failure_reason(),
        proto::FailureReason::PaymentDeclined
    );
    assert_eq!(order.decline_code(), DeclineCode::GenericDecline);
    assert_eq!(shop.stock(&mug).await.available, 10);
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn an_order_for_more_than_is_in_stock_fails_without_a_charge() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 2).await;

    let order = shop
        .place("alice", order("r1", &[(&mug, 3)], card(GOOD_CARD)))
        .await
        .expect("placed");

    assert_eq!(order.status(), proto::OrderStatus::Failed);
    assert_eq!(order.failure_reason(), proto::FailureReason::OutOfStock);
    assert!(shop.payments_of(&order.id).await.is_empty());
    shop.assert_consistent(&[(&mug, 2)], &[&order.id]).await;
}

#[tokio::test]
async fn the_wallet_pays_when_it_holds_enough_and_is_refused_before_anything_when_not() {
    let shop = TestShop::spawn().await;
    // Two mugs ship free (over the threshold); one does not.
    let mug = shop.product("Mug", 2_500, 10).await;
    shop.top_up("alice", 5_500).await;

    let paid = shop
        .place("alice", order("r1", &[(&mug, 2)], wallet()))
        .await
        .expect("placed");
    assert_eq!(paid.status(), proto::OrderStatus::Confirmed);
    assert_eq!(shop.wallet_balance("alice").await, 500);

    let refused = expect_code(
        shop.place("alice", order("r2", &[(&mug, 1)], wallet()))
            .await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "INSUFFICIENT_FUNDS");
    assert_eq!(info(&refused, "balance_minor"), "500");
    let total: i64 = info(&refused, "total_minor").parse().expect("a total");
    assert!(total > 2_500, "the mug and its shipping: {total}");

    // No order, no failed attempt, no reservation, nothing charged.
    let orders = shop.orders_of("alice").await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(shop.stock(&mug).await.available, 8);
    assert_eq!(shop.wallet_balance("alice").await, 500);
    shop.assert_consistent(&[(&mug, 10)], &[&paid.id]).await;

    // The same request once the wallet holds enough is placed.
    shop.top_up("alice", total).await;
    let placed = shop
        .place("alice", order("r2", &[(&mug, 1)], wallet()))
        .await
        .expect("placed");
    assert_eq!(placed.status(), proto::OrderStatus::Confirmed);
}

#[tokio::test]
async fn a_repeated_wallet_order_is_answered_even_once_the_wallet_is_spent() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 2_500, 10).await;
    shop.top_up("alice", 5_000).await;

    let request = order("r1", &[(&mug, 2)], wallet());
    let paid = shop.place("alice", request.clone()).await.expect("placed");
    assert_eq!(paid.status(), proto::OrderStatus::Confirmed);
    assert_eq!(shop.wallet_balance("alice").await, 0);

    let again = shop.place("alice", request).await.expect("the same order");
    assert_eq!(again.id, paid.id);
}

#[tokio::test]
async fn with_payments_down_a_wallet_order_is_unavailable_and_nothing_is_placed() {
    let mut shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 2_500, 10).await;
    shop.top_up("alice", 10_000).await;
    shop.stop_payments().await;

    let refused = expect_code(
        shop.place("alice", order("r1", &[(&mug, 1)], wallet()))
            .await,
        Code::Unavailable,
    );
    assert_eq!(reason(&refused), "DEPENDENCY_UNAVAILABLE");
    assert!(shop.orders_of("alice").await.is_empty());
    assert_eq!(shop.stock(&mug).await.available, 10);
}

#[tokio::test]
async fn an_out_of_stock_order_names_each_short_product_with_what_it_had_left() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    let beans = shop.product("Beans", 1_450, 2).await;
    let filter = shop.product("Filter", 300, 0).await;
    let mut name_of = std::collections::HashMap::new();
    name_of.insert(beans.clone(), "Beans");
    name_of.insert(filter.clone(), "Filter");

    let failed = shop
        .place(
            "alice",
            order(
                "r1",
                &[(&mug, 1), (&beans, 3), (&filter, 1)],
                card(GOOD_CARD),
            ),
        )
        .await
        .expect("placed");

    assert_eq!(failed.failure_reason(), proto::FailureReason::OutOfStock);
    let mut short: Vec<(String, String, i64, i64)> = failed
        .shortfalls
        .iter()
        .map(|s| {
            (
                s.product_id.clone(),
                s.product_name.clone(),
                s.requested,
                s.available,
            )
        })
        .collect();
    short.sort();
    let mut expected = vec![
        (beans.clone(), "Beans".to_owned(), 3, 2),
        (filter.clone(), "Filter".to_owned(), 1, 0),
    ];
    expected.sort();
    assert_eq!(short, expected);

    // Every answer about the order says the same.
    let got = shop.get("alice", &failed.id).await.expect("get");
    assert_eq!(got.shortfalls, failed.shortfalls);
    let listed = shop.orders_of("alice").await;
    assert_eq!(listed[0].shortfalls, failed.shortfalls);
    let published = shop
        .order_events()
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            Some(contracts::events::event::Payload::Order(changed)) => changed.order,
            _ => None,
        })
        .find(|o| o.id == failed.id && o.status() == proto::OrderStatus::Failed)
        .expect("the failed event");
    assert_eq!(published.shortfalls, failed.shortfalls);
    shop.assert_consistent(&[(&mug, 10), (&beans, 2), (&filter, 0)], &[&failed.id])
        .await;
}

#[tokio::test]
async fn a_product_short_by_one_unit_says_how_many_are_left() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 4).await;

    let failed = shop
        .place("alice", order("r1", &[(&mug, 5)], card(GOOD_CARD)))
        .await
        .expect("placed");

    assert_eq!(failed.status(), proto::OrderStatus::Failed);
    assert_eq!(failed.shortfalls.len(), 1);
    let short = &failed.shortfalls[0];
    assert_eq!(
        (
            short.product_id.as_str(),
            short.product_name.as_str(),
            short.requested,
            short.available
        ),
        (mug.as_str(), "Mug", 5, 4)
    );

    let confirmed = shop
        .place("alice", order("r2", &[(&mug, 4)], card(GOOD_CARD)))
        .await
        .expect("placed");
    assert!(
        confirmed.shortfalls.is_empty(),
        "only failed orders have them"
    );
}

#[tokio::test]
async fn invalid_requests_name_every_bad_field() {
    let shop = TestShop::spawn().await;
    let mut request = order("", &[("not-a-uuid", 0)], card("1234"));
    request.shipping_address = None;
    let status = expect_code(shop.place("alice", request).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "request_id",
            "lines[0].product_id",
            "lines[0].quantity",
            "payment_method.card.number",
            "shipping_address"
        ]
    );
}

#[tokio::test]
async fn unknown_products_are_refused_before_any_order_exists() {
    let shop = TestShop::spawn().await;
    let ghost = "0190a1b2-0000-7000-8000-000000000001";
    let status = expect_code(
        shop.place("alice", order("r1", &[(ghost, 1)], card(GOOD_CARD)))
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&status), "PRODUCT_NOT_FOUND");

    assert!(shop.orders_of("alice").await.is_empty());
}

#[tokio::test]
async fn placing_an_order_needs_a_signed_in_user() {
    let shop = TestShop::spawn().await;
    let anonymous = shop
        .orders
        .clone()
        .create_order(order("r1", &[], wallet()))
        .await;
    expect_code(anonymous, Code::Unauthenticated);
}

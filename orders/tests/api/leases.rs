//! The lease on driving an order's saga: taken by the insert that places
//! the order, renewed by each recorded step, given up by the step that
//! brings the order to rest; a driver that lost it records nothing more;
//! and an order's events stay numbered 1, 2, 3... whoever moves it.

use std::time::Duration;

use contracts::orders::{self as proto, OrderStatus};

use crate::helpers::*;

/// A lease no driver of this shop will see run out.
const STOLEN: &str =
    "UPDATE orders SET lease_owner = 'another replica', lease_until = 9223372036854775807";

#[tokio::test]
async fn an_order_at_rest_is_leased_to_nobody() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;

    let confirmed = shop.buy_one("alice", &mug).await;
    let failed = shop
        .place("alice", order("r2", &[(&mug, 50)], card(GOOD_CARD)))
        .await
        .expect("placed");

    assert_eq!(confirmed.status(), OrderStatus::Confirmed);
    assert_eq!(failed.status(), OrderStatus::Failed);
    let still_leased = shop
        .orders_sql("UPDATE orders SET lease_until = lease_until WHERE lease_until <> 0")
        .await;
    assert_eq!(still_leased, 0, "an order at rest kept its lease");
}

#[tokio::test]
async fn a_driver_whose_lease_was_taken_mid_step_records_nothing_and_the_new_owner_finishes() {
    let mut shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    // Long enough to take the lease away while the charge is on its way,
    // well within the orders service's call timeout.
    shop.slow_card_network(Duration::from_secs(1)).await;

    let placing = shop.place("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)));
    let taking_the_lease = async {
        let order_id = loop {
            if let Some(placed) = shop.orders_of("alice").await.first() {
                break placed.id.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        shop.reaches("alice", &order_id, OrderStatus::StockReserved)
            .await;
        assert_eq!(shop.orders_sql(STOLEN).await, 1);
        order_id
    };
    let (placed, order_id) = tokio::join!(placing, taking_the_lease);

    // The charge went through, but the driver learnt it had lost the order
    // when it came to record it, and recorded nothing.
    let placed = placed.expect("placed");
    assert_eq!(placed.id, order_id);
    assert_eq!(placed.status(), OrderStatus::StockReserved);
    let stored = shop.get("alice", &order_id).await.expect("get");
    assert_eq!(stored.status(), OrderStatus::StockReserved);
    assert_eq!(shop.payments_of(&order_id).await.len(), 1);

    // Once the lease is free again, recovery finishes it without a second
    // charge.
    shop.orders_sql("UPDATE orders SET lease_until = 0").await;
    shop.let_recovery_run();
    let settled = shop.settled("alice", &order_id).await;
    assert_eq!(settled.status(), OrderStatus::Confirmed);
    shop.assert_consistent(&[(&mug, 10)], &[&order_id]).await;
}

#[tokio::test]
async fn an_order_cancelled_twenty_times_at_once_has_gapless_events() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;

    let cancels = concurrently(20, |_| {
        let mut orders = shop.orders.clone();
        let request = shop.as_user(
            "alice",
            proto::CancelOrderRequest {
                id: placed.id.clone(),
                reason: "changed my mind".into(),
            },
        );
        async move { orders.cancel_order(request).await }
    })
    .await;
    for cancel in cancels {
        let cancelled = cancel.expect("cancel").into_inner();
        assert!(
            matches!(
                cancelled.status(),
                OrderStatus::Cancelling | OrderStatus::Cancelled
            ),
            "{:?}",
            cancelled.status()
        );
    }
    shop.reaches("alice", &placed.id, OrderStatus::Cancelled)
        .await;

    let mut stream = shop
        .orders
        .clone()
        .watch_order(shop.as_user(
            "alice",
            proto::WatchOrderRequest {
                id: placed.id.clone(),
                after_sequence: 0,
            },
        ))
        .await
        .expect("watch")
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.expect("stream") {
        events.push((event.sequence, event.status()));
    }
    assert_eq!(
        events,
        [
            (1, OrderStatus::Pending),
            (2, OrderStatus::StockReserved),
            (3, OrderStatus::Paid),
            (4, OrderStatus::Confirmed),
            (5, OrderStatus::Cancelling),
            (6, OrderStatus::Cancelled),
        ]
    );
    shop.assert_consistent(&[(&mug, 10)], &[&placed.id]).await;
}

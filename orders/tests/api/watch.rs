//! WatchOrder: every status change in order, replayed then live; a
//! confirmed order's stream stays open for its parcel's news (the stream's
//! end at delivery is in `shipping.rs`).

use contracts::orders::{self as proto, OrderStatus};

use crate::helpers::*;

/// The first `count` events of the order's stream after `after_sequence`.
async fn statuses(
    shop: &TestShop,
    user: &str,
    order_id: &str,
    after_sequence: i64,
    count: usize,
) -> Vec<(i64, OrderStatus)> {
    let mut stream = shop
        .orders
        .clone()
        .watch_order(shop.as_user(
            user,
            proto::WatchOrderRequest {
                id: order_id.into(),
                after_sequence,
            },
        ))
        .await
        .expect("watch")
        .into_inner();
    let mut seen = Vec::new();
    while seen.len() < count {
        let event = stream.message().await.expect("stream").expect("an event");
        assert_eq!(
            event.order.as_ref().map(contracts::orders::Order::status),
            Some(event.status())
        );
        seen.push((event.sequence, event.status()));
    }
    seen
}

#[tokio::test]
async fn a_late_watcher_gets_the_whole_story_replayed() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;

    assert_eq!(
        statuses(&shop, "alice", &placed.id, 0, 4).await,
        [
            (1, OrderStatus::Pending),
            (2, OrderStatus::StockReserved),
            (3, OrderStatus::Paid),
            (4, OrderStatus::Confirmed),
        ]
    );
    assert_eq!(
        statuses(&shop, "alice", &placed.id, 2, 2).await,
        [(3, OrderStatus::Paid), (4, OrderStatus::Confirmed)]
    );
}

#[tokio::test]
async fn a_watcher_sees_changes_live_as_checkout_completes() {
    let mut shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    shop.stop_payments().await;
    let waiting = shop.buy_one("alice", &mug).await;
    assert_eq!(waiting.status(), OrderStatus::StockReserved);

    let mut stream = shop
        .orders
        .clone()
        .watch_order(shop.as_user(
            "alice",
            proto::WatchOrderRequest {
                id: waiting.id.clone(),
                after_sequence: 0,
            },
        ))
        .await
        .expect("watch")
        .into_inner();
    for expected in [OrderStatus::Pending, OrderStatus::StockReserved] {
        let event = stream.message().await.expect("stream").expect("replayed");
        assert_eq!(event.status(), expected);
    }

    shop.start_payments().await;
    shop.let_recovery_run();
    let mut live = Vec::new();
    while live.last() != Some(&OrderStatus::Confirmed) {
        let event = stream.message().await.expect("stream").expect("live");
        live.push(event.status());
    }
    assert_eq!(live, [OrderStatus::Paid, OrderStatus::Confirmed]);
}

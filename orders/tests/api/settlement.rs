//! Every card order settles, whatever happens to the process holding its
//! card: a card is kept for its TTL and then the charge is voided at
//! payments; another replica takes over only once the holder is gone; a
//! caller's deadline never cuts a saga short.

use std::time::Duration;

use contracts::{
    orders::{self as proto, OrderStatus},
    payments::PaymentStatus,
};

use crate::helpers::*;

/// Longer than the card TTL (5 minutes by default).
const PAST_THE_CARD_TTL: Duration = Duration::from_secs(310);

#[tokio::test]
async fn a_charge_that_never_gets_an_answer_is_voided_after_the_card_ttl() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let waiting = shop
        .place("alice", order("r1", &[(&mug, 1)], card(UNANSWERED_CARD)))
        .await
        .expect("placed");
    assert_eq!(waiting.status(), OrderStatus::StockReserved);

    shop.clock.advance(PAST_THE_CARD_TTL);
    let order = shop.settled("alice", &waiting.id).await;
    assert_eq!(order.status(), OrderStatus::Failed);
    assert_eq!(
        order.failure_reason(),
        proto::FailureReason::PaymentIncomplete
    );
    let payments = shop.payments_of(&order.id).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status(), PaymentStatus::Voided);
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn another_replica_takes_a_card_order_over_only_once_its_holder_is_gone() {
    // Every charge fails here, so the holder's breaker would open after a
    // few and make the retries below wait out its (real-time) cool-down:
    // this test is about leases, not the breaker.
    let mut shop = TestShop::spawn_with(|config| config.breaker_failures = 1_000).await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let other = shop.orders_replica().await;
    let waiting = shop
        .place("alice", order("r1", &[(&mug, 1)], card(UNANSWERED_CARD)))
        .await
        .expect("placed");
    assert_eq!(waiting.status(), OrderStatus::StockReserved);

    // Time passes in steps shorter than the lease (60 s); after each, the
    // holder retries the charge (so it renewed the lease first), and the
    // other replica, whose recovery runs all along, leaves the order be.
    for _ in 0..4 {
        let calls = shop.network.charge_calls();
        shop.clock.advance(Duration::from_secs(45));
        platform::testing::eventually("the holder retries the charge", || async {
            shop.network.charge_calls() > calls
        })
        .await;
        let now = shop.get("alice", &waiting.id).await.expect("get");
        assert_eq!(
            now.status(),
            OrderStatus::StockReserved,
            "failed behind the holder's back"
        );
    }

    // The holder dies: the other replica settles the order without the card.
    shop.stop_orders().await;
    shop.let_recovery_run();
    let order = settled_on(&shop, &other, &waiting.id).await;
    assert_eq!(order.status(), OrderStatus::Failed);
    assert_eq!(
        order.failure_reason(),
        proto::FailureReason::PaymentIncomplete
    );
    let payments = shop.payments_of(&order.id).await;
    assert!(payments.iter().all(|p| p.status() == PaymentStatus::Voided));
    assert_eq!(shop.stock(&mug).await.reserved, 0);
}

/// Waits until the order is at rest, read through `replica`.
async fn settled_on(shop: &TestShop, replica: &Replica, order_id: &str) -> proto::Order {
    let mut last = None;
    for _ in 0..500 {
        let order = replica
            .orders
            .clone()
            .get_order(shop.as_user(
                "alice",
                proto::GetOrderRequest {
                    id: order_id.into(),
                },
            ))
            .await
            .expect("get")
            .into_inner();
        if matches!(
            order.status(),
            OrderStatus::Confirmed | OrderStatus::Failed | OrderStatus::Cancelled
        ) {
            return order;
        }
        last = Some(order.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("order never settled: {last:?}");
}

#[tokio::test]
async fn a_caller_that_stops_waiting_does_not_stop_its_checkout() {
    let mut shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    // The charge takes longer than the caller is willing to wait.
    shop.slow_card_network(Duration::from_secs(3)).await;
    let quoted = shop
        .with_quote("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await;
    let mut request = shop.as_user("alice", quoted);
    // Room for the catalog's and fulfilment's answers before the charge,
    // which takes longer than this on the card network.
    request.set_timeout(Duration::from_secs(2));
    let answered = shop.orders.clone().create_order(request).await;

    // Answered (just before the deadline) with the order mid-saga, or the
    // answer came too late for the caller: either way the saga goes on.
    let order_id = match answered {
        Ok(order) => {
            let order = order.into_inner();
            assert!(
                matches!(
                    order.status(),
                    OrderStatus::Pending | OrderStatus::StockReserved
                ),
                "{:?}",
                order.status()
            );
            order.id
        }
        Err(status) => {
            assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
            shop.orders_of("alice").await[0].id.clone()
        }
    };
    // No time passes on the service clock, so no recovery pass could have
    // resumed it: the drive itself finished.
    let order = shop.settled("alice", &order_id).await;
    assert_eq!(order.status(), OrderStatus::Confirmed);
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn a_cancelled_orders_refund_carries_the_reason() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    assert_eq!(placed.status(), OrderStatus::Confirmed);
    shop.orders
        .clone()
        .cancel_order(shop.as_user(
            "alice",
            proto::CancelOrderRequest {
                id: placed.id.clone(),
                reason: "arrived broken".into(),
            },
        ))
        .await
        .expect("cancel");
    let order = shop.settled("alice", &placed.id).await;
    assert_eq!(order.status(), OrderStatus::Cancelled);
    let payments = shop.payments_of(&order.id).await;
    assert_eq!(payments[0].refunds[0].reason, "arrived broken");
}

//! A checkout interrupted at any step ends in a state a shop owner accepts:
//! a crash of the orders service, or payments being down.

use contracts::orders::{self as proto, OrderStatus};

use crate::helpers::*;

/// Places an order on a shop whose orders service "crashes" right after
/// the order reaches `status`, then restarts orders on the same database.
async fn crash_after(
    status: OrderStatus,
    payment: contracts::common::PaymentMethod,
) -> (TestShop, String, proto::Order) {
    let halt = orders::domain::OrderStatus::parse(
        status.as_str_name().trim_start_matches("ORDER_STATUS_"),
    );
    let mut shop = TestShop::spawn_with(|config| config.halt_after = halt).await;
    let mug = shop.product("Mug", 1_000, 10).await;
    shop.top_up("alice", 10_000).await;

    let interrupted = shop
        .place("alice", order("r1", &[(&mug, 2)], payment))
        .await
        .expect("placed");
    assert_eq!(
        interrupted.status(),
        status,
        "the failpoint stopped the saga"
    );

    shop.stop_orders().await;
    shop.start_orders(|_| {}).await;
    shop.let_recovery_run();
    (shop, mug, interrupted)
}

#[tokio::test]
async fn a_crash_after_the_reservation_is_resumed_to_confirmed() {
    let (shop, mug, interrupted) = crash_after(OrderStatus::StockReserved, wallet()).await;
    let order = shop.settled("alice", &interrupted.id).await;
    assert_eq!(order.status(), OrderStatus::Confirmed);
    assert_eq!(
        shop.wallet_balance("alice").await,
        10_000 - minor(&order.total)
    );
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn a_card_order_interrupted_before_its_charge_is_undone() {
    // The card lived only in the crashed process's memory.
    let (shop, mug, interrupted) = crash_after(OrderStatus::StockReserved, card(GOOD_CARD)).await;
    let order = shop.settled("alice", &interrupted.id).await;
    assert_eq!(order.status(), OrderStatus::Failed);
    assert_eq!(
        order.failure_reason(),
        proto::FailureReason::PaymentIncomplete
    );
    assert!(shop.payments_of(&order.id).await.is_empty());
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn a_crash_after_the_charge_is_resumed_without_charging_again() {
    let (shop, mug, interrupted) = crash_after(OrderStatus::Paid, card(GOOD_CARD)).await;
    let order = shop.settled("alice", &interrupted.id).await;
    assert_eq!(order.status(), OrderStatus::Confirmed);
    assert_eq!(shop.payments_of(&order.id).await.len(), 1);
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn with_payments_down_an_order_waits_uncharged_then_completes() {
    let mut shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    shop.stop_payments().await;

    let waiting = shop.buy_one("alice", &mug).await;
    assert_eq!(waiting.status(), OrderStatus::StockReserved);
    assert_eq!(shop.stock(&mug).await.reserved, 1);

    shop.start_payments().await;
    assert!(
        shop.payments_of(&waiting.id).await.is_empty(),
        "nothing charged while down"
    );
    shop.let_recovery_run();
    let order = shop.settled("alice", &waiting.id).await;
    assert_eq!(order.status(), OrderStatus::Confirmed);
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

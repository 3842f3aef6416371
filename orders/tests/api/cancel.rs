//! CancelOrder: a confirmed order is refunded and restocked, once.

use contracts::orders::{self as proto, OrderStatus};
use contracts::payments::PaymentStatus;
use tonic::Code;

use crate::helpers::*;

fn cancel(id: &str) -> proto::CancelOrderRequest {
    proto::CancelOrderRequest {
        id: id.into(),
        reason: "changed my mind".into(),
    }
}

#[tokio::test]
async fn cancelling_refunds_and_restocks_and_a_second_cancel_is_harmless() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop
        .place("alice", order("r1", &[(&mug, 3)], card(GOOD_CARD)))
        .await
        .expect("placed");
    assert_eq!(shop.stock(&mug).await.available, 7);

    for _ in 0..2 {
        let cancelled = shop
            .orders
            .clone()
            .cancel_order(shop.as_user("alice", cancel(&placed.id)))
            .await
            .expect("cancel")
            .into_inner();
        assert_eq!(cancelled.status(), OrderStatus::Cancelled);
        assert_eq!(cancelled.cancel_reason, "changed my mind");
    }

    assert_eq!(shop.stock(&mug).await.available, 10);
    let payments = shop.payments_of(&placed.id).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status(), PaymentStatus::Refunded);
    assert_eq!(payments[0].refunds.len(), 1, "refunded once");
    shop.assert_consistent(&[(&mug, 10)], &[&placed.id]).await;
}

#[tokio::test]
async fn only_confirmed_orders_can_be_cancelled() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 1).await;
    let failed = shop
        .place("alice", order("r1", &[(&mug, 5)], card(GOOD_CARD)))
        .await
        .expect("placed");
    assert_eq!(failed.status(), OrderStatus::Failed);

    let refused = shop
        .orders
        .clone()
        .cancel_order(shop.as_user("alice", cancel(&failed.id)))
        .await;
    let status = expect_code(refused, Code::FailedPrecondition);
    assert_eq!(reason(&status), "ORDER_NOT_CANCELLABLE");
}

//! What orders tells others: `orders.order.placed`, then `confirmed`,
//! `failed` or `cancelled`, each with the whole order, written in the
//! transaction of the status change; the steps in between publish nothing.

use contracts::{events::event::Payload, orders as proto};
use platform::events::types;

use crate::helpers::*;

fn cancel(id: &str) -> proto::CancelOrderRequest {
    proto::CancelOrderRequest {
        id: id.into(),
        reason: "changed my mind".into(),
    }
}

/// The (type, sequence) of each event about `order_id`.
async fn events_of(shop: &TestShop, order_id: &str) -> Vec<(String, i64)> {
    shop.order_events()
        .await
        .into_iter()
        .filter(|e| e.aggregate_id == order_id)
        .map(|e| (e.r#type, e.aggregate_sequence))
        .collect()
}

#[tokio::test]
async fn an_order_publishes_placed_then_confirmed_then_cancelled() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    shop.orders
        .clone()
        .cancel_order(shop.as_user("alice", cancel(&placed.id)))
        .await
        .expect("cancel");

    assert_eq!(
        events_of(&shop, &placed.id).await,
        vec![
            (types::ORDER_PLACED.to_owned(), 1),
            (types::ORDER_CONFIRMED.to_owned(), 2),
            (types::ORDER_CANCELLED.to_owned(), 3),
        ]
    );
    let confirmed = shop
        .order_events()
        .await
        .into_iter()
        .find(|e| e.r#type == types::ORDER_CONFIRMED)
        .expect("confirmed");
    let Some(Payload::Order(changed)) = confirmed.payload else {
        panic!("an order event carries the order");
    };
    let order = changed.order.expect("the order");
    assert_eq!(order.status(), proto::OrderStatus::Confirmed);
    assert_eq!(order.user_id, "alice");
    assert_eq!(order.lines.len(), 1);
}

#[tokio::test]
async fn a_declined_order_publishes_placed_then_failed() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let failed = shop
        .place("alice", order("r1", &[(&mug, 1)], card(DECLINED_CARD)))
        .await
        .expect("a decline is a failed order");
    assert_eq!(failed.status(), proto::OrderStatus::Failed);
    assert_eq!(
        events_of(&shop, &failed.id).await,
        vec![
            (types::ORDER_PLACED.to_owned(), 1),
            (types::ORDER_FAILED.to_owned(), 2),
        ]
    );
}

//! Customers see only their own orders; admins see everyone's.

use contracts::orders::{self as proto, OrderStatus};
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn another_customers_order_does_not_exist_for_you() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let alices = shop.buy_one("alice", &mug).await;

    expect_code(shop.get("bob", &alices.id).await, Code::NotFound);
    let cancel = shop
        .orders
        .clone()
        .cancel_order(shop.as_user(
            "bob",
            proto::CancelOrderRequest {
                id: alices.id.clone(),
                reason: String::new(),
            },
        ))
        .await;
    expect_code(cancel, Code::NotFound);
    let watch = shop
        .orders
        .clone()
        .watch_order(shop.as_user(
            "bob",
            proto::WatchOrderRequest {
                id: alices.id.clone(),
                after_sequence: 0,
            },
        ))
        .await;
    expect_code(watch, Code::NotFound);

    let admin_view = shop
        .orders
        .clone()
        .get_order(shop.as_admin(proto::GetOrderRequest {
            id: alices.id.clone(),
        }))
        .await
        .expect("admins see every order");
    assert_eq!(admin_view.into_inner().user_id, "alice");
}

#[tokio::test]
async fn listing_shows_your_own_orders_newest_first_in_pages() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let mut placed = Vec::new();
    for i in 0..3 {
        let o = shop
            .place(
                "alice",
                order(&format!("a{i}"), &[(&mug, 1)], card(GOOD_CARD)),
            )
            .await
            .expect("placed");
        placed.push(o.id);
    }
    let failed = shop
        .place("alice", order("big", &[(&mug, 100)], card(GOOD_CARD)))
        .await
        .expect("placed");
    shop.place("bob", order("b0", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("placed");

    let mut orders = shop.orders.clone();
    let list = |page_token: String, status: OrderStatus| {
        shop.as_user(
            "alice",
            proto::ListOrdersRequest {
                page_size: 2,
                page_token,
                status: status.into(),
                user_id: String::new(),
                ..Default::default()
            },
        )
    };
    let first = orders
        .list_orders(list(String::new(), OrderStatus::Confirmed))
        .await
        .expect("list")
        .into_inner();
    let second = orders
        .list_orders(list(first.next_page_token.clone(), OrderStatus::Confirmed))
        .await
        .expect("list")
        .into_inner();
    let ids: Vec<String> = first
        .orders
        .iter()
        .chain(&second.orders)
        .map(|o| o.id.clone())
        .collect();
    placed.reverse();
    assert_eq!(ids, placed);
    assert!(second.next_page_token.is_empty());

    let failures = orders
        .list_orders(list(String::new(), OrderStatus::Failed))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(failures.orders.len(), 1);
    assert_eq!(failures.orders[0].id, failed.id);

    let snooping = shop
        .orders
        .clone()
        .list_orders(shop.as_user(
            "bob",
            proto::ListOrdersRequest {
                user_id: "alice".into(),
                ..Default::default()
            },
        ))
        .await;
    expect_code(snooping, Code::PermissionDenied);

    let everyone = shop
        .orders
        .clone()
        .list_orders(shop.as_admin(proto::ListOrdersRequest::default()))
        .await
        .expect("admins list all")
        .into_inner();
    assert_eq!(everyone.orders.len(), 5);
}

//! Shipments through the gateway: a customer's confirmed order gets one,
//! the warehouse (an admin) packs, ships and delivers it, the customer
//! follows it; a cancelled order's shipment is cancelled.

use contracts::{
    fulfilment::{self as proto, Shipment, ShipmentStatus},
    orders::{self as orders_proto, OrderStatus},
};
use platform::testing::eventually;

use crate::helpers::*;

/// Places an order of `product` as `token`'s customer; it must confirm.
async fn confirmed_order(shop: &TestShop, token: &str, product: &str, request_id: &str) -> String {
    let placed = shop
        .orders
        .clone()
        .create_order(call(
            shop.quoted_order(token, request_id, product, 1).await,
            Some(token),
        ))
        .await
        .expect("order")
        .into_inner();
    assert_eq!(placed.status(), OrderStatus::Confirmed);
    placed.id
}

/// The shipment of `order_id` as `token`'s caller reads it, if it has one.
async fn shipment(shop: &TestShop, token: &str, order_id: &str) -> Option<Shipment> {
    let request = proto::GetShipmentRequest {
        order_id: order_id.to_owned(),
    };
    shop.fulfilment
        .clone()
        .get_shipment(call(request, Some(token)))
        .await
        .ok()
        .map(tonic::Response::into_inner)
}

/// Waits until the shipment of `order_id` is in `status`, and returns it.
async fn shipment_in(
    shop: &TestShop,
    token: &str,
    order_id: &str,
    status: ShipmentStatus,
) -> Shipment {
    eventually("the shipment reaches its status", || async {
        shipment(shop, token, order_id)
            .await
            .is_some_and(|s| s.status() == status)
    })
    .await;
    shipment(shop, token, order_id).await.expect("the shipment")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_order_is_packed_shipped_and_delivered_and_its_customer_follows_it() {
    let shop = TestShop::spawn().await;
    let teapot = shop.product("Teapot", 2_500, 5).await;
    let (token, user_id) = shop.register("ada@example.com").await;
    let admin = shop.admin().await;
    let order_id = confirmed_order(&shop, &token, &teapot, "ship-1").await;

    let pending = shipment_in(&shop, &token, &order_id, ShipmentStatus::Pending).await;
    assert_eq!(pending.user_id, user_id);
    assert_eq!(pending.lines.len(), 1);
    assert_eq!(pending.lines[0].product_id, teapot);

    let mut warehouse = shop.fulfilment.clone();
    let id = pending.id.clone();
    warehouse
        .pack_shipment(call(
            proto::PackShipmentRequest {
                shipment_id: id.clone(),
            },
            Some(&admin),
        ))
        .await
        .expect("packed");
    let shipped = warehouse
        .ship_shipment(call(
            proto::ShipShipmentRequest {
                shipment_id: id.clone(),
                carrier: "DHL".into(),
                tracking_number: "1Z 999 AA1".into(),
            },
            Some(&admin),
        ))
        .await
        .expect("shipped")
        .into_inner();
    assert_eq!(shipped.status(), ShipmentStatus::Shipped);
    warehouse
        .deliver_shipment(call(
            proto::DeliverShipmentRequest { shipment_id: id },
            Some(&admin),
        ))
        .await
        .expect("delivered");

    let seen = shipment(&shop, &token, &order_id)
        .await
        .expect("the customer's shipment");
    assert_eq!(seen.status(), ShipmentStatus::Delivered);
    assert_eq!(
        (seen.carrier.as_str(), seen.tracking_number.as_str()),
        ("DHL", "1Z 999 AA1")
    );

    // Another customer neither sees it nor works the warehouse.
    let (stranger, _) = shop.register("grace@example.com").await;
    assert!(shipment(&shop, &stranger, &order_id).await.is_none());
    let packing = shop
        .fulfilment
        .clone()
        .pack_shipment(call(
            proto::PackShipmentRequest {
                shipment_id: seen.id,
            },
            Some(&token),
        ))
        .await;
    assert_eq!(code_of(&packing), tonic::Code::PermissionDenied);
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_order_cancels_its_shipment() {
    let shop = TestShop::spawn().await;
    let teapot = shop.product("Teapot", 2_500, 5).await;
    let (token, _) = shop.register("ada@example.com").await;
    let order_id = confirmed_order(&shop, &token, &teapot, "ship-2").await;
    shipment_in(&shop, &token, &order_id, ShipmentStatus::Pending).await;

    shop.orders
        .clone()
        .cancel_order(call(
            orders_proto::CancelOrderRequest {
                id: order_id.clone(),
                reason: "changed my mind".into(),
            },
            Some(&token),
        ))
        .await
        .expect("cancelled");

    let cancelled = shipment_in(&shop, &token, &order_id, ShipmentStatus::Cancelled).await;
    assert!(cancelled.cancel_time.is_some());
    shop.stop().await;
}

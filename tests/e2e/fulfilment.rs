//! Shipments through the gateway: a customer's confirmed order gets one,
//! the warehouse (an admin) packs, ships and delivers it, the customer
//! follows it; a cancelled order's shipment is cancelled. And the whole
//! life of a shipped order as its customer sees it: shipping charged,
//! SHIPPED and DELIVERED streamed in order, an email at each step, no
//! cancelling once the parcel has left.

use std::time::Duration;

use contracts::{
    fulfilment::{self as proto, Shipment, ShipmentStatus},
    notifications::{NotificationKind, NotificationState},
    orders::{self as orders_proto, OrderStatus},
};
use platform::testing::eventually;
use tonic_types::StatusExt;

use crate::{
    helpers::*,
    notifications::{emails_mentioning, notifications_of},
};

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

    pack_ship_deliver(&shop, &admin, &pending.id, "DHL", "1Z 999 AA1").await;

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
    assert_eq!(cancelled.cancel_reason, "changed my mind");
    shop.stop().await;
}

/// The warehouse (`admin`) packs, ships (with `carrier` and `tracking`)
/// and delivers the shipment `id`.
async fn pack_ship_deliver(shop: &TestShop, admin: &str, id: &str, carrier: &str, tracking: &str) {
    let mut warehouse = shop.fulfilment.clone();
    warehouse
        .pack_shipment(call(
            proto::PackShipmentRequest {
                shipment_id: id.to_owned(),
            },
            Some(admin),
        ))
        .await
        .expect("packed");
    warehouse
        .ship_shipment(call(
            proto::ShipShipmentRequest {
                shipment_id: id.to_owned(),
                carrier: carrier.to_owned(),
                tracking_number: tracking.to_owned(),
            },
            Some(admin),
        ))
        .await
        .expect("shipped");
    warehouse
        .deliver_shipment(call(
            proto::DeliverShipmentRequest {
                shipment_id: id.to_owned(),
            },
            Some(admin),
        ))
        .await
        .expect("delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_charged_its_shipping_followed_to_delivery_and_emailed_at_each_step() {
    let shop = TestShop::spawn().await;
    let teapot = shop.product("Teapot", 2_500, 5).await;
    let (token, user_id) = shop.register("follow@example.com").await;
    let admin = shop.admin().await;

    let request = shop.quoted_order(&token, "follow-1", &teapot, 1).await;
    let order = shop
        .orders
        .clone()
        .create_order(call(request.clone(), Some(&token)))
        .await
        .expect("order")
        .into_inner();
    assert_eq!(order.status(), OrderStatus::Confirmed);
    let shipping = order.shipping.clone().expect("the order's shipping");
    assert_eq!(shipping.code, request.shipping_option);
    assert_eq!(order.shipping_quote_id, request.shipping_quote_id);
    let minor = |m: Option<&contracts::common::Money>| m.expect("an amount").amount_minor;
    assert_eq!(minor(order.subtotal.as_ref()), 2_500);
    assert_eq!(
        minor(order.total.as_ref()),
        2_500 + minor(shipping.price.as_ref()),
        "the total is the lines plus the shipping quoted"
    );

    // The customer watches from the confirmation on; the stream follows the
    // parcel and ends at its delivery.
    let confirmed_at = shop
        .orders
        .clone()
        .watch_order(call(
            orders_proto::WatchOrderRequest {
                id: order.id.clone(),
                after_sequence: 0,
            },
            Some(&token),
        ))
        .await
        .expect("a watch")
        .into_inner();
    let watcher = tokio::spawn(async move {
        let mut stream = confirmed_at;
        let mut events = Vec::new();
        while let Some(event) = stream.message().await.expect("the stream") {
            events.push(event);
        }
        events
    });

    let pending = shipment_in(&shop, &token, &order.id, ShipmentStatus::Pending).await;
    pack_ship_deliver(&shop, &admin, &pending.id, "DHL", "JD0146 0000 1234").await;

    let events = tokio::time::timeout(Duration::from_secs(60), watcher)
        .await
        .expect("the watch ends once the order is delivered")
        .expect("the watcher");
    let statuses: Vec<OrderStatus> = events
        .iter()
        .map(orders_proto::OrderEvent::status)
        .collect();
    assert_eq!(
        statuses[statuses.len() - 3..],
        [
            OrderStatus::Confirmed,
            OrderStatus::Shipped,
            OrderStatus::Delivered
        ]
    );
    let shipped = events[events.len() - 2]
        .order
        .as_ref()
        .and_then(|o| o.shipment.clone())
        .expect("a shipped order shows its parcel");
    assert_eq!(
        (shipped.carrier.as_str(), shipped.tracking_number.as_str()),
        ("DHL", "JD0146 0000 1234")
    );
    assert_eq!(shipped.shipment_id, pending.id);

    // Delivered: too late to cancel, and nothing is refunded.
    let refused = shop
        .orders
        .clone()
        .cancel_order(call(
            orders_proto::CancelOrderRequest {
                id: order.id.clone(),
                reason: "too late".into(),
            },
            Some(&token),
        ))
        .await
        .expect_err("a delivered order is not cancelled");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        refused
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone()),
        Some("ORDER_NOT_CANCELLABLE".to_owned())
    );
    let now = shop
        .orders
        .clone()
        .get_order(call(
            orders_proto::GetOrderRequest {
                id: order.id.clone(),
            },
            Some(&token),
        ))
        .await
        .expect("the order")
        .into_inner();
    assert_eq!(now.status(), OrderStatus::Delivered);

    // One email per step: welcome (and the link to verify the address),
    // confirmed, shipped (with the tracking number), delivered.
    eventually("every email of the order's life is sent", || async {
        let sent = notifications_of(&shop, &admin, &user_id).await;
        sent.len() == 5 && sent.iter().all(|n| n.state() == NotificationState::Sent)
    })
    .await;
    let mut kinds: Vec<NotificationKind> = notifications_of(&shop, &admin, &user_id)
        .await
        .iter()
        .map(contracts::notifications::Notification::kind)
        .collect();
    kinds.sort_by_key(|k| *k as i32);
    assert_eq!(
        kinds,
        [
            NotificationKind::Welcome,
            NotificationKind::OrderConfirmed,
            NotificationKind::OrderShipped,
            NotificationKind::OrderDelivered,
            NotificationKind::VerifyEmail
        ]
    );
    assert_eq!(
        emails_mentioning(&shop, &[&order.number, "is on its way", "JD0146 0000 1234"]),
        1
    );
    assert_eq!(
        emails_mentioning(&shop, &[&order.number, "was delivered"]),
        1
    );
    shop.stop().await;
}

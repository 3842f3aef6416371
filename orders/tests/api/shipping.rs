//! Shipping: CreateOrder prices the option of a quote the fulfilment
//! service made (never the client's own price), refuses quotes that do not
//! hold, and the order then follows its parcel (SHIPPED, DELIVERED), never
//! backwards; CancelOrder cancels the shipment first, and only before the
//! parcel has left.

use std::time::Duration;

use contracts::{
    events::{Event, ShipmentChanged, event::Payload},
    fulfilment::{Shipment, ShipmentStatus},
    orders::{self as proto, OrderStatus},
    payments::PaymentStatus,
    timestamp,
};
use platform::{events::types, testing::info};
use tonic::Code;

use crate::helpers::*;

fn cancel(id: &str) -> proto::CancelOrderRequest {
    proto::CancelOrderRequest {
        id: id.into(),
        reason: "changed my mind".into(),
    }
}

#[tokio::test]
async fn the_total_is_the_subtotal_plus_shipping_and_the_payment_charges_it() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let request = shop
        .with_quote("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await;
    let quote_id = request.shipping_quote_id.clone();

    let placed = shop.place("alice", request).await.expect("placed");

    assert_eq!(placed.status(), OrderStatus::Confirmed);
    let shipping = placed.shipping.clone().expect("the shipping option");
    assert_eq!(shipping.code, "standard");
    assert!(minor(&shipping.price) > 0, "{shipping:?}");
    assert_eq!(minor(&placed.subtotal), 1_000);
    assert_eq!(
        minor(&placed.total),
        minor(&placed.subtotal) + minor(&shipping.price)
    );
    assert_eq!(placed.shipping_quote_id, quote_id);
    let payments = shop.payments_of(&placed.id).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(minor(&payments[0].captured), minor(&placed.total));
}

#[tokio::test]
async fn shipping_is_free_over_the_threshold() {
    let shop = TestShop::spawn().await;
    let lamp = shop.product("Lamp", 6_000, 10).await;

    let placed = shop
        .place("alice", order("r1", &[(&lamp, 1)], card(GOOD_CARD)))
        .await
        .expect("placed");

    let shipping = placed.shipping.clone().expect("the shipping option");
    assert_eq!(minor(&shipping.price), 0);
    assert_eq!(minor(&placed.total), 6_000);
    assert_eq!(minor(&placed.subtotal), 6_000);
}

#[tokio::test]
async fn a_quote_nobody_made_is_not_found_and_nothing_is_placed() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let mut request = order("r1", &[(&mug, 1)], card(GOOD_CARD));
    request.shipping_quote_id = "0190a1b2-0000-7000-8000-00000000dead".into();
    request.shipping_option = "standard".into();

    let status = expect_code(shop.place("alice", request).await, Code::NotFound);

    assert_eq!(reason(&status), "SHIPPING_QUOTE_NOT_FOUND");
    assert!(shop.orders_of("alice").await.is_empty());
    assert_eq!(shop.stock(&mug).await.available, 10);
}

#[tokio::test]
async fn another_users_quote_is_not_found() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let bobs = shop
        .with_quote("bob", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await;

    let status = expect_code(shop.place("alice", bobs).await, Code::NotFound);

    assert_eq!(reason(&status), "SHIPPING_QUOTE_NOT_FOUND");
}

#[tokio::test]
async fn a_quote_for_other_lines_or_another_address_is_a_mismatch() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let quoted = shop
        .with_quote("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await;

    let mut more_mugs = quoted.clone();
    more_mugs.lines[0].quantity = 2;
    let status = expect_code(
        shop.place("alice", more_mugs).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "SHIPPING_QUOTE_MISMATCH");

    let mut elsewhere = quoted.clone();
    elsewhere.request_id = "r2".into();
    if let Some(address) = elsewhere.shipping_address.as_mut() {
        address.city = "Manchester".into();
    }
    let status = expect_code(
        shop.place("alice", elsewhere).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "SHIPPING_QUOTE_MISMATCH");

    let mut unknown_option = quoted;
    unknown_option.request_id = "r3".into();
    unknown_option.shipping_option = "teleport".into();
    let status = expect_code(
        shop.place("alice", unknown_option).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "SHIPPING_OPTION_UNKNOWN");
    assert!(shop.orders_of("alice").await.is_empty());
}

#[tokio::test]
async fn an_expired_quote_is_refused_but_a_placed_order_is_still_returned_to_its_retry() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let first = shop
        .with_quote("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await;
    let placed = shop.place("alice", first.clone()).await.expect("placed");

    // Quotes hold for 30 minutes by default.
    shop.clock.advance(Duration::from_secs(31 * 60));

    let retried = shop.place("alice", first.clone()).await.expect("retried");
    assert_eq!(retried.id, placed.id);
    let mut second = first;
    second.request_id = "r2".into();
    let status = expect_code(shop.place("alice", second).await, Code::FailedPrecondition);
    assert_eq!(reason(&status), "SHIPPING_QUOTE_EXPIRED");
    assert_eq!(shop.orders_of("alice").await.len(), 1);
}

#[tokio::test]
async fn a_confirmed_order_follows_its_parcel_to_delivery_and_its_watch_ends_there() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    assert_eq!(placed.status(), OrderStatus::Confirmed);
    let mut watch = shop
        .orders
        .clone()
        .watch_order(shop.as_user(
            "alice",
            proto::WatchOrderRequest {
                id: placed.id.clone(),
                after_sequence: 4,
            },
        ))
        .await
        .expect("watch")
        .into_inner();

    let shipped = shop.ship(&placed.id).await;
    let event = watch.message().await.expect("stream").expect("shipped");
    assert_eq!(event.status(), OrderStatus::Shipped);
    let parcel = event
        .order
        .and_then(|o| o.shipment)
        .expect("the parcel as it left");
    assert_eq!(parcel.shipment_id, shipped.id);
    assert_eq!(parcel.carrier, "DHL");
    assert_eq!(parcel.tracking_number, "JD0146 0000 3");
    assert!(parcel.ship_time.is_some() && parcel.deliver_time.is_none());

    shop.deliver(&placed.id).await;
    let event = watch.message().await.expect("stream").expect("delivered");
    assert_eq!(event.status(), OrderStatus::Delivered);
    assert!(watch.message().await.expect("stream").is_none(), "ended");

    let delivered = shop.get("alice", &placed.id).await.expect("get");
    assert_eq!(delivered.status(), OrderStatus::Delivered);
    let parcel = delivered.shipment.expect("the parcel");
    assert_eq!(parcel.carrier, "DHL");
    assert!(parcel.deliver_time.is_some());
    let published: Vec<String> = shop
        .order_events()
        .await
        .into_iter()
        .filter(|e| e.aggregate_id == placed.id)
        .map(|e| e.r#type)
        .collect();
    assert!(published.ends_with(&[
        types::ORDER_SHIPPED.to_owned(),
        types::ORDER_DELIVERED.to_owned()
    ]));
}

/// A `fulfilment.shipment.*` event about the parcel of `order_id`.
fn shipment_event(event_type: &str, order_id: &str, sequence: i64) -> Event {
    let at = Some(timestamp::from_datetime(time::OffsetDateTime::now_utc()));
    let (status, deliver_time) = if event_type == types::SHIPMENT_DELIVERED {
        (ShipmentStatus::Delivered, at)
    } else {
        (ShipmentStatus::Shipped, None)
    };
    Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        r#type: event_type.into(),
        aggregate_id: "0190a1b2-0000-7000-8000-0000000005e1".into(),
        aggregate_sequence: sequence,
        occur_time: at,
        traceparent: String::new(),
        payload: Some(Payload::Shipment(ShipmentChanged {
            shipment: Some(Shipment {
                id: "0190a1b2-0000-7000-8000-0000000005e1".into(),
                order_id: order_id.into(),
                status: status.into(),
                carrier: "UPS".into(),
                tracking_number: "1Z999".into(),
                ship_time: at,
                deliver_time,
                ..Default::default()
            }),
        })),
    }
}

#[tokio::test]
async fn parcel_news_never_moves_an_order_backwards() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    let consumer = shop.parcel_consumer().await;
    let shipped = shipment_event(types::SHIPMENT_SHIPPED, &placed.id, 3);

    consumer
        .apply_batch(std::slice::from_ref(&shipped))
        .await
        .expect("applied");
    // The same event again (a redelivery) is a duplicate.
    consumer.apply_batch(&[shipped]).await.expect("applied");
    let order = shop.get("alice", &placed.id).await.expect("get");
    assert_eq!(order.status(), OrderStatus::Shipped);
    assert_eq!(order.shipment.expect("parcel").carrier, "UPS");

    consumer
        .apply_batch(&[shipment_event(types::SHIPMENT_DELIVERED, &placed.id, 4)])
        .await
        .expect("applied");
    // A shipped event published anew after the delivery changes nothing.
    consumer
        .apply_batch(&[shipment_event(types::SHIPMENT_SHIPPED, &placed.id, 5)])
        .await
        .expect("acknowledged");
    let order = shop.get("alice", &placed.id).await.expect("get");
    assert_eq!(order.status(), OrderStatus::Delivered);
    let statuses: Vec<String> = shop
        .order_events()
        .await
        .into_iter()
        .filter(|e| e.aggregate_id == placed.id)
        .map(|e| e.r#type)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|t| *t == types::ORDER_SHIPPED)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_delivery_heard_before_the_shipping_fills_in_the_parcel() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    let consumer = shop.parcel_consumer().await;

    consumer
        .apply_batch(&[shipment_event(types::SHIPMENT_DELIVERED, &placed.id, 4)])
        .await
        .expect("applied");
    consumer
        .apply_batch(&[shipment_event(types::SHIPMENT_SHIPPED, &placed.id, 3)])
        .await
        .expect("acknowledged");

    let order = shop.get("alice", &placed.id).await.expect("get");
    assert_eq!(order.status(), OrderStatus::Delivered);
    let parcel = order.shipment.expect("the parcel");
    assert_eq!(
        (parcel.carrier.as_str(), parcel.tracking_number.as_str()),
        ("UPS", "1Z999")
    );
    assert!(parcel.ship_time.is_some() && parcel.deliver_time.is_some());
}

#[tokio::test]
async fn news_of_an_unknown_order_is_acknowledged() {
    let shop = TestShop::spawn().await;
    let consumer = shop.parcel_consumer().await;
    let unknown = "0190a1b2-0000-7000-8000-00000000beef";

    let applied = consumer
        .apply_batch(&[shipment_event(types::SHIPMENT_SHIPPED, unknown, 1)])
        .await
        .expect("acknowledged, not retried");

    assert_eq!(applied.applied, 1);
}

#[tokio::test]
async fn cancelling_before_shipping_cancels_the_shipment_and_refunds() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    shop.shipment_of(&placed.id).await;

    let cancelled = shop
        .orders
        .clone()
        .cancel_order(shop.as_user("alice", cancel(&placed.id)))
        .await
        .expect("cancelled")
        .into_inner();

    assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    let shipment = shop.shipment_of(&placed.id).await;
    assert_eq!(shipment.status(), ShipmentStatus::Cancelled);
    assert_eq!(shipment.cancel_reason, "changed my mind");
    let payments = shop.payments_of(&placed.id).await;
    assert_eq!(payments[0].status(), PaymentStatus::Refunded);
    assert_eq!(shop.stock(&mug).await.available, 10);
}

#[tokio::test]
async fn a_parcel_that_has_left_cannot_be_cancelled_and_nothing_is_refunded() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    shop.ship(&placed.id).await;

    // Whether or not orders has heard of the shipping yet, it is refused.
    let refused = shop
        .orders
        .clone()
        .cancel_order(shop.as_user("alice", cancel(&placed.id)))
        .await;
    let status = expect_code(refused, Code::FailedPrecondition);
    assert_eq!(reason(&status), "ORDER_NOT_CANCELLABLE");
    assert_eq!(info(&status, "status"), "SHIPPED");
    assert!(status.message().contains("left"), "{status:?}");

    shop.reaches("alice", &placed.id, OrderStatus::Shipped)
        .await;
    let refused = shop
        .orders
        .clone()
        .cancel_order(shop.as_user("alice", cancel(&placed.id)))
        .await;
    let status = expect_code(refused, Code::FailedPrecondition);
    assert_eq!(reason(&status), "ORDER_NOT_CANCELLABLE");
    let payments = shop.payments_of(&placed.id).await;
    assert_eq!(payments[0].status(), PaymentStatus::Captured);
    assert!(payments[0].refunds.is_empty());
}

#[tokio::test]
async fn a_shipment_cancelled_while_orders_was_down_ends_in_a_refunded_cancelled_order() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_000, 10).await;
    let placed = shop.buy_one("alice", &mug).await;
    shop.shipment_of(&placed.id).await;
    let consumer = shop.parcel_consumer().await;

    // CancelOrder cancelled the shipment, then orders stopped before the
    // order itself moved: the shipment's event finishes the job.
    let mut cancelled = shipment_event(types::SHIPMENT_CANCELLED, &placed.id, 3);
    if let Some(Payload::Shipment(changed)) = cancelled.payload.as_mut()
        && let Some(shipment) = changed.shipment.as_mut()
    {
        shipment.status = ShipmentStatus::Cancelled.into();
        shipment.cancel_reason = "changed my mind".into();
    }
    consumer.apply_batch(&[cancelled]).await.expect("applied");

    let order = shop
        .reaches("alice", &placed.id, OrderStatus::Cancelled)
        .await;
    assert_eq!(order.cancel_reason, "changed my mind");
    let payments = shop.payments_of(&placed.id).await;
    assert_eq!(payments[0].status(), PaymentStatus::Refunded);
    assert_eq!(shop.stock(&mug).await.available, 10);
}

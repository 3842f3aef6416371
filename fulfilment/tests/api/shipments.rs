//! Shipments made and cancelled by the orders' events: one per confirmed
//! order however often its event arrives, cancelled with the order until
//! the parcel has left, and malformed events refused.

use contracts::{
    events::{Event, event::Payload},
    fulfilment::{ListShipmentsRequest, ShipmentStatus},
};
use platform::{events::HandlerError, testing::address};
use tonic::Code;

use crate::helpers::{TestApp, expect_code, get, order_event, order_of};

const CONFIRMED: &str = "orders.order.confirmed";
const CANCELLED: &str = "orders.order.cancelled";

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmed_order_gets_one_pending_shipment_of_its_lines_to_its_address() {
    let app = TestApp::spawn().await;
    let order = order_of("user-1");

    app.deliver([order_event(CONFIRMED, &order, 4)]).await;

    let shipment = app.shipment_of(&order).await;
    assert_eq!(shipment.status(), ShipmentStatus::Pending);
    assert_eq!(shipment.order_id, order.id);
    assert_eq!(shipment.user_id, "user-1");
    let lines: Vec<(&str, i64)> = shipment
        .lines
        .iter()
        .map(|l| (l.product_name.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [("Teapot", 1), ("Cup", 4)]);
    assert_eq!(shipment.address, Some(address()));
    assert!(shipment.create_time.is_some());
    assert!(shipment.pack_time.is_none() && shipment.ship_time.is_none());
    assert!(shipment.carrier.is_empty() && shipment.tracking_number.is_empty());

    let events = app.outbox().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].r#type, "fulfilment.shipment.created");
    assert_eq!(events[0].aggregate_id, shipment.id);
    let Some(Payload::Shipment(changed)) = &events[0].payload else {
        panic!("the event carries the shipment");
    };
    assert_eq!(changed.shipment.as_ref(), Some(&shipment));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_order_confirmed_twice_still_has_one_shipment() {
    let app = TestApp::spawn().await;
    let order = order_of("user-1");
    let event = order_event(CONFIRMED, &order, 4);

    app.deliver([event.clone()]).await;
    let first = app.shipment_of(&order).await;
    // Redelivered (the inbox skips it), then published again under a new
    // id and number (it reaches the handler).
    app.deliver([event.clone()]).await;
    app.deliver([Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        aggregate_sequence: 6,
        ..event
    }])
    .await;

    assert_eq!(app.shipment_of(&order).await, first);
    let listed = app
        .list(ListShipmentsRequest::default())
        .await
        .expect("a listing");
    assert_eq!(listed.shipments.len(), 1);
    assert_eq!(app.events_of(&first).await, ["fulfilment.shipment.created"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_cancelled_before_its_parcel_left_cancels_the_shipment() {
    let app = TestApp::spawn().await;
    for packed_first in [false, true] {
        let order = order_of("user-1");
        app.deliver([order_event(CONFIRMED, &order, 4)]).await;
        let shipment = app.shipment_of(&order).await;
        if packed_first {
            app.pack(&shipment.id).await.expect("packed");
        }

        app.deliver([order_event(CANCELLED, &order, 5)]).await;

        let cancelled = app.shipment_of(&order).await;
        assert_eq!(cancelled.status(), ShipmentStatus::Cancelled);
        assert!(cancelled.cancel_time.is_some());
        assert_eq!(
            app.events_of(&shipment).await.last().map(String::as_str),
            Some("fulfilment.shipment.cancelled")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_cancelled_after_its_parcel_left_leaves_the_shipment_as_it_is() {
    let app = TestApp::spawn().await;
    let order = order_of("user-1");
    app.deliver([order_event(CONFIRMED, &order, 4)]).await;
    let shipment = app.shipment_of(&order).await;
    app.pack(&shipment.id).await.expect("packed");
    let shipped = app
        .ship(&shipment.id, "DHL", "1Z-42")
        .await
        .expect("shipped");
    let events = app.events_of(&shipment).await;

    app.deliver([order_event(CANCELLED, &order, 5)]).await;

    assert_eq!(app.shipment_of(&order).await, shipped);
    assert_eq!(app.events_of(&shipment).await, events);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_order_without_a_shipment_changes_nothing() {
    let app = TestApp::spawn().await;
    let order = order_of("user-1");

    app.deliver([order_event(CANCELLED, &order, 5)]).await;

    let missing = app.get(app.as_admin(get(&order))).await;
    expect_code(missing, Code::NotFound);
    assert!(app.outbox().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_event_older_than_the_confirmation_is_skipped() {
    let app = TestApp::spawn().await;
    let order = order_of("user-1");
    app.deliver([order_event(CONFIRMED, &order, 4)]).await;

    // Out of order: a cancellation numbered before the confirmation.
    let applied = app
        .try_deliver([order_event(CANCELLED, &order, 3)])
        .await
        .expect("the batch is applied");

    assert_eq!(applied.stale, 1);
    assert_eq!(
        app.shipment_of(&order).await.status(),
        ShipmentStatus::Pending
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_events_are_rejected_and_create_nothing() {
    let app = TestApp::spawn().await;
    let good = order_of("user-1");
    let mut no_address = order_of("user-1");
    no_address.shipping_address = None;
    let mut no_lines = order_of("user-1");
    no_lines.lines.clear();
    let mut bad_id = order_of("user-1");
    bad_id.id = "not-a-uuid".into();
    let no_user = order_of("");
    let mut no_payload = order_event(CONFIRMED, &good, 4);
    no_payload.payload = None;

    let malformed = [
        order_event(CONFIRMED, &no_address, 4),
        order_event(CONFIRMED, &no_lines, 4),
        order_event(CONFIRMED, &bad_id, 4),
        order_event(CONFIRMED, &no_user, 4),
        order_event(CANCELLED, &bad_id, 5),
        no_payload,
    ];
    for event in malformed {
        let outcome = app.try_deliver([event.clone()]).await;
        assert!(
            matches!(outcome, Err(HandlerError::Rejected(_))),
            "{event:?} is rejected, not {outcome:?}"
        );
    }
    assert!(app.outbox().await.is_empty());
    let listed = app
        .list(ListShipmentsRequest::default())
        .await
        .expect("a listing");
    assert!(listed.shipments.is_empty());
}

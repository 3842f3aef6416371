//! CancelShipment, as the orders service calls it when an order is
//! cancelled: a shipment not yet shipped is cancelled with the order's
//! reason, once; a parcel that left stays; and an order whose confirmed
//! event has not arrived yet gets its shipment created already cancelled.

use contracts::fulfilment::{self as proto, ShipmentStatus};
use platform::events::types;
use tonic::Code;

use crate::helpers::{
    TestApp, expect_code, get, info, order_event, order_of, reason, violated_fields,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_shipment_is_cancelled_with_its_reason_and_published() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;
    let shipment = app.shipment_of(&order).await;

    let cancelled = app
        .cancel(&order, "changed my mind")
        .await
        .expect("cancelled");
    assert_eq!(cancelled.id, shipment.id);
    assert_eq!(cancelled.status(), ShipmentStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason, "changed my mind");
    assert!(cancelled.cancel_time.is_some());
    assert_eq!(app.shipment_of(&order).await, cancelled);
    assert_eq!(
        app.events_of(&shipment).await,
        [
            "fulfilment.shipment.created",
            "fulfilment.shipment.cancelled"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_packed_shipment_is_cancelled() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;
    let shipment = app.shipment_of(&order).await;
    app.pack(&shipment.id).await.expect("packed");

    let cancelled = app.cancel(&order, "").await.expect("cancelled");
    assert_eq!(cancelled.status(), ShipmentStatus::Cancelled);
    assert!(cancelled.pack_time.is_some());
    assert_eq!(cancelled.cancel_reason, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_twice_answers_the_cancelled_shipment_and_publishes_once() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;
    let first = app.cancel(&order, "first").await.expect("cancelled");
    let second = app.cancel(&order, "second").await.expect("still cancelled");
    assert_eq!(second, first);
    assert_eq!(second.cancel_reason, "first");
    assert_eq!(
        app.events_of(&first).await,
        [
            "fulfilment.shipment.created",
            "fulfilment.shipment.cancelled"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shipped_parcel_cannot_be_cancelled() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;
    let shipment = app.shipment_of(&order).await;
    app.pack(&shipment.id).await.expect("packed");
    app.ship(&shipment.id, "DHL", "1Z-1")
        .await
        .expect("shipped");

    let refused = expect_code(
        app.cancel(&order, "too late").await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&refused), "SHIPMENT_STATUS");
    assert_eq!(info(&refused, "status"), "shipped");

    app.deliver_shipment(&shipment.id).await.expect("delivered");
    let refused = expect_code(
        app.cancel(&order, "too late").await,
        Code::FailedPrecondition,
    );
    assert_eq!(info(&refused, "status"), "delivered");
    assert_eq!(
        app.shipment_of(&order).await.status(),
        ShipmentStatus::Delivered
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_shipment_cannot_be_shipped() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;
    let shipment = app.cancel(&order, "").await.expect("cancelled");
    let refused = expect_code(
        app.ship(&shipment.id, "DHL", "1Z-1").await,
        Code::FailedPrecondition,
    );
    assert_eq!(info(&refused, "status"), "cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_cancelled_before_its_confirmation_arrives_gets_a_cancelled_shipment() {
    let app = TestApp::spawn().await;
    let order = order_of("user-1");

    let answered = app
        .cancel(&order, "changed my mind")
        .await
        .expect("cancelled");
    assert_eq!(answered.order_id, order.id);
    assert_eq!(answered.status(), ShipmentStatus::Cancelled);
    assert_eq!(answered.cancel_reason, "changed my mind");
    // Nobody's shipment yet: nothing to read, list or publish.
    expect_code(app.get(app.as_admin(get(&order))).await, Code::NotFound);
    let listed = app
        .list(proto::ListShipmentsRequest::default())
        .await
        .expect("listed");
    assert!(listed.shipments.is_empty());
    assert!(app.outbox().await.is_empty());
    let again = app.cancel(&order, "again").await.expect("still cancelled");
    assert_eq!(again.id, answered.id);

    app.deliver([order_event(types::ORDER_CONFIRMED, &order, 4)])
        .await;
    let shipment = app.shipment_of(&order).await;
    assert_eq!(shipment.id, answered.id);
    assert_eq!(shipment.status(), ShipmentStatus::Cancelled);
    assert_eq!(shipment.user_id, "user-1");
    assert_eq!(shipment.lines.len(), 2);
    assert_eq!(shipment.address, order.shipping_address);
    assert_eq!(shipment.cancel_reason, "changed my mind");
    assert_eq!(
        app.events_of(&shipment).await,
        ["fulfilment.shipment.cancelled"]
    );

    // The order's own cancelled event, the backstop, changes nothing more.
    app.deliver([order_event(types::ORDER_CANCELLED, &order, 5)])
        .await;
    assert_eq!(app.events_of(&shipment).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancellation_racing_the_confirmation_ends_cancelled_and_published_once() {
    let app = TestApp::spawn().await;
    for _ in 0..8 {
        let order = order_of("user-1");
        let (cancelled, ()) = tokio::join!(
            app.cancel(&order, "race"),
            app.deliver([order_event(types::ORDER_CONFIRMED, &order, 4)]),
        );
        let cancelled = cancelled.expect("cancelled");
        let shipment = app.shipment_of(&order).await;
        assert_eq!(shipment.id, cancelled.id);
        assert_eq!(shipment.status(), ShipmentStatus::Cancelled);
        assert_eq!(shipment.lines.len(), 2);
        let events = app.events_of(&shipment).await;
        assert!(
            events == ["fulfilment.shipment.cancelled"]
                || events
                    == [
                        "fulfilment.shipment.created",
                        "fulfilment.shipment.cancelled"
                    ],
            "{events:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_orders_service_cancels_shipments() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;
    let request = || proto::CancelShipmentRequest {
        order_id: order.id.clone(),
        reason: String::new(),
    };
    let mut client = app.client.clone();
    expect_code(
        client
            .cancel_shipment(app.as_customer("user-1", request()))
            .await,
        Code::PermissionDenied,
    );
    expect_code(
        client.cancel_shipment(app.as_admin(request())).await,
        Code::PermissionDenied,
    );
    expect_code(
        client.cancel_shipment(tonic::Request::new(request())).await,
        Code::Unauthenticated,
    );
    assert_eq!(
        app.shipment_of(&order).await.status(),
        ShipmentStatus::Pending
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_order_id_or_a_long_reason_is_invalid() {
    let app = TestApp::spawn().await;
    let mut order = order_of("user-1");
    order.id = "not-a-uuid".into();
    let invalid = expect_code(
        app.cancel(&order, &"x".repeat(201)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&invalid), ["order_id", "reason"]);
}

//! A shipment's life through the admins' calls: packed, shipped and
//! delivered in that order only, each change once however often it is
//! asked for, and every change published.

use std::time::Duration;

use contracts::fulfilment::ShipmentStatus;
use tonic::Code;

use crate::helpers::{TestApp, expect_code, info, reason, seconds, violated_fields};

#[tokio::test(flavor = "multi_thread")]
async fn a_shipment_is_packed_shipped_and_delivered_with_each_time_set() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;

    app.wait(Duration::from_secs(60));
    let packed = app.pack(&shipment.id).await.expect("packed");
    assert_eq!(packed.status(), ShipmentStatus::Packed);
    assert!(packed.pack_time.is_some());
    assert_eq!(packed.update_time, packed.pack_time);
    assert_eq!(
        seconds(packed.pack_time.as_ref()),
        seconds(shipment.create_time.as_ref()) + 60
    );

    app.wait(Duration::from_secs(60));
    let shipped = app
        .ship(&shipment.id, "DHL", "1Z 999-AA1")
        .await
        .expect("shipped");
    assert_eq!(shipped.status(), ShipmentStatus::Shipped);
    assert_eq!(shipped.carrier, "DHL");
    assert_eq!(shipped.tracking_number, "1Z 999-AA1");
    assert_eq!(
        seconds(shipped.ship_time.as_ref()),
        seconds(packed.pack_time.as_ref()) + 60
    );

    app.wait(Duration::from_secs(60));
    let delivered = app.deliver_shipment(&shipment.id).await.expect("delivered");
    assert_eq!(delivered.status(), ShipmentStatus::Delivered);
    assert_eq!(
        seconds(delivered.deliver_time.as_ref()),
        seconds(shipped.ship_time.as_ref()) + 60
    );
    assert_eq!(delivered.create_time, shipment.create_time);
    assert!(delivered.cancel_time.is_none());

    assert_eq!(
        app.events_of(&shipment).await,
        [
            "fulfilment.shipment.created",
            "fulfilment.shipment.packed",
            "fulfilment.shipment.shipped",
            "fulfilment.shipment.delivered",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_out_of_order_are_refused_naming_the_status_and_change_nothing() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;

    let shipped = app.ship(&shipment.id, "DHL", "1Z-1").await;
    let refused = expect_code(shipped, Code::FailedPrecondition);
    assert_eq!(reason(&refused), "SHIPMENT_STATUS");
    assert_eq!(info(&refused, "status"), "pending");

    let delivered = app.deliver_shipment(&shipment.id).await;
    assert_eq!(
        info(&expect_code(delivered, Code::FailedPrecondition), "status"),
        "pending"
    );

    app.pack(&shipment.id).await.expect("packed");
    app.ship(&shipment.id, "DHL", "1Z-1")
        .await
        .expect("shipped");
    let repacked = app.pack(&shipment.id).await;
    assert_eq!(
        info(&expect_code(repacked, Code::FailedPrecondition), "status"),
        "shipped"
    );

    assert_eq!(
        app.shipment_of_id(&shipment).await.status(),
        ShipmentStatus::Shipped
    );
    assert_eq!(app.events_of(&shipment).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_step_asked_for_twice_changes_the_shipment_once() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;

    let first = app.pack(&shipment.id).await.expect("packed");
    app.wait(Duration::from_secs(60));
    let again = app.pack(&shipment.id).await.expect("packed again");
    assert_eq!(again, first);

    let shipped = app
        .ship(&shipment.id, "DHL", "1Z-1")
        .await
        .expect("shipped");
    let reshipped = app
        .ship(&shipment.id, "DHL", "1Z-1")
        .await
        .expect("the same again");
    assert_eq!(reshipped, shipped);

    assert_eq!(
        app.events_of(&shipment).await,
        [
            "fulfilment.shipment.created",
            "fulfilment.shipment.packed",
            "fulfilment.shipment.shipped",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_admins_packing_at_once_pack_it_once_and_all_get_it_back() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;

    let answers = futures_util::future::join_all((0..10).map(|_| app.pack(&shipment.id))).await;

    let packed: Vec<_> = answers
        .into_iter()
        .map(|a| a.expect("every admin gets the shipment"))
        .collect();
    assert!(packed.iter().all(|p| *p == packed[0]));
    assert_eq!(packed[0].status(), ShipmentStatus::Packed);
    assert_eq!(
        app.events_of(&shipment).await,
        ["fulfilment.shipment.created", "fulfilment.shipment.packed"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shipping_again_with_another_carrier_or_tracking_number_is_refused() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;
    app.pack(&shipment.id).await.expect("packed");
    let shipped = app
        .ship(&shipment.id, "DHL", "1Z-1")
        .await
        .expect("shipped");

    for (carrier, tracking) in [("UPS", "1Z-1"), ("DHL", "1Z-2")] {
        let again = app.ship(&shipment.id, carrier, tracking).await;
        let refused = expect_code(again, Code::FailedPrecondition);
        assert_eq!(info(&refused, "status"), "shipped");
    }
    assert_eq!(app.shipment_of_id(&shipment).await, shipped);
}

#[tokio::test(flavor = "multi_thread")]
async fn shipping_needs_a_carrier_and_a_tracking_number_that_are_valid() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;
    app.pack(&shipment.id).await.expect("packed");
    let long = "x".repeat(65);

    let cases = [
        ("", "1Z-1", vec!["carrier"]),
        (long.as_str(), "1Z-1", vec!["carrier"]),
        ("DHL", "", vec!["tracking_number"]),
        ("DHL", "1Z/1", vec!["tracking_number"]),
        ("DHL", &"9".repeat(65), vec!["tracking_number"]),
        ("", "<1>", vec!["carrier", "tracking_number"]),
    ];
    for (carrier, tracking, fields) in cases {
        let refused = app.ship(&shipment.id, carrier, tracking).await;
        let status = expect_code(refused, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), fields, "{carrier:?} {tracking:?}");
    }
    let bad_id = app.ship("42", "DHL", "1Z-1").await;
    assert_eq!(
        violated_fields(&expect_code(bad_id, Code::InvalidArgument)),
        ["shipment_id"]
    );
    let unknown = app.pack(&uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(
        reason(&expect_code(unknown, Code::NotFound)),
        "SHIPMENT_NOT_FOUND"
    );

    assert_eq!(
        app.shipment_of_id(&shipment).await.status(),
        ShipmentStatus::Packed
    );
}

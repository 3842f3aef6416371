//! The demo mode: shipments walk to delivered by themselves, a step each
//! time they have sat in a status long enough, publishing every step.

use std::time::Duration;

use contracts::fulfilment::ShipmentStatus;

use crate::helpers::{TestApp, eventually};

const STEP: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_mode_walks_a_shipment_to_delivered_one_step_per_wait() {
    let app = TestApp::spawn_with(|config| {
        config.demo_advance = Some(STEP);
        config.demo_sweep_interval = Duration::from_millis(20);
    })
    .await;
    let shipment = app.pending_shipment("user-1").await;

    for expected in [
        ShipmentStatus::Packed,
        ShipmentStatus::Shipped,
        ShipmentStatus::Delivered,
    ] {
        // Not before it has waited its time.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_ne!(app.shipment_of_id(&shipment).await.status(), expected);
        app.wait(STEP);
        eventually("the shipment takes its next step", || async {
            app.shipment_of_id(&shipment).await.status() == expected
        })
        .await;
    }

    let delivered = app.shipment_of_id(&shipment).await;
    assert_eq!(delivered.carrier, "Demo Post");
    let hex = delivered
        .tracking_number
        .strip_prefix("DEMO-")
        .expect("a demo tracking number");
    assert!(hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()));
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
async fn without_the_demo_mode_shipments_wait_for_the_warehouse() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;

    app.wait(Duration::from_secs(24 * 3600));
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_eq!(
        app.shipment_of_id(&shipment).await.status(),
        ShipmentStatus::Pending
    );
}

//! ListShipments: the warehouse's queue, oldest first, paged as AIP-158
//! says, filtered by status and customer.

use std::time::Duration;

use contracts::fulfilment::{self as proto, ShipmentStatus};
use platform::testing::every_page;
use tonic::Code;

use crate::helpers::{TestApp, expect_code, violated_fields};

/// Five shipments a minute apart: user-1, user-2, user-1, user-2, user-1.
async fn five_shipments(app: &TestApp) -> Vec<proto::Shipment> {
    let mut made = vec![];
    for n in 0..5 {
        made.push(app.pending_shipment(&format!("user-{}", n % 2 + 1)).await);
        app.wait(Duration::from_secs(60));
    }
    made
}

fn ids(shipments: &[proto::Shipment]) -> Vec<&str> {
    shipments.iter().map(|s| s.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_follow_each_other_oldest_first_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let made = five_shipments(&app).await;

    let (listed, pages) = every_page(|page_token| async {
        let page = app
            .list(proto::ListShipmentsRequest {
                page_size: 2,
                page_token,
                ..Default::default()
            })
            .await
            .expect("a page");
        (page.shipments, page.next_page_token)
    })
    .await;

    assert_eq!(pages, 3);
    assert_eq!(ids(&listed), ids(&made));
}

#[tokio::test(flavor = "multi_thread")]
async fn shipments_are_filtered_by_status_and_customer() {
    let app = TestApp::spawn().await;
    let made = five_shipments(&app).await;
    app.pack(&made[2].id).await.expect("packed");
    app.pack(&made[3].id).await.expect("packed");

    let packed = app
        .list(proto::ListShipmentsRequest {
            status: ShipmentStatus::Packed.into(),
            ..Default::default()
        })
        .await
        .expect("a listing");
    assert_eq!(ids(&packed.shipments), ids(&made[2..4]));

    let pending_of_user_1 = app
        .list(proto::ListShipmentsRequest {
            status: ShipmentStatus::Pending.into(),
            user_id: "user-1".into(),
            ..Default::default()
        })
        .await
        .expect("a listing");
    assert_eq!(
        ids(&pending_of_user_1.shipments),
        [made[0].id.as_str(), made[4].id.as_str()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_token_is_refused_when_tampered_with_or_used_with_other_filters() {
    let app = TestApp::spawn().await;
    five_shipments(&app).await;
    let first = app
        .list(proto::ListShipmentsRequest {
            page_size: 2,
            user_id: "user-1".into(),
            ..Default::default()
        })
        .await
        .expect("a page");
    let token = first.next_page_token;
    assert!(!token.is_empty());

    let mut tampered = token.clone();
    tampered.insert(3, 'x');
    let forged = app
        .list(proto::ListShipmentsRequest {
            page_size: 2,
            page_token: tampered,
            user_id: "user-1".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        violated_fields(&expect_code(forged, Code::InvalidArgument)),
        ["page_token"]
    );

    let other_filters = app
        .list(proto::ListShipmentsRequest {
            page_size: 2,
            page_token: token,
            user_id: "user-2".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        violated_fields(&expect_code(other_filters, Code::InvalidArgument)),
        ["page_token"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_listing_requests_name_their_fields() {
    let app = TestApp::spawn().await;
    let refused = app
        .list(proto::ListShipmentsRequest {
            page_size: -1,
            status: 42,
            ..Default::default()
        })
        .await;
    assert_eq!(
        violated_fields(&expect_code(refused, Code::InvalidArgument)),
        ["page_size", "status"]
    );
}

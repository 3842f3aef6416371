//! Who may call what: customers read the shipment of their own orders
//! only; the warehouse's methods are for admins.

use contracts::fulfilment as proto;
use platform::auth::Role;
use tonic::{Code, Request};

use crate::helpers::{TestApp, expect_code, get, order_of, reason, violated_fields};

#[tokio::test(flavor = "multi_thread")]
async fn customers_read_the_shipment_of_their_own_order_only() {
    let app = TestApp::spawn().await;
    let order = app.confirmed_order("user-1").await;

    let own = app
        .get(app.as_customer("user-1", get(&order)))
        .await
        .expect("the customer's own shipment");
    assert_eq!(own.order_id, order.id);

    let others = app.get(app.as_customer("user-2", get(&order))).await;
    assert_eq!(
        reason(&expect_code(others, Code::NotFound)),
        "SHIPMENT_NOT_FOUND"
    );
    let anonymous = app.get(Request::new(get(&order))).await;
    expect_code(anonymous, Code::Unauthenticated);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_without_a_shipment_yet_is_not_found() {
    let app = TestApp::spawn().await;
    let unconfirmed = order_of("user-1");

    let missing = app.get(app.as_customer("user-1", get(&unconfirmed))).await;
    expect_code(missing, Code::NotFound);

    let bad = app
        .get(app.as_customer(
            "user-1",
            proto::GetShipmentRequest {
                order_id: "order-1".into(),
            },
        ))
        .await;
    assert_eq!(
        violated_fields(&expect_code(bad, Code::InvalidArgument)),
        ["order_id"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn customers_may_not_move_or_list_shipments_even_their_own() {
    let app = TestApp::spawn().await;
    let shipment = app.pending_shipment("user-1").await;
    let mut client = app.client.clone();
    let customer = |message| app.as_customer("user-1", message);

    let pack = client
        .pack_shipment(customer(proto::PackShipmentRequest {
            shipment_id: shipment.id.clone(),
        }))
        .await;
    expect_code(pack, Code::PermissionDenied);
    let ship = client
        .ship_shipment(app.as_customer(
            "user-1",
            proto::ShipShipmentRequest {
                shipment_id: shipment.id.clone(),
                carrier: "DHL".into(),
                tracking_number: "1Z-1".into(),
            },
        ))
        .await;
    expect_code(ship, Code::PermissionDenied);
    let deliver = client
        .deliver_shipment(app.as_customer(
            "user-1",
            proto::DeliverShipmentRequest {
                shipment_id: shipment.id.clone(),
            },
        ))
        .await;
    expect_code(deliver, Code::PermissionDenied);
    let list = client
        .list_shipments(app.as_customer("user-1", proto::ListShipmentsRequest::default()))
        .await;
    expect_code(list, Code::PermissionDenied);

    let service = app.auth.service_token("shop-orders", "user-1", Role::Admin);
    let as_service = client
        .pack_shipment(platform::testing::authorized(
            proto::PackShipmentRequest {
                shipment_id: shipment.id.clone(),
            },
            &service,
        ))
        .await;
    expect_code(as_service, Code::PermissionDenied);

    assert_eq!(app.events_of(&shipment).await.len(), 1, "nothing changed");
}

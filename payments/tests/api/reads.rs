//! GetPayment and ListPayments: customers see only their own payments,
//! listings are newest first, filter by order and user, and page with
//! tokens bound to their filters.

use std::time::Duration;

use contracts::payments::{self as proto, ListPaymentsRequest};
use payments::processor::card::test_cards;
use tonic::Code;

use crate::helpers::*;

/// Charges `user_id` for `order_id` as the orders service would.
async fn charge_for(app: &TestApp, user_id: &str, key: &str, order_id: &str) -> proto::Payment {
    let request = proto::ChargeRequest {
        order_id: order_id.to_owned(),
        ..charge_request(key, 100, card(test_cards::APPROVED))
    };
    let payment = app
        .payments
        .clone()
        .charge(app.as_orders_for(user_id, request))
        .await
        .expect("charge")
        .into_inner();
    // Distinct creation times, as in real life.
    app.clock.advance(Duration::from_secs(1));
    payment
}

fn list(page_size: i32, page_token: &str, order_id: &str, user_id: &str) -> ListPaymentsRequest {
    ListPaymentsRequest {
        page_size,
        page_token: page_token.to_owned(),
        order_id: order_id.to_owned(),
        user_id: user_id.to_owned(),
    }
}

fn ids(payments: &[proto::Payment]) -> Vec<String> {
    payments.iter().map(|p| p.id.clone()).collect()
}

#[tokio::test]
async fn a_customer_gets_only_their_own_payment() {
    let app = TestApp::spawn().await;
    let payment = charge_for(&app, CUSTOMER, "k1", "order-1").await;
    let get = |id: &str| proto::GetPaymentRequest { id: id.to_owned() };

    let own = app
        .payments
        .clone()
        .get_payment(app.as_customer(CUSTOMER, get(&payment.id)))
        .await
        .expect("their own")
        .into_inner();
    assert_eq!(own, payment);

    let someone_elses = app
        .payments
        .clone()
        .get_payment(app.as_customer("customer-2", get(&payment.id)))
        .await;
    let hidden = expect_code(someone_elses, Code::NotFound);
    let missing = expect_code(
        app.payments
            .clone()
            .get_payment(app.as_customer("customer-2", get("0190a1b2-0000-7000-8000-000000000001")))
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&hidden), "PAYMENT_NOT_FOUND");
    assert_eq!(reason(&hidden), reason(&missing), "indistinguishable");

    for request in [
        app.as_admin(get(&payment.id)),
        app.as_orders_for("x", get(&payment.id)),
    ] {
        app.payments
            .clone()
            .get_payment(request)
            .await
            .expect("admins and the orders service see every payment");
    }

    let invalid = app
        .payments
        .clone()
        .get_payment(app.as_admin(get("42")))
        .await;
    assert_eq!(
        violated_fields(&expect_code(invalid, Code::InvalidArgument)),
        ["id"]
    );
}

#[tokio::test]
async fn listing_pages_through_every_payment_once_newest_first() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            charge_for(&app, CUSTOMER, &format!("k{i}"), &format!("order-{i}"))
                .await
                .id,
        );
    }
    created.reverse();

    let app = &app;
    let (seen, pages) = every_page(|token| async move {
        let request = app.as_admin(list(2, &token, "", ""));
        let page = app.payments.clone().list_payments(request).await;
        let page = page.expect("list").into_inner();
        (ids(&page.payments), page.next_page_token)
    })
    .await;
    assert_eq!(seen, created);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn listing_filters_by_order_and_user_and_customers_see_their_own() {
    let app = TestApp::spawn().await;
    let mine_1 = charge_for(&app, CUSTOMER, "k1", "order-1").await;
    let mine_2 = charge_for(&app, CUSTOMER, "k2", "order-2").await;
    let theirs = charge_for(&app, "customer-2", "k3", "order-1").await;
    let listed = |request| {
        let mut client = app.payments.clone();
        async move {
            client
                .list_payments(request)
                .await
                .map(|r| ids(&r.into_inner().payments))
        }
    };

    assert_eq!(
        listed(app.as_admin(list(0, "", "order-1", "")))
            .await
            .expect("list"),
        [theirs.id.clone(), mine_1.id.clone()]
    );
    assert_eq!(
        listed(app.as_admin(list(0, "", "", "customer-2")))
            .await
            .expect("list"),
        [theirs.id.as_str()]
    );
    assert_eq!(
        listed(app.as_orders(list(0, "", "order-1", CUSTOMER)))
            .await
            .expect("list"),
        [mine_1.id.as_str()]
    );

    // A customer's listing is their own, whether they say so or not.
    let own = [mine_2.id.clone(), mine_1.id.clone()];
    assert_eq!(
        listed(app.as_customer(CUSTOMER, list(0, "", "", "")))
            .await
            .expect("list"),
        own
    );
    assert_eq!(
        listed(app.as_customer(CUSTOMER, list(0, "", "", CUSTOMER)))
            .await
            .expect("list"),
        own
    );
    assert_eq!(
        listed(app.as_customer(CUSTOMER, list(0, "", "order-1", "")))
            .await
            .expect("list"),
        [mine_1.id.as_str()]
    );
    let other_user = listed(app.as_customer(CUSTOMER, list(0, "", "", "customer-2"))).await;
    assert_eq!(
        reason(&expect_code(other_user, Code::PermissionDenied)),
        "PERMISSION_DENIED"
    );
}

#[tokio::test]
async fn a_page_token_is_refused_if_tampered_with_or_used_with_other_filters() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        charge_for(&app, CUSTOMER, &format!("k{i}"), "order-1").await;
    }
    let first = app
        .payments
        .clone()
        .list_payments(app.as_admin(list(1, "", "order-1", "")))
        .await
        .expect("list")
        .into_inner();
    assert!(!first.next_page_token.is_empty());

    let other_filters = app
        .payments
        .clone()
        .list_payments(app.as_admin(list(1, &first.next_page_token, "order-2", "")))
        .await;
    assert_eq!(
        violated_fields(&expect_code(other_filters, Code::InvalidArgument)),
        ["page_token"]
    );

    // A customer cannot continue an admin's listing of everyone.
    let everyone = app
        .payments
        .clone()
        .list_payments(app.as_admin(list(1, "", "", "")))
        .await
        .expect("list")
        .into_inner();
    let borrowed = app
        .payments
        .clone()
        .list_payments(app.as_customer(CUSTOMER, list(1, &everyone.next_page_token, "", "")))
        .await;
    expect_code(borrowed, Code::InvalidArgument);

    let mut tampered = first.next_page_token.clone();
    tampered.insert(3, 'x');
    let status = expect_code(
        app.payments
            .clone()
            .list_payments(app.as_admin(list(1, &tampered, "order-1", "")))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["page_token"]);

    let bad = app
        .payments
        .clone()
        .list_payments(app.as_admin(list(-1, "", "no spaces allowed", "")))
        .await;
    assert_eq!(
        violated_fields(&expect_code(bad, Code::InvalidArgument)),
        ["page_size", "order_id"]
    );
}

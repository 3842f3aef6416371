//! VoidCharge: settling a charge whose caller will never come back. A key
//! voided before any charge can no longer charge; a processing charge is
//! voided once no attempt is with the processor; a charge with an outcome
//! keeps it (of a void and a capture, exactly one wins).

use std::time::Duration;

use contracts::payments::{self as proto, PaymentStatus};
use payments::processor::card::test_cards;
use tonic::Code;

use crate::helpers::*;

impl TestApp {
    /// Voids the charge under `key` (for order `order-<key>`) as orders would.
    async fn void(&self, key: &str) -> Result<Option<proto::Payment>, tonic::Status> {
        self.payments
            .clone()
            .void_charge(self.as_orders(proto::VoidChargeRequest {
                idempotency_key: key.to_owned(),
                order_id: format!("order-{key}"),
            }))
            .await
            .map(|r| r.into_inner().payment)
    }
}

#[tokio::test]
async fn a_key_voided_before_any_charge_never_charges() {
    let app = TestApp::spawn().await;
    assert_eq!(app.void("k1").await.expect("void"), None);
    assert_eq!(app.void("k1").await.expect("again"), None, "idempotent");

    let late = app
        .charge(charge_request("k1", 700, card(test_cards::APPROVED)))
        .await
        .expect("a voided charge is a result");
    assert_eq!(late.status(), PaymentStatus::Voided);
    assert_eq!(minor(&late.captured), 0);
    assert!(app.ledger(&late.id).await.is_empty());
    assert_eq!(app.network.charge_calls(), 0, "never sent to the network");
}

#[tokio::test]
async fn a_charge_interrupted_by_transient_trouble_is_voided_and_never_captures() {
    let app = TestApp::spawn().await;
    let request = charge_request("k1", 1200, card(test_cards::FLAKY));
    let first = app.charge(request.clone()).await;
    expect_code(first, Code::Unavailable);

    let voided = app.void("k1").await.expect("void").expect("a payment");
    assert_eq!(voided.status(), PaymentStatus::Voided);
    let retried = app.charge(request).await.expect("the retry is answered");
    assert_eq!(
        (retried.id.as_str(), retried.status()),
        (voided.id.as_str(), PaymentStatus::Voided)
    );
    assert!(app.ledger(&voided.id).await.is_empty());
    assert_eq!(app.network.charges_decided(), 0);
}

#[tokio::test]
async fn a_captured_charge_stays_captured() {
    let app = TestApp::spawn().await;
    let paid = app
        .charge(charge_request("k1", 900, card(test_cards::APPROVED)))
        .await
        .expect("charge");
    let after = app.void("k1").await.expect("void").expect("a payment");
    assert_eq!(
        (after.id.clone(), after.status()),
        (paid.id.clone(), PaymentStatus::Captured)
    );
    assert_eq!(app.ledger(&paid.id).await.len(), 1);
}

#[tokio::test]
async fn a_charge_with_the_processor_is_not_voided_until_its_attempt_lets_go() {
    // The attempt stays with the network; the manual clock keeps its lease.
    let app = TestApp::spawn_with(|config| {
        config.card_network = config.card_network.with_latency(Duration::from_secs(600));
        config.timing.processor_timeout = Duration::from_secs(900);
    })
    .await;
    let charging = {
        let app_payments = app.payments.clone();
        let request = app.as_orders(charge_request("k1", 500, card(test_cards::APPROVED)));
        tokio::spawn(async move { app_payments.clone().charge(request).await })
    };
    eventually("the charge is processing", || async {
        app.payments
            .clone()
            .list_payments(app.as_admin(proto::ListPaymentsRequest {
                order_id: "order-k1".into(),
                ..Default::default()
            }))
            .await
            .is_ok_and(|r| !r.into_inner().payments.is_empty())
    })
    .await;
    assert_eq!(
        reason(&expect_code(app.void("k1").await, Code::Unavailable)),
        "CHARGE_IN_PROGRESS"
    );
    charging.abort();
}

#[tokio::test]
async fn a_key_is_voided_only_for_its_own_order() {
    let app = TestApp::spawn().await;
    app.void("k1").await.expect("void");
    let other = app
        .payments
        .clone()
        .void_charge(app.as_orders(proto::VoidChargeRequest {
            idempotency_key: "k1".into(),
            order_id: "another-order".into(),
        }))
        .await;
    assert_eq!(
        reason(&expect_code(other, Code::AlreadyExists)),
        "IDEMPOTENCY_KEY_REUSED"
    );
    let invalid = app
        .payments
        .clone()
        .void_charge(app.as_orders(proto::VoidChargeRequest::default()))
        .await;
    assert_eq!(
        violated_fields(&expect_code(invalid, Code::InvalidArgument)),
        ["idempotency_key", "order_id"]
    );
    let customer = app
        .payments
        .clone()
        .void_charge(app.as_customer(CUSTOMER, proto::VoidChargeRequest::default()))
        .await;
    expect_code(customer, Code::PermissionDenied);
}

//! Refund: partial and full refunds that never exceed the capture (also
//! when they race), idempotency by key, wallet refunds, refunds interrupted
//! by transient trouble, and a ledger that always agrees with the totals.

use std::sync::Arc;

use contracts::payments::{self as proto, PaymentStatus, RefundStatus};
use payments::{
    domain::{EntryKind, ledger::payment_totals},
    processor::card::test_cards,
};
use tonic::Code;

use crate::helpers::*;

/// A captured card payment of `amount_minor` USD.
async fn paid(app: &TestApp, key: &str, amount_minor: i64) -> proto::Payment {
    let payment = app
        .charge(charge_request(
            key,
            amount_minor,
            card(test_cards::APPROVED),
        ))
        .await
        .expect("charge");
    assert_eq!(payment.status(), PaymentStatus::Captured);
    payment
}

/// Asserts the payment's totals are what its ledger entries add up to.
async fn assert_ledger_agrees(app: &TestApp, payment: &proto::Payment) {
    let ledger = app.ledger(&payment.id).await;
    assert_eq!(
        payment_totals(&ledger),
        (minor(&payment.captured), minor(&payment.refunded)),
        "the ledger agrees with the payment: {ledger:#?}"
    );
    assert!(minor(&payment.refunded) <= minor(&payment.captured));
}

#[tokio::test]
async fn partial_refunds_add_up_until_the_capture_is_used() {
    let app = TestApp::spawn().await;
    let payment = paid(&app, "k1", 1000).await;

    let partly = app
        .refund("r1", &payment.id, Some(300))
        .await
        .expect("refund");
    assert_eq!(partly.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(minor(&partly.refunded), 300);
    assert_eq!(partly.refunds.len(), 1);
    assert_eq!(partly.refunds[0].amount, Some(usd(300)));
    assert_eq!(partly.refunds[0].status(), RefundStatus::Succeeded);

    let fully = app
        .refund("r2", &payment.id, Some(700))
        .await
        .expect("refund");
    assert_eq!(fully.status(), PaymentStatus::Refunded);
    assert_eq!(minor(&fully.refunded), 1000);
    let amounts: Vec<i64> = fully.refunds.iter().map(|r| minor(&r.amount)).collect();
    assert_eq!(amounts, [300, 700], "oldest first");

    let more = app.refund("r3", &payment.id, Some(1)).await;
    let status = expect_code(more, Code::FailedPrecondition);
    assert_eq!(reason(&status), "REFUND_EXCEEDS_CAPTURE");
    assert_eq!(info(&status, "refundable_minor"), "0");

    assert_ledger_agrees(&app, &fully).await;
    assert_eq!(app.network.refunds_sent(), 2);
}

#[tokio::test]
async fn a_refund_without_an_amount_refunds_what_is_left() {
    let app = TestApp::spawn().await;
    let payment = paid(&app, "k1", 1000).await;
    app.refund("r1", &payment.id, Some(250))
        .await
        .expect("refund");
    let rest = app.refund("r2", &payment.id, None).await.expect("refund");
    assert_eq!(rest.status(), PaymentStatus::Refunded);
    assert_eq!(minor(&rest.refunds[1].amount), 750);

    let nothing_left = app.refund("r3", &payment.id, None).await;
    assert_eq!(
        reason(&expect_code(nothing_left, Code::FailedPrecondition)),
        "REFUND_EXCEEDS_CAPTURE"
    );
}

#[tokio::test]
async fn a_refund_larger_than_what_is_left_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let payment = paid(&app, "k1", 1000).await;
    let too_much = app.refund("r1", &payment.id, Some(1001)).await;
    let status = expect_code(too_much, Code::FailedPrecondition);
    assert_eq!(reason(&status), "REFUND_EXCEEDS_CAPTURE");
    assert_eq!(info(&status, "refundable_minor"), "1000");

    let unchanged = app.payment(&payment.id).await;
    assert_eq!(unchanged.status(), PaymentStatus::Captured);
    assert!(unchanged.refunds.is_empty());
    assert_eq!(app.ledger(&payment.id).await.len(), 1);
    // The refused key was not used up.
    app.refund("r1", &payment.id, Some(1000))
        .await
        .expect("the key is still free");
}

#[tokio::test]
async fn a_declined_payment_has_nothing_to_refund() {
    let app = TestApp::spawn().await;
    let declined = app
        .charge(charge_request("k1", 1000, card(test_cards::DECLINED)))
        .await
        .expect("a decline");
    let refund = app.refund("r1", &declined.id, None).await;
    assert_eq!(
        reason(&expect_code(refund, Code::FailedPrecondition)),
        "REFUND_EXCEEDS_CAPTURE"
    );
}

#[tokio::test]
async fn a_refund_is_idempotent_by_key() {
    let app = TestApp::spawn().await;
    let payment = paid(&app, "k1", 1000).await;
    let other = paid(&app, "k2", 1000).await;

    let first = app
        .refund("r1", &payment.id, Some(400))
        .await
        .expect("refund");
    let repeat = app
        .refund("r1", &payment.id, Some(400))
        .await
        .expect("repeat");
    assert_eq!(repeat, first);
    assert_eq!(minor(&repeat.refunded), 400, "refunded once");

    for (payment_id, amount) in [
        (&payment.id, Some(401)),
        (&payment.id, None),
        (&other.id, Some(400)),
    ] {
        let reused = app.refund("r1", payment_id, amount).await;
        let status = expect_code(reused, Code::AlreadyExists);
        assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
    }
    assert_eq!(app.network.refunds_sent(), 1);
    assert_ledger_agrees(&app, &app.payment(&payment.id).await).await;
}

#[tokio::test]
async fn refund_requests_are_validated() {
    let app = TestApp::spawn().await;
    let payment = paid(&app, "k1", 1000).await;

    let euros = app
        .payments
        .clone()
        .refund(app.as_orders(proto::RefundRequest {
            idempotency_key: "r1".into(),
            payment_id: payment.id.clone(),
            amount: Some(contracts::common::Money {
                currency_code: "EUR".into(),
                amount_minor: 100,
            }),
            reason: String::new(),
        }))
        .await;
    assert_eq!(
        violated_fields(&expect_code(euros, Code::InvalidArgument)),
        ["amount.currency_code"]
    );

    let bad = app
        .payments
        .clone()
        .refund(app.as_orders(proto::RefundRequest {
            idempotency_key: String::new(),
            payment_id: "42".into(),
            amount: Some(usd(0)),
            reason: "x".repeat(201),
        }))
        .await;
    assert_eq!(
        violated_fields(&expect_code(bad, Code::InvalidArgument)),
        [
            "idempotency_key",
            "payment_id",
            "amount.amount_minor",
            "reason"
        ]
    );

    let unknown = app
        .refund("r1", "0190a1b2-0000-7000-8000-000000000001", None)
        .await;
    assert_eq!(
        reason(&expect_code(unknown, Code::NotFound)),
        "PAYMENT_NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_partial_refunds_never_exceed_the_capture() {
    let app = Arc::new(TestApp::spawn().await);
    let payment = paid(&app, "k1", 1000).await;

    // Ten refunds of 300 race for 1000: three fit.
    let results = concurrently(10, |i| {
        let (app, id) = (app.clone(), payment.id.clone());
        async move { app.refund(&format!("r{i}"), &id, Some(300)).await }
    })
    .await;
    let mut refunded = 0;
    for result in results {
        match result {
            Ok(_) => refunded += 1,
            Err(status) => assert_eq!(reason(&status), "REFUND_EXCEEDS_CAPTURE", "{status:?}"),
        }
    }
    assert_eq!(refunded, 3);

    let after = app.payment(&payment.id).await;
    assert_eq!(minor(&after.refunded), 900);
    assert_eq!(after.refunds.len(), 3);
    let ledger = app.ledger(&payment.id).await;
    let refund_entries: i64 = ledger
        .iter()
        .filter(|e| e.kind == EntryKind::Refund)
        .map(|e| e.amount_minor)
        .sum();
    assert_eq!(refund_entries, minor(&after.refunded));
    assert_ledger_agrees(&app, &after).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_repeats_of_one_refund_refund_once() {
    let app = Arc::new(TestApp::spawn().await);
    let payment = paid(&app, "k1", 1000).await;
    let results = concurrently(10, |_| {
        let (app, id) = (app.clone(), payment.id.clone());
        async move { app.refund("r1", &id, Some(400)).await }
    })
    .await;
    for result in results {
        let payment = result.expect("every repeat succeeds");
        assert_eq!(minor(&payment.refunded), 400);
    }
    let after = app.payment(&payment.id).await;
    assert_eq!(after.refunds.len(), 1);
    assert_eq!(app.network.refunds_sent(), 1);
    assert_ledger_agrees(&app, &after).await;
}

#[tokio::test]
async fn a_wallet_payment_is_refunded_into_the_wallet() {
    let app = TestApp::spawn().await;
    app.top_up("t1", CUSTOMER, 1000).await;
    let payment = app
        .charge(charge_request("k1", 600, wallet()))
        .await
        .expect("charge");
    assert_eq!(app.balance(CUSTOMER).await, 400);

    app.refund("r1", &payment.id, Some(200))
        .await
        .expect("refund");
    assert_eq!(app.balance(CUSTOMER).await, 600);
    let rest = app.refund("r2", &payment.id, None).await.expect("refund");
    assert_eq!(rest.status(), PaymentStatus::Refunded);
    assert_eq!(app.balance(CUSTOMER).await, 1000);
    assert_eq!(app.network.refunds_sent(), 0, "no card was involved");
    assert_ledger_agrees(&app, &rest).await;
}

#[tokio::test]
async fn a_refund_interrupted_by_transient_trouble_is_pending_until_retried() {
    let app = TestApp::spawn().await;
    // The flaky card fails the first attempt of the charge and of each refund.
    let request = charge_request("k1", 1000, card(test_cards::FLAKY));
    let _ = app.charge(request.clone()).await;
    let payment = app.charge(request).await.expect("the retry captures");

    let interrupted = app.refund("r1", &payment.id, Some(500)).await;
    assert_eq!(
        reason(&expect_code(interrupted, Code::Unavailable)),
        "PROCESSOR_UNAVAILABLE"
    );
    // Recorded, and counted, but not yet sent.
    let pending = app.payment(&payment.id).await;
    assert_eq!(minor(&pending.refunded), 500);
    assert_eq!(pending.refunds[0].status(), RefundStatus::Pending);
    assert_eq!(app.network.refunds_sent(), 0);

    let sent = app
        .refund("r1", &payment.id, Some(500))
        .await
        .expect("retry");
    assert_eq!(sent.refunds.len(), 1);
    assert_eq!(sent.refunds[0].status(), RefundStatus::Succeeded);
    assert_eq!(minor(&sent.refunded), 500);
    assert_eq!(app.network.refunds_sent(), 1);
    assert_ledger_agrees(&app, &sent).await;
}

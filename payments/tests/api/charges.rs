//! Charge: card and wallet charges, each test card's outcome, idempotency
//! by key (repeats, reuse, concurrent duplicates, transient trouble and
//! stalled attempts), and input validation.

use std::{sync::Arc, time::Duration};

use contracts::{
    common::{DeclineCode, PaymentMethodType},
    payments::{self as proto, PaymentStatus},
};
use payments::{domain::EntryKind, processor::card::test_cards};
use tonic::Code;

use crate::helpers::*;

/// The payments made for `order_id`, read as an admin.
async fn payments_of_order(app: &TestApp, order_id: &str) -> Vec<proto::Payment> {
    app.payments
        .clone()
        .list_payments(app.as_admin(proto::ListPaymentsRequest {
            order_id: order_id.to_owned(),
            ..Default::default()
        }))
        .await
        .expect("list")
        .into_inner()
        .payments
}

#[tokio::test]
async fn a_card_charge_is_captured_and_keeps_only_brand_and_last_four() {
    let app = TestApp::spawn().await;
    let payment = app
        .charge(charge_request("k1", 1999, card(test_cards::APPROVED)))
        .await
        .expect("charge");

    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(payment.order_id, "order-k1");
    assert_eq!(payment.user_id, CUSTOMER);
    assert_eq!(payment.amount, Some(usd(1999)));
    assert_eq!(payment.captured, Some(usd(1999)));
    assert_eq!(payment.refunded, Some(usd(0)));
    assert_eq!(payment.decline_code(), DeclineCode::Unspecified);
    let method = payment.method.clone().expect("method summary");
    assert_eq!(method.method_type(), PaymentMethodType::Card);
    assert_eq!(
        (method.card_brand.as_str(), method.card_last4.as_str()),
        ("visa", "4242")
    );
    assert!(payment.create_time.is_some() && payment.update_time.is_some());

    let ledger = app.ledger(&payment.id).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0].kind, ledger[0].amount_minor),
        (EntryKind::Charge, 1999)
    );
    assert!(
        ledger[0]
            .processor_reference
            .as_deref()
            .is_some_and(|r| r.contains(&payment.id)),
        "the network's id for the charge is kept: {:?}",
        ledger[0].processor_reference
    );
}

#[tokio::test]
async fn each_test_card_has_its_documented_outcome() {
    let app = TestApp::spawn().await;
    let cases = [
        (test_cards::APPROVED, DeclineCode::Unspecified, "visa"),
        (
            test_cards::APPROVED_MASTERCARD,
            DeclineCode::Unspecified,
            "mastercard",
        ),
        (test_cards::APPROVED_AMEX, DeclineCode::Unspecified, "amex"),
        (
            test_cards::APPROVED_DISCOVER,
            DeclineCode::Unspecified,
            "discover",
        ),
        (test_cards::DECLINED, DeclineCode::GenericDecline, "visa"),
        (
            test_cards::INSUFFICIENT_FUNDS,
            DeclineCode::InsufficientFunds,
            "visa",
        ),
        (test_cards::EXPIRED, DeclineCode::ExpiredCard, "visa"),
        (test_cards::INCORRECT_CVC, DeclineCode::IncorrectCvc, "visa"),
    ];
    for (i, (number, decline, brand)) in cases.into_iter().enumerate() {
        let payment = app
            .charge(charge_request(&format!("card-{i}"), 500, card(number)))
            .await
            .unwrap_or_else(|e| panic!("{number}: {e:?}"));
        let declined = decline != DeclineCode::Unspecified;
        let expected = if declined {
            PaymentStatus::Declined
        } else {
            PaymentStatus::Captured
        };
        assert_eq!(payment.status(), expected, "{number}");
        assert_eq!(payment.decline_code(), decline, "{number}");
        assert_eq!(
            minor(&payment.captured),
            if declined { 0 } else { 500 },
            "{number}"
        );
        assert_eq!(payment.method.expect("method").card_brand, brand);
        let charges = app.ledger(&payment.id).await.len();
        assert_eq!(charges, usize::from(!declined), "{number}: ledger entries");
    }

    // Transient trouble is an error to retry, not a result.
    let down = app
        .charge(charge_request("down", 500, card(test_cards::UNAVAILABLE)))
        .await;
    assert_eq!(
        reason(&expect_code(down, Code::Unavailable)),
        "PROCESSOR_UNAVAILABLE"
    );
}

#[tokio::test]
async fn a_card_past_its_expiry_month_by_the_service_clock_is_declined() {
    let app = TestApp::spawn().await;
    let today = app.clock.now();
    let this_month = || {
        card_with(
            test_cards::APPROVED,
            i32::from(u8::from(today.month())),
            today.year(),
            "123",
        )
    };
    let good = app
        .charge(charge_request("this-month", 100, this_month()))
        .await
        .expect("charge");
    assert_eq!(good.status(), PaymentStatus::Captured);

    // A little over a month later, the same card has expired.
    app.clock.advance(Duration::from_secs(32 * 24 * 3600));
    let late = app
        .charge(charge_request("next-month", 100, this_month()))
        .await
        .expect("a decline is a result");
    assert_eq!(late.status(), PaymentStatus::Declined);
    assert_eq!(late.decline_code(), DeclineCode::ExpiredCard);
    assert!(app.ledger(&late.id).await.is_empty());
}

#[tokio::test]
async fn a_repeat_with_the_same_key_returns_the_first_payment_without_charging_again() {
    let app = TestApp::spawn().await;
    let first = app
        .charge(charge_request("k1", 700, card(test_cards::APPROVED)))
        .await
        .expect("charge");
    // The CVC is not part of "the same request": it is never kept.
    let repeat = app
        .charge(charge_request(
            "k1",
            700,
            card_with(test_cards::APPROVED, 12, 2099, "999"),
        ))
        .await
        .expect("repeat");
    assert_eq!(repeat, first);
    assert_eq!(app.network.charges_decided(), 1);
    assert_eq!(
        app.network.charge_calls(),
        1,
        "the repeat never reached the network"
    );
    assert_eq!(app.ledger(&first.id).await.len(), 1);
}

#[tokio::test]
async fn the_same_key_with_a_different_request_is_refused() {
    let app = TestApp::spawn().await;
    let original = charge_request("k1", 700, card(test_cards::APPROVED));
    app.charge(original.clone()).await.expect("charge");

    let mut other_order = original.clone();
    other_order.order_id = "order-2".into();
    let reused = [
        charge_request("k1", 701, card(test_cards::APPROVED)),
        charge_request("k1", 700, card(test_cards::APPROVED_MASTERCARD)),
        charge_request("k1", 700, card_with(test_cards::APPROVED, 11, 2099, "123")),
        charge_request("k1", 700, wallet()),
        other_order,
    ];
    for request in reused {
        let status = expect_code(app.charge(request).await, Code::AlreadyExists);
        assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
        assert_eq!(info(&status, "idempotency_key"), "k1");
    }

    // Acting for another user is another request too.
    let other_payer = app
        .payments
        .clone()
        .charge(app.as_orders_for("customer-2", original))
        .await;
    expect_code(other_payer, Code::AlreadyExists);
    assert_eq!(app.network.charges_decided(), 1);
}

#[tokio::test]
async fn a_declined_charge_is_repeated_as_declined_not_retried() {
    let app = TestApp::spawn().await;
    let request = charge_request("k1", 700, card(test_cards::INSUFFICIENT_FUNDS));
    let first = app.charge(request.clone()).await.expect("declined");
    let repeat = app.charge(request).await.expect("declined again");
    assert_eq!(repeat, first);
    assert_eq!(repeat.decline_code(), DeclineCode::InsufficientFunds);
    assert_eq!(app.network.charge_calls(), 1);
}

#[tokio::test]
async fn transient_trouble_is_unavailable_and_a_retry_with_the_same_key_finishes_the_charge() {
    let app = TestApp::spawn().await;
    let request = charge_request("k1", 1200, card(test_cards::FLAKY));

    let first = app.charge(request.clone()).await;
    assert_eq!(
        reason(&expect_code(first, Code::Unavailable)),
        "PROCESSOR_UNAVAILABLE"
    );
    let pending = payments_of_order(&app, "order-k1").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].status(), PaymentStatus::Processing);
    assert_eq!(minor(&pending[0].captured), 0);

    let retried = app.charge(request).await.expect("the retry succeeds");
    assert_eq!(
        retried.id, pending[0].id,
        "the retry finished the same payment"
    );
    assert_eq!(retried.status(), PaymentStatus::Captured);
    assert_eq!(app.ledger(&retried.id).await.len(), 1);
    assert_eq!(app.network.charges_decided(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_charges_with_one_key_charge_once_and_all_see_the_same_payment() {
    // A slow network keeps the first call in flight while the others arrive.
    let app = Arc::new(
        TestApp::spawn_with(|config| {
            config.card_network = config.card_network.with_latency(Duration::from_millis(300));
        })
        .await,
    );
    let results = concurrently(20, |_| {
        let app = app.clone();
        async move {
            app.charge(charge_request("k1", 2500, card(test_cards::APPROVED)))
                .await
        }
    })
    .await;

    let payments: Vec<proto::Payment> = results
        .into_iter()
        .map(|result| result.expect("every duplicate gets the payment"))
        .collect();
    assert!(payments.iter().all(|p| *p == payments[0]), "{payments:#?}");
    assert_eq!(payments[0].status(), PaymentStatus::Captured);
    let ledger = app.ledger(&payments[0].id).await;
    assert_eq!(ledger.len(), 1, "exactly one ledger charge");
    assert_eq!(ledger[0].kind, EntryKind::Charge);
    assert_eq!(app.network.charge_calls(), 1, "the network was asked once");
    assert_eq!(payments_of_order(&app, "order-k1").await.len(), 1);
}

#[tokio::test]
async fn a_repeat_that_waits_too_long_for_the_first_call_is_told_to_retry() {
    let app = Arc::new(
        TestApp::spawn_with(|config| {
            config.card_network = config.card_network.with_latency(Duration::from_millis(800));
            config.timing.duplicate_wait = Duration::from_millis(100);
        })
        .await,
    );
    let request = charge_request("k1", 900, card(test_cards::APPROVED));
    let first = tokio::spawn({
        let (app, request) = (app.clone(), request.clone());
        async move { app.charge(request).await }
    });
    eventually("the first call is in flight", || async {
        payments_of_order(&app, "order-k1").await.len() == 1
    })
    .await;

    let impatient = app.charge(request.clone()).await;
    let status = expect_code(impatient, Code::Unavailable);
    assert_eq!(reason(&status), "CHARGE_IN_PROGRESS");

    let first = first.await.expect("task").expect("the first call succeeds");
    let later = app.charge(request).await.expect("a later repeat");
    assert_eq!(later, first);
    assert_eq!(app.network.charge_calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_charge_stalled_on_one_replica_is_taken_over_after_its_lease_and_charged_once() {
    // Replica A reaches the network over a very slow link; its lease is one
    // second of the (manual) service clock.
    let a = Arc::new(
        TestApp::spawn_with(|config| {
            config.card_network = config.card_network.with_latency(Duration::from_secs(2));
            config.timing.charge_lease = Duration::from_secs(1);
            config.timing.duplicate_wait = Duration::from_millis(100);
        })
        .await,
    );
    let b = a
        .replica_with(|config| {
            config.card_network = config.card_network.with_latency(Duration::ZERO);
        })
        .await;
    let request = charge_request("k1", 4200, card(test_cards::APPROVED));

    let on_a = tokio::spawn({
        let (a, request) = (a.clone(), request.clone());
        async move { a.charge(request).await }
    });
    eventually("A's attempt holds the charge", || async {
        payments_of_order(&a, "order-k1").await.len() == 1
    })
    .await;

    // While A's lease runs, B waits and then asks the caller to retry.
    let early = b.charge(request.clone()).await;
    assert_eq!(
        reason(&expect_code(early, Code::Unavailable)),
        "CHARGE_IN_PROGRESS"
    );

    // Once it has run out, B takes the charge over and finishes it.
    a.clock.advance(Duration::from_secs(2));
    let taken_over = b.charge(request).await.expect("B finishes the charge");
    assert_eq!(taken_over.status(), PaymentStatus::Captured);

    // A's slow attempt ends with the same payment, and nothing twice.
    let from_a = on_a.await.expect("task").expect("A's call");
    assert_eq!(from_a.id, taken_over.id);
    assert_eq!(from_a.status(), PaymentStatus::Captured);
    assert_eq!(a.ledger(&taken_over.id).await.len(), 1);
    assert_eq!(a.network.charges_decided(), 1);
    drop(b);
}

#[tokio::test]
async fn every_invalid_field_of_a_charge_is_named() {
    let app = TestApp::spawn().await;
    let status = expect_code(
        app.charge(proto::ChargeRequest {
            idempotency_key: "not a key!".into(),
            order_id: "x".repeat(65),
            amount: Some(contracts::common::Money {
                currency_code: "XXX".into(),
                amount_minor: 100,
            }),
            payment_method: Some(card_with("4242424242424241", 0, 99, "12345")),
        })
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        [
            "idempotency_key",
            "order_id",
            "amount.currency_code",
            "payment_method.card.number",
            "payment_method.card.exp_month",
            "payment_method.card.exp_year",
            "payment_method.card.cvc",
        ]
    );

    let too_much = app
        .charge(charge_request(
            "k1",
            100_000_001,
            card(test_cards::APPROVED),
        ))
        .await;
    assert_eq!(
        violated_fields(&expect_code(too_much, Code::InvalidArgument)),
        ["amount.amount_minor"]
    );
    let nothing = app
        .charge(charge_request("k1", 0, card(test_cards::APPROVED)))
        .await;
    assert_eq!(
        violated_fields(&expect_code(nothing, Code::InvalidArgument)),
        ["amount.amount_minor"]
    );
    let no_method = app
        .charge(proto::ChargeRequest {
            payment_method: None,
            amount: None,
            ..charge_request("k1", 100, wallet())
        })
        .await;
    assert_eq!(
        violated_fields(&expect_code(no_method, Code::InvalidArgument)),
        ["amount", "payment_method"]
    );
    let bad_year = app
        .charge(charge_request(
            "k1",
            100,
            card_with(test_cards::APPROVED, 1, 30, "123"),
        ))
        .await;
    assert_eq!(
        violated_fields(&expect_code(bad_year, Code::InvalidArgument)),
        ["payment_method.card.exp_year"]
    );
    assert_eq!(app.network.charge_calls(), 0);
}

#[tokio::test]
async fn a_charge_answers_the_payment_exactly_as_stored_whatever_its_outcome() {
    let app = TestApp::spawn().await;
    app.top_up("t1", CUSTOMER, 1000).await;
    let outcomes = [
        (
            "card",
            card(test_cards::APPROVED),
            1999,
            PaymentStatus::Captured,
        ),
        (
            "declined",
            card(test_cards::DECLINED),
            1999,
            PaymentStatus::Declined,
        ),
        ("wallet", wallet(), 600, PaymentStatus::Captured),
        ("short", wallet(), 600, PaymentStatus::Declined),
    ];
    for (key, method, amount, expected) in outcomes {
        let answered = app
            .charge(charge_request(key, amount, method))
            .await
            .expect("charge");
        assert_eq!(answered.status(), expected, "{key}");
        let stored = app.payment(&answered.id).await;
        assert_eq!(answered, stored, "{key}: the answer is what was stored");
        let repeated = app
            .charge(charge_request(key, amount, method_of(key)))
            .await
            .expect("repeat");
        assert_eq!(repeated, stored, "{key}: a repeat answers the same");
    }
    assert_eq!(app.balance(CUSTOMER).await, 400, "one wallet debit");
}

/// The method of the outcome `key` above, again.
fn method_of(key: &str) -> contracts::common::PaymentMethod {
    match key {
        "card" => card(test_cards::APPROVED),
        "declined" => card(test_cards::DECLINED),
        _ => wallet(),
    }
}

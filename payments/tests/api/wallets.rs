//! Wallets: admins top them up (idempotently), everyone reads their own,
//! wallet charges debit them and are declined when the balance is short,
//! and concurrent charges can never take a balance below zero.

use std::sync::Arc;

use contracts::{
    common::{DeclineCode, PaymentMethodType},
    payments::{self as proto, PaymentStatus},
};
use tonic::Code;

use crate::helpers::*;

fn get_wallet(user_id: &str, currency_code: &str) -> proto::GetWalletRequest {
    proto::GetWalletRequest {
        user_id: user_id.to_owned(),
        currency_code: currency_code.to_owned(),
    }
}

#[tokio::test]
async fn a_wallet_starts_empty_and_admins_top_it_up() {
    let app = TestApp::spawn().await;
    let empty = app
        .payments
        .clone()
        .get_wallet(app.as_customer(CUSTOMER, get_wallet("", "USD")))
        .await
        .expect("own wallet")
        .into_inner();
    assert_eq!(empty.user_id, CUSTOMER);
    assert_eq!(empty.balance, Some(usd(0)));
    assert_eq!(empty.update_time, None, "it never changed");

    let topped = app.top_up("t1", CUSTOMER, 5000).await;
    assert_eq!(topped.balance, Some(usd(5000)));
    assert!(topped.update_time.is_some());

    let seen = app
        .payments
        .clone()
        .get_wallet(app.as_customer(CUSTOMER, get_wallet(CUSTOMER, "USD")))
        .await
        .expect("own wallet, named")
        .into_inner();
    assert_eq!(seen.balance, Some(usd(5000)));
    let euros = app
        .payments
        .clone()
        .get_wallet(app.as_customer(CUSTOMER, get_wallet("", "EUR")))
        .await
        .expect("another currency")
        .into_inner();
    assert_eq!(
        minor(&euros.balance),
        0,
        "each currency has its own balance"
    );
}

#[tokio::test]
async fn a_top_up_is_idempotent_by_key() {
    let app = TestApp::spawn().await;
    app.top_up("t1", CUSTOMER, 5000).await;
    let repeat = app.top_up("t1", CUSTOMER, 5000).await;
    assert_eq!(repeat.balance, Some(usd(5000)), "credited once");

    for reused in [
        top_up_request("t1", CUSTOMER, 5001),
        top_up_request("t1", "customer-2", 5000),
        proto::TopUpWalletRequest {
            reason: "another reason".into(),
            ..top_up_request("t1", CUSTOMER, 5000)
        },
    ] {
        let status = expect_code(
            app.payments
                .clone()
                .top_up_wallet(app.as_admin(reused))
                .await,
            Code::AlreadyExists,
        );
        assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
    }
    let ledger = app.user_ledger(CUSTOMER).await;
    assert_eq!(ledger.len(), 1, "one top-up entry");
}

#[tokio::test]
async fn a_wallet_charge_debits_the_balance_and_a_short_balance_is_declined() {
    let app = TestApp::spawn().await;
    app.top_up("t1", CUSTOMER, 1000).await;

    let paid = app
        .charge(charge_request("k1", 600, wallet()))
        .await
        .expect("charge");
    assert_eq!(paid.status(), PaymentStatus::Captured);
    let method = paid.method.expect("method");
    assert_eq!(method.method_type(), PaymentMethodType::Wallet);
    assert!(method.card_brand.is_empty() && method.card_last4.is_empty());
    assert_eq!(app.balance(CUSTOMER).await, 400);

    let short = app
        .charge(charge_request("k2", 500, wallet()))
        .await
        .expect("a decline is a result");
    assert_eq!(short.status(), PaymentStatus::Declined);
    assert_eq!(short.decline_code(), DeclineCode::InsufficientWalletBalance);
    assert_eq!(minor(&short.captured), 0);
    assert_eq!(app.balance(CUSTOMER).await, 400, "nothing was taken");

    let exact = app
        .charge(charge_request("k3", 400, wallet()))
        .await
        .expect("charge");
    assert_eq!(exact.status(), PaymentStatus::Captured);
    assert_eq!(app.balance(CUSTOMER).await, 0);

    // A user who never had credit is declined too.
    let stranger = app
        .payments
        .clone()
        .charge(app.as_orders_for("customer-2", charge_request("k4", 1, wallet())))
        .await
        .expect("a decline")
        .into_inner();
    assert_eq!(
        stranger.decline_code(),
        DeclineCode::InsufficientWalletBalance
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wallet_charges_never_take_the_balance_below_zero() {
    let app = Arc::new(TestApp::spawn().await);
    app.top_up("t1", CUSTOMER, 1000).await;

    // Ten charges of 300 race for 1000: exactly three are affordable.
    let results = concurrently(10, |i| {
        let app = app.clone();
        async move {
            app.charge(charge_request(&format!("k{i}"), 300, wallet()))
                .await
        }
    })
    .await;
    let mut captured = 0;
    for result in results {
        let payment = result.expect("a charge or a decline");
        match payment.status() {
            PaymentStatus::Captured => captured += 1,
            PaymentStatus::Declined => assert_eq!(
                payment.decline_code(),
                DeclineCode::InsufficientWalletBalance
            ),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(captured, 3);
    assert_eq!(app.balance(CUSTOMER).await, 100);

    // The balance is what the ledger says it is.
    let ledger = app.user_ledger(CUSTOMER).await;
    let from_ledger: i64 = ledger
        .iter()
        .map(payments::domain::LedgerEntry::wallet_effect)
        .sum();
    assert_eq!(from_ledger, 100);
}

#[tokio::test]
async fn customers_read_only_their_own_wallet() {
    let app = TestApp::spawn().await;
    app.top_up("t1", "customer-2", 700).await;

    let other = app
        .payments
        .clone()
        .get_wallet(app.as_customer(CUSTOMER, get_wallet("customer-2", "USD")))
        .await;
    assert_eq!(
        reason(&expect_code(other, Code::PermissionDenied)),
        "PERMISSION_DENIED"
    );

    for request in [
        app.as_admin(get_wallet("customer-2", "USD")),
        app.as_orders(get_wallet("customer-2", "USD")),
    ] {
        let wallet = app
            .payments
            .clone()
            .get_wallet(request)
            .await
            .expect("admins and the orders service read any wallet")
            .into_inner();
        assert_eq!(minor(&wallet.balance), 700);
    }
}

#[tokio::test]
async fn only_admins_top_wallets_up() {
    let app = TestApp::spawn().await;
    let customer = app
        .payments
        .clone()
        .top_up_wallet(app.as_customer(CUSTOMER, top_up_request("t1", CUSTOMER, 100)))
        .await;
    expect_code(customer, Code::PermissionDenied);
    let orders = app
        .payments
        .clone()
        .top_up_wallet(app.as_orders(top_up_request("t1", CUSTOMER, 100)))
        .await;
    expect_code(orders, Code::PermissionDenied);
    assert_eq!(app.balance(CUSTOMER).await, 0);
}

#[tokio::test]
async fn wallet_requests_are_validated() {
    let app = TestApp::spawn().await;
    let status = expect_code(
        app.payments
            .clone()
            .top_up_wallet(app.as_admin(proto::TopUpWalletRequest {
                user_id: String::new(),
                amount: Some(usd(100_000_001)),
                idempotency_key: "a b".into(),
                reason: " ".into(),
            }))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        [
            "user_id",
            "amount.amount_minor",
            "idempotency_key",
            "reason"
        ]
    );

    let no_currency = app
        .payments
        .clone()
        .get_wallet(app.as_customer(CUSTOMER, get_wallet("", "")))
        .await;
    assert_eq!(
        violated_fields(&expect_code(no_currency, Code::InvalidArgument)),
        ["currency_code"]
    );
}

//! Who may call what: moving money is for the orders service and admins,
//! reads are for everyone (customers: their own), top-ups for admins.

use contracts::payments::{self as proto, PaymentStatus};
use payments::processor::card::test_cards;
use platform::{
    auth::{Role, issuer},
    testing::authorized,
};
use tonic::Code;

use crate::helpers::*;

fn charge() -> proto::ChargeRequest {
    charge_request("k1", 500, card(test_cards::APPROVED))
}

#[tokio::test]
async fn customers_cannot_charge_or_refund_even_themselves() {
    let app = TestApp::spawn().await;
    let customer = app
        .payments
        .clone()
        .charge(app.as_customer(CUSTOMER, charge()))
        .await;
    assert_eq!(
        reason(&expect_code(customer, Code::PermissionDenied)),
        "PERMISSION_DENIED"
    );

    let payment = app.charge(charge()).await.expect("the orders service may");
    let refund = app
        .payments
        .clone()
        .refund(app.as_customer(
            CUSTOMER,
            proto::RefundRequest {
                idempotency_key: "r1".into(),
                payment_id: payment.id.clone(),
                amount: None,
                reason: String::new(),
            },
        ))
        .await;
    expect_code(refund, Code::PermissionDenied);
    assert_eq!(
        app.payment(&payment.id).await.status(),
        PaymentStatus::Captured
    );
}

#[tokio::test]
async fn the_orders_service_charges_the_user_it_acts_for() {
    let app = TestApp::spawn().await;
    let payment = app
        .payments
        .clone()
        .charge(app.as_orders_for("customer-7", charge()))
        .await
        .expect("charge")
        .into_inner();
    assert_eq!(payment.user_id, "customer-7");
}

#[tokio::test]
async fn admins_may_charge_and_refund_for_support() {
    let app = TestApp::spawn().await;
    let payment = app
        .payments
        .clone()
        .charge(app.as_admin(charge()))
        .await
        .expect("admins may charge")
        .into_inner();
    assert_eq!(payment.user_id, ADMIN, "the admin is the payer");
    app.payments
        .clone()
        .refund(app.as_admin(proto::RefundRequest {
            idempotency_key: "r1".into(),
            payment_id: payment.id,
            amount: None,
            reason: "support ticket 42".into(),
        }))
        .await
        .expect("admins may refund");
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let mut client = app.payments.clone();

    let anonymous = client
        .get_wallet(proto::GetWalletRequest {
            user_id: String::new(),
            currency_code: "USD".into(),
        })
        .await;
    assert_eq!(
        reason(&expect_code(anonymous, Code::Unauthenticated)),
        "TOKEN_MISSING"
    );
    let untrusted = client
        .charge(authorized(charge(), &app.auth.untrusted_token()))
        .await;
    assert_eq!(
        reason(&expect_code(untrusted, Code::Unauthenticated)),
        "TOKEN_UNTRUSTED_ISSUER"
    );
    let forged = client
        .charge(authorized(charge(), &app.auth.forged_token()))
        .await;
    assert_eq!(
        reason(&expect_code(forged, Code::Unauthenticated)),
        "TOKEN_INVALID"
    );
    assert_eq!(app.network.charge_calls(), 0);
}

#[tokio::test]
async fn a_service_token_is_not_an_admin_token() {
    let app = TestApp::spawn().await;
    // The orders service acting for an admin still may not top up wallets.
    let token = app.auth.service_token(issuer::ORDERS, ADMIN, Role::Admin);
    let result = app
        .payments
        .clone()
        .top_up_wallet(authorized(top_up_request("t1", CUSTOMER, 100), &token))
        .await;
    expect_code(result, Code::PermissionDenied);
}

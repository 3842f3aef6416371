//! PaymentService has no repeated request fields; its one bound on how
//! much a request may ask for is ListPayments' page_size.

use contracts::payments as proto;
use payments::processor::card::test_cards;

use crate::helpers::*;

#[tokio::test]
async fn a_page_size_above_100_is_served_as_100() {
    let app = TestApp::spawn().await;
    for i in 0..101 {
        app.charge(charge_request(
            &format!("k{i}"),
            100,
            card(test_cards::APPROVED),
        ))
        .await
        .expect("charge");
    }
    let list = |page_token: String| proto::ListPaymentsRequest {
        page_size: 101,
        page_token,
        ..Default::default()
    };
    let page = app
        .payments
        .clone()
        .list_payments(app.as_admin(list(String::new())))
        .await
        .expect("a page size above the maximum is coerced")
        .into_inner();
    assert_eq!(page.payments.len(), 100);
    assert!(!page.next_page_token.is_empty());

    let rest = app
        .payments
        .clone()
        .list_payments(app.as_admin(list(page.next_page_token)))
        .await
        .expect("second page")
        .into_inner();
    assert_eq!(rest.payments.len(), 1);
    assert!(rest.next_page_token.is_empty());
}

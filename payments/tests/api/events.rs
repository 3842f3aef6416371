//! What payments tells others: `payments.payment.captured` with each
//! capture and `payments.payment.refunded` with each refund, written in the
//! change's transaction, never for a decline, and with no card number.

use contracts::events::event::Payload;
use payments::processor::card::test_cards;
use platform::events::types;

use crate::helpers::*;

#[tokio::test]
async fn a_capture_and_each_refund_publish_one_event_and_a_decline_none() {
    let app = TestApp::spawn().await;
    let paid = app
        .charge(charge_request("k1", 5000, card(test_cards::APPROVED)))
        .await
        .expect("charge");
    let _declined = app
        .charge(charge_request("k2", 5000, card(test_cards::DECLINED)))
        .await
        .expect("a decline is an answer");
    app.refund("r1", &paid.id, Some(1000))
        .await
        .expect("refund");
    app.refund("r2", &paid.id, None)
        .await
        .expect("refund the rest");
    // A retried refund is the same refund: no second event.
    app.refund("r2", &paid.id, None).await.expect("repeat");

    let events = app.events().await;
    let kinds: Vec<(&str, &str, i64)> = events
        .iter()
        .map(|e| {
            (
                e.r#type.as_str(),
                e.aggregate_id.as_str(),
                e.aggregate_sequence,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (types::PAYMENT_CAPTURED, paid.id.as_str(), 1),
            (types::PAYMENT_REFUNDED, paid.id.as_str(), 2),
            (types::PAYMENT_REFUNDED, paid.id.as_str(), 3),
        ]
    );
    let refunded: Vec<(i64, i64)> = events[1..]
        .iter()
        .filter_map(|e| match &e.payload {
            Some(Payload::Payment(changed)) => Some((
                minor(&changed.refund.as_ref().and_then(|r| r.amount.clone())),
                minor(&changed.payment.as_ref().and_then(|p| p.refunded.clone())),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        refunded,
        vec![(1000, 1000), (4000, 5000)],
        "each refund and the total so far"
    );
}

#[tokio::test]
async fn events_never_carry_the_card_number() {
    let app = TestApp::spawn().await;
    app.charge(charge_request("k1", 5000, card(test_cards::APPROVED)))
        .await
        .expect("charge");
    let events = app.events().await;
    assert_eq!(events.len(), 1);
    let shown = format!("{events:?}");
    assert!(!shown.contains(test_cards::APPROVED), "{shown}");
    let Some(Payload::Payment(changed)) = &events[0].payload else {
        panic!("a payment event");
    };
    let method = changed
        .payment
        .as_ref()
        .and_then(|p| p.method.as_ref())
        .expect("the method");
    assert_eq!(method.card_last4, &test_cards::APPROVED[12..]);
}

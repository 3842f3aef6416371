//! The events payments publishes, written by the store in the transaction
//! of the change: `payments.payment.captured` when a charge is captured and
//! `payments.payment.refunded` when a refund succeeds, each with the whole
//! payment (cards as brand and last four, as the API shows them).

use contracts::{
    events::{PaymentChanged, event::Payload},
    payments as proto,
};
use platform::events::{NewEvent, types};

use crate::domain::{Payment, RefundId};

/// A charge was captured.
pub fn captured(payment: &Payment) -> NewEvent {
    NewEvent {
        event_type: types::PAYMENT_CAPTURED,
        aggregate_id: payment.id.to_string(),
        payload: Payload::Payment(PaymentChanged {
            payment: Some(proto::Payment::from(payment)),
            refund: None,
        }),
    }
}

/// The refund `refund` of `payment` succeeded.
pub fn refunded(payment: &Payment, refund: &RefundId) -> NewEvent {
    let snapshot = proto::Payment::from(payment);
    let refund = refund.to_string();
    let made = snapshot.refunds.iter().find(|r| r.id == refund).cloned();
    NewEvent {
        event_type: types::PAYMENT_REFUNDED,
        aggregate_id: payment.id.to_string(),
        payload: Payload::Payment(PaymentChanged {
            payment: Some(snapshot),
            refund: made,
        }),
    }
}

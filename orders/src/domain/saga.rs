//! The checkout saga as a pure state machine: which step an order's status
//! calls for, and which status each step's outcome leads to.
//!
//! Forward: PENDING -reserve-> STOCK_RESERVED -charge-> PAID -commit->
//! CONFIRMED. A failure after stock was reserved goes through COMPENSATING
//! (release the stock; refund if charged) to FAILED. Cancelling a CONFIRMED
//! order goes through CANCELLING (refund, restock) to CANCELLED. Every step
//! is idempotent, keyed by the order id, so repeating one after a crash or a
//! lost reply is harmless.

use super::{
    order::{FailureReason, OrderStatus, Shortfall},
    values::PaymentId,
};

/// The next thing to do for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Reserve,
    Charge,
    Commit,
    /// Release the stock, refund if charged.
    Compensate,
    /// Refund if charged, restock.
    Cancel,
    /// Nothing: the order is at rest.
    Done,
}

impl Step {
    /// The step's name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Reserve => "reserve",
            Step::Charge => "charge",
            Step::Commit => "commit",
            Step::Compensate => "compensate",
            Step::Cancel => "cancel",
            Step::Done => "done",
        }
    }
}

/// What the step for an order's status is.
pub fn next_step(status: OrderStatus) -> Step {
    match status {
        OrderStatus::Pending => Step::Reserve,
        OrderStatus::StockReserved => Step::Charge,
        OrderStatus::Paid => Step::Commit,
        OrderStatus::Compensating => Step::Compensate,
        OrderStatus::Cancelling => Step::Cancel,
        OrderStatus::Confirmed
        | OrderStatus::Failed
        | OrderStatus::Cancelled
        | OrderStatus::Shipped
        | OrderStatus::Delivered => Step::Done,
    }
}

/// How a step ended (transient trouble is not an outcome: the order stays
/// where it is and the step is tried again later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Reserved,
    /// The catalog refused: these products were short.
    OutOfStock(Vec<Shortfall>),
    ProductUnavailable,
    /// The reservation no longer holds (it expired and was released).
    ReservationLost,
    /// Charged; `payment_id` is None for an order that costs nothing.
    Charged {
        payment_id: Option<PaymentId>,
        card_brand: Option<String>,
    },
    Declined {
        decline_code: String,
        card_brand: Option<String>,
    },
    /// The card details are gone (a restart) and no charge was made.
    PaymentIncomplete,
    Committed,
    Compensated,
    Cancelled,
    /// A dependency refused the step for a reason retrying cannot fix.
    Broken,
}

/// The change an outcome makes to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: OrderStatus,
    pub failure_reason: Option<FailureReason>,
    pub decline_code: Option<String>,
    /// Set when the order was charged.
    pub payment_id: Option<PaymentId>,
    pub card_brand: Option<String>,
    /// Recorded with an order that failed out of stock.
    pub shortfalls: Vec<Shortfall>,
}

impl Transition {
    fn to(status: OrderStatus) -> Self {
        Self {
            to: status,
            failure_reason: None,
            decline_code: None,
            payment_id: None,
            card_brand: None,
            shortfalls: Vec::new(),
        }
    }

    fn failing(status: OrderStatus, reason: FailureReason) -> Self {
        Self {
            failure_reason: Some(reason),
            ..Self::to(status)
        }
    }
}

/// A customer or admin cancelling a confirmed order, with their reason.
pub fn cancellation() -> Transition {
    Transition::to(OrderStatus::Cancelling)
}

/// The status an order in `from` moves to after `outcome`. Fields left
/// `None` keep their current value.
pub fn transition(from: OrderStatus, outcome: Outcome) -> Transition {
    use FailureReason as Why;
    use OrderStatus as S;
    match (from, outcome) {
        (S::Pending, Outcome::Reserved) => Transition::to(S::StockReserved),
        // Nothing was reserved, so there is nothing to undo.
        (S::Pending, Outcome::OutOfStock(shortfalls)) => Transition {
            shortfalls,
            ..Transition::failing(S::Failed, Why::OutOfStock)
        },
        (S::Pending, Outcome::ProductUnavailable) => {
            Transition::failing(S::Failed, Why::ProductUnavailable)
        }
        (S::Pending, Outcome::ReservationLost) => {
            Transition::failing(S::Failed, Why::ReservationExpired)
        }
        (S::Pending, _) => Transition::failing(S::Failed, Why::Internal),

        (
            S::StockReserved,
            Outcome::Charged {
                payment_id,
                card_brand,
            },
        ) => Transition {
            payment_id,
            card_brand,
            ..Transition::to(S::Paid)
        },
        (
            S::StockReserved,
            Outcome::Declined {
                decline_code,
                card_brand,
            },
        ) => Transition {
            decline_code: Some(decline_code),
            card_brand,
            ..Transition::failing(S::Compensating, Why::PaymentDeclined)
        },
        (S::StockReserved, Outcome::PaymentIncomplete) => {
            Transition::failing(S::Compensating, Why::PaymentIncomplete)
        }
        (S::StockReserved, _) => Transition::failing(S::Compensating, Why::Internal),

        (S::Paid, Outcome::Committed) => Transition::to(S::Confirmed),
        (S::Paid, Outcome::ReservationLost) => {
            Transition::failing(S::Compensating, Why::ReservationExpired)
        }
        (S::Paid, _) => Transition::failing(S::Compensating, Why::Internal),

        // Compensation keeps the reason that started it.
        (S::Compensating, _) => Transition::to(S::Failed),
        (S::Cancelling, _) => Transition::to(S::Cancelled),

        // At rest as far as the saga goes: nothing moves (the parcel's news
        // moves shipped orders, see `shipping::follow`).
        (status @ (S::Confirmed | S::Failed | S::Cancelled | S::Shipped | S::Delivered), _) => {
            Transition::to(status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as S;

    fn payment() -> PaymentId {
        PaymentId::parse("0190a1b2-0000-7000-8000-0000000000a1").expect("id")
    }

    fn charged() -> Outcome {
        Outcome::Charged {
            payment_id: Some(payment()),
            card_brand: Some("visa".into()),
        }
    }

    #[test]
    fn the_happy_path_walks_every_step_in_order() {
        let mut status = S::Pending;
        let mut steps = Vec::new();
        for outcome in [Outcome::Reserved, charged(), Outcome::Committed] {
            steps.push(next_step(status));
            status = transition(status, outcome).to;
        }
        assert_eq!(steps, [Step::Reserve, Step::Charge, Step::Commit]);
        assert_eq!(status, S::Confirmed);
        assert_eq!(next_step(status), Step::Done);
    }

    #[test]
    fn the_payment_id_is_recorded_when_charged() {
        let t = transition(S::StockReserved, charged());
        assert_eq!((t.to, t.payment_id), (S::Paid, Some(payment())));
    }

    #[test]
    fn out_of_stock_fails_at_once_with_nothing_to_undo() {
        let t = transition(S::Pending, Outcome::OutOfStock(Vec::new()));
        assert_eq!(
            (t.to, t.failure_reason),
            (S::Failed, Some(FailureReason::OutOfStock))
        );
    }

    #[test]
    fn a_decline_compensates_and_keeps_its_code() {
        let t = transition(
            S::StockReserved,
            Outcome::Declined {
                decline_code: "INSUFFICIENT_FUNDS".into(),
                card_brand: None,
            },
        );
        assert_eq!(t.to, S::Compensating);
        assert_eq!(t.failure_reason, Some(FailureReason::PaymentDeclined));
        assert_eq!(t.decline_code.as_deref(), Some("INSUFFICIENT_FUNDS"));
        assert_eq!(next_step(t.to), Step::Compensate);
        assert_eq!(transition(t.to, Outcome::Compensated).to, S::Failed);
    }

    #[test]
    fn a_lost_reservation_after_payment_refunds_through_compensation() {
        let t = transition(S::Paid, Outcome::ReservationLost);
        assert_eq!(t.to, S::Compensating);
        assert_eq!(t.failure_reason, Some(FailureReason::ReservationExpired));
    }

    #[test]
    fn a_broken_dependency_never_leaves_stock_or_money_behind() {
        assert_eq!(transition(S::Pending, Outcome::Broken).to, S::Failed);
        assert_eq!(
            transition(S::StockReserved, Outcome::Broken).to,
            S::Compensating
        );
        assert_eq!(transition(S::Paid, Outcome::Broken).to, S::Compensating);
    }

    #[test]
    fn cancelling_ends_cancelled_and_rest_states_stay() {
        assert_eq!(next_step(S::Cancelling), Step::Cancel);
        assert_eq!(
            transition(S::Cancelling, Outcome::Cancelled).to,
            S::Cancelled
        );
        for status in [
            S::Confirmed,
            S::Failed,
            S::Cancelled,
            S::Shipped,
            S::Delivered,
        ] {
            assert_eq!(next_step(status), Step::Done);
            assert_eq!(transition(status, Outcome::Reserved).to, status);
        }
    }
}

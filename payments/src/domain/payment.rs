//! Payments and refunds: what a charge or refund request asks for (and its
//! fingerprint), a payment's lifecycle and totals, and what a listing asks
//! for.
//!
//! A payment's charge goes processing -> captured, declined or voided (its
//! caller abandoned it), once. Its
//! status as the contract shows it (partially refunded, refunded) follows
//! from the captured and refunded totals, which only refunds change.

use platform::paging::{Cursor, PageSize};
use time::OffsetDateTime;

use super::{
    card::{Card, CardSummary},
    fingerprint::Fingerprint,
    values::{Currency, IdempotencyKey, Money, OrderId, PaymentId, RefundId, RefundReason, UserId},
};

platform::stored_enum!(
    /// The kind of a payment method.
    pub MethodKind {
        Card => "card",
        Wallet => "wallet",
    }
);

/// How a charge is paid: a card (with its secrets, for this call only) or
/// the acting user's wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentMethod {
    Card(Card),
    Wallet,
}

impl PaymentMethod {
    pub fn kind(&self) -> MethodKind {
        match self {
            Self::Card(_) => MethodKind::Card,
            Self::Wallet => MethodKind::Wallet,
        }
    }

    /// What may be kept and shown about the method.
    pub fn summary(&self) -> MethodSummary {
        match self {
            Self::Card(card) => MethodSummary::Card(card.summary()),
            Self::Wallet => MethodSummary::Wallet,
        }
    }
}

/// What is kept about the method a payment was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodSummary {
    Card(CardSummary),
    Wallet,
}

impl MethodSummary {
    pub fn kind(&self) -> MethodKind {
        match self {
            Self::Card(_) => MethodKind::Card,
            Self::Wallet => MethodKind::Wallet,
        }
    }
}

platform::stored_enum!(
    /// Why a charge was declined.
    pub DeclineCode {
        GenericDecline => "generic_decline",
        InsufficientFunds => "insufficient_funds",
        ExpiredCard => "expired_card",
        IncorrectCvc => "incorrect_cvc",
        InsufficientWalletBalance => "insufficient_wallet_balance",
    }
);

/// Where a payment's charge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeState {
    /// With the processor; no outcome yet.
    Processing,
    /// The full amount was taken.
    Captured,
    /// Nothing was taken.
    Declined(DeclineCode),
    /// Abandoned by its caller and voided: nothing was taken, and nothing
    /// can be under its key any more.
    Voided,
}

/// What a processor decided about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeDecision {
    /// A network took the money; `reference` is its id for the charge.
    Approved { reference: String },
    /// Nothing was taken.
    Declined(DeclineCode),
    /// Take the money from the payer's wallet, in the transaction that
    /// records the outcome (declined if the balance is short).
    DebitWallet,
    /// Not a processor's answer: the charge was abandoned by its caller and
    /// voided at the processor (`Payments::void`).
    Void,
}

/// What a processor did with a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundDecision {
    /// A network sent the money back.
    Sent,
    /// Give the money back to the payer's wallet, in the transaction that
    /// records the refund as done.
    CreditWallet,
}

/// A payment's status as the contract shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Processing,
    Captured,
    Declined,
    PartiallyRefunded,
    Refunded,
    Voided,
}

platform::stored_enum!(
    /// Whether a refund's money has reached the card or wallet.
    pub RefundState {
        /// Recorded (counted in the payment's refunded total and the ledger),
        /// not yet confirmed by the processor.
        Pending => "pending",
        /// The money is back.
        Succeeded => "succeeded",
    }
);

/// Money given back from a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    pub amount_minor: i64,
    pub reason: RefundReason,
    pub state: RefundState,
    pub created_at: OffsetDateTime,
}

/// One charge of a user, with its refunds (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    pub order_id: OrderId,
    pub user_id: UserId,
    pub amount: Money,
    pub method: MethodSummary,
    pub state: ChargeState,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub refunds: Vec<Refund>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Payment {
    /// The status the contract shows, from the charge state and totals.
    pub fn status(&self) -> PaymentStatus {
        match self.state {
            ChargeState::Processing => PaymentStatus::Processing,
            ChargeState::Declined(_) => PaymentStatus::Declined,
            ChargeState::Voided => PaymentStatus::Voided,
            ChargeState::Captured if self.refunded_minor == 0 => PaymentStatus::Captured,
            ChargeState::Captured if self.refunded_minor >= self.captured_minor => {
                PaymentStatus::Refunded
            }
            ChargeState::Captured => PaymentStatus::PartiallyRefunded,
        }
    }

    pub fn currency(&self) -> &Currency {
        self.amount.currency()
    }

    /// What is left to refund.
    pub fn refundable_minor(&self) -> i64 {
        self.captured_minor - self.refunded_minor
    }

    pub fn decline_code(&self) -> Option<DeclineCode> {
        match self.state {
            ChargeState::Declined(code) => Some(code),
            _ => None,
        }
    }
}

/// A validated Charge request, before it is known who pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCharge {
    pub key: IdempotencyKey,
    pub order_id: OrderId,
    pub amount: Money,
    pub method: PaymentMethod,
}

/// A charge to make: the request and the acting user, who pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    pub charge: NewCharge,
    pub user_id: UserId,
}

impl ChargeRequest {
    /// What makes a repeat "the same request": who pays, for which order,
    /// how much, and with which method (for cards: brand, last four digits
    /// and expiry, never the number or the CVC).
    pub fn fingerprint(&self) -> Fingerprint {
        let amount = self.charge.amount.minor().to_string();
        let (brand, last4, month, year) = match &self.charge.method {
            PaymentMethod::Card(card) => (
                card.number.brand().as_str(),
                card.number.last4(),
                card.expiry.month().to_string(),
                card.expiry.year().to_string(),
            ),
            PaymentMethod::Wallet => ("", "", String::new(), String::new()),
        };
        Fingerprint::of(
            "charge",
            &[
                self.user_id.as_str(),
                self.charge.order_id.as_str(),
                &amount,
                self.charge.amount.currency().as_str(),
                self.charge.method.kind().as_str(),
                brand,
                last4,
                &month,
                &year,
            ],
        )
    }
}

/// A validated Refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub key: IdempotencyKey,
    pub payment_id: PaymentId,
    /// `None`: everything not yet refunded.
    pub amount: Option<Money>,
    pub reason: RefundReason,
}

impl RefundRequest {
    /// What makes a repeat "the same request": the payment, the amount
    /// (or "the rest") and the reason.
    pub fn fingerprint(&self) -> Fingerprint {
        let (amount, currency) = match &self.amount {
            Some(amount) => (amount.minor().to_string(), amount.currency().as_str()),
            None => ("rest".to_owned(), ""),
        };
        Fingerprint::of(
            "refund",
            &[
                &self.payment_id.to_string(),
                &amount,
                currency,
                self.reason.as_str(),
            ],
        )
    }

    /// How much to refund from `payment`: the amount asked for, or all that
    /// is left. `Err` if the amount is in another currency.
    pub fn amount_from(&self, payment: &Payment) -> Result<i64, String> {
        match &self.amount {
            Some(amount) if amount.currency() != payment.currency() => Err(format!(
                "must be the payment's currency, {}",
                payment.currency()
            )),
            Some(amount) => Ok(amount.minor()),
            None => Ok(payment.refundable_minor()),
        }
    }
}

/// A page of a payment listing, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub order_id: Option<OrderId>,
    pub user_id: Option<UserId>,
    pub page_size: PageSize,
    /// Continue after this payment (its creation time and id).
    pub after: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        card::{CardNumber, Cvc, Expiry, HolderName},
        values::AMOUNTS,
    };
    use time::macros::datetime;

    fn card(number: &str, cvc: &str) -> PaymentMethod {
        PaymentMethod::Card(Card {
            number: CardNumber::parse(number).expect("number"),
            expiry: Expiry::new(12, 2030).expect("expiry"),
            cvc: Cvc::parse(cvc).expect("cvc"),
            holder: HolderName::parse("").expect("holder"),
        })
    }

    fn charge(method: PaymentMethod, amount: i64) -> ChargeRequest {
        ChargeRequest {
            charge: NewCharge {
                key: IdempotencyKey::parse("k1").expect("key"),
                order_id: OrderId::parse("order-1").expect("order"),
                amount: Money::parse("USD", amount, AMOUNTS).expect("amount"),
                method,
            },
            user_id: UserId::parse("customer-1").expect("user"),
        }
    }

    fn payment(captured: i64, refunded: i64, state: ChargeState) -> Payment {
        Payment {
            id: PaymentId::generate(),
            key: IdempotencyKey::parse("k1").expect("key"),
            fingerprint: Fingerprint::of("charge", &[]),
            order_id: OrderId::parse("order-1").expect("order"),
            user_id: UserId::parse("customer-1").expect("user"),
            amount: Money::parse("USD", 1000, AMOUNTS).expect("amount"),
            method: MethodSummary::Wallet,
            state,
            captured_minor: captured,
            refunded_minor: refunded,
            refunds: Vec::new(),
            created_at: datetime!(2024-01-01 00:00 UTC),
            updated_at: datetime!(2024-01-01 00:00 UTC),
        }
    }

    #[test]
    fn the_same_charge_has_the_same_fingerprint_whatever_the_cvc() {
        let first = charge(card("4242424242424242", "123"), 500);
        let again = charge(card("4242424242424242", "999"), 500);
        assert_eq!(first.fingerprint(), again.fingerprint());
    }

    #[test]
    fn another_amount_card_method_or_payer_is_another_request() {
        let base = charge(card("4242424242424242", "123"), 500).fingerprint();
        assert_ne!(
            charge(card("4242424242424242", "123"), 501).fingerprint(),
            base
        );
        assert_ne!(
            charge(card("5555555555554444", "123"), 500).fingerprint(),
            base
        );
        assert_ne!(charge(PaymentMethod::Wallet, 500).fingerprint(), base);
        let mut other_payer = charge(card("4242424242424242", "123"), 500);
        other_payer.user_id = UserId::parse("customer-2").expect("user");
        assert_ne!(other_payer.fingerprint(), base);
    }

    #[test]
    fn status_follows_from_the_charge_and_the_totals() {
        use ChargeState::*;
        assert_eq!(
            payment(0, 0, Processing).status(),
            PaymentStatus::Processing
        );
        assert_eq!(
            payment(0, 0, Declined(DeclineCode::GenericDecline)).status(),
            PaymentStatus::Declined
        );
        assert_eq!(payment(0, 0, Voided).status(), PaymentStatus::Voided);
        assert_eq!(payment(1000, 0, Captured).status(), PaymentStatus::Captured);
        assert_eq!(
            payment(1000, 400, Captured).status(),
            PaymentStatus::PartiallyRefunded
        );
        assert_eq!(
            payment(1000, 1000, Captured).status(),
            PaymentStatus::Refunded
        );
    }

    #[test]
    fn a_refund_without_an_amount_takes_the_rest_in_the_payments_currency() {
        let paid = payment(1000, 300, ChargeState::Captured);
        let mut request = RefundRequest {
            key: IdempotencyKey::parse("r1").expect("key"),
            payment_id: paid.id,
            amount: None,
            reason: RefundReason::parse("").expect("reason"),
        };
        assert_eq!(request.amount_from(&paid), Ok(700));
        request.amount = Some(Money::parse("EUR", 100, AMOUNTS).expect("amount"));
        assert!(request.amount_from(&paid).is_err());
        request.amount = Some(Money::parse("USD", 100, AMOUNTS).expect("amount"));
        assert_eq!(request.amount_from(&paid), Ok(100));
    }

    #[test]
    fn decline_codes_round_trip() {
        for code in DeclineCode::ALL {
            assert_eq!(DeclineCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(DeclineCode::parse("nope"), None);
    }
}

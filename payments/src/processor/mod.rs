//! Processors: where a payment method's money actually moves, behind one
//! trait, [`Processor`]. Each payment method has one: cards go to the
//! simulated card network ([`card`]), wallets to store credit ([`wallet`]).
//! The flows pick the processor by the method of the request (for
//! refunds, of the payment) and record what it decided.
//!
//! Processors must be idempotent per attempt id (the payment id for
//! charges, the refund id for refunds): a repeated attempt (a retry after
//! transient trouble, or a duplicate that took over a stalled charge) gets
//! the first answer and moves no money twice.

pub mod card;
pub mod wallet;

use std::sync::Arc;

use time::OffsetDateTime;

use crate::domain::{
    ChargeDecision, MethodKind, Money, Payment, PaymentId, PaymentMethod, RefundDecision, RefundId,
};

/// One charge to decide.
#[derive(Debug)]
pub struct ChargeAttempt<'a> {
    /// The processor's idempotency key for the charge.
    pub payment_id: PaymentId,
    pub amount: &'a Money,
    /// The method, with the card's secrets for this call only.
    pub method: &'a PaymentMethod,
    /// "Now" by the service's clock (cards past their expiry are declined).
    pub now: OffsetDateTime,
}

/// One recorded refund to send back.
#[derive(Debug)]
pub struct RefundAttempt<'a> {
    /// The processor's idempotency key for the refund.
    pub refund_id: RefundId,
    /// The payment refunded (its id and processor reference name the charge).
    pub payment: &'a Payment,
    pub amount_minor: i64,
}

/// A processor that could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessorError {
    /// Transient trouble (network down, timeout): retrying the same attempt
    /// may succeed.
    #[error("processor unavailable: {0}")]
    Unavailable(String),
    /// A request the processor can never serve (a bug, not a decline).
    #[error("processor refused the request: {0}")]
    Refused(String),
}

/// Where the money of one payment method moves.
#[async_trait::async_trait]
pub trait Processor: Send + Sync + std::fmt::Debug {
    /// Decides a charge: approved, declined, or (for store credit) "debit
    /// the wallet as you record it". Idempotent per payment id.
    async fn charge(&self, attempt: &ChargeAttempt<'_>) -> Result<ChargeDecision, ProcessorError>;

    /// Voids a charge its caller abandoned: whatever an attempt under this
    /// payment id did (a late approval included) is reversed, and later
    /// attempts under it move no money. Idempotent per payment id.
    async fn void(&self, payment_id: PaymentId) -> Result<(), ProcessorError>;

    /// Sends a recorded refund back. Idempotent per refund id.
    async fn refund(&self, attempt: &RefundAttempt<'_>) -> Result<RefundDecision, ProcessorError>;
}

/// The processor of each payment method. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Processors {
    card: Arc<dyn Processor>,
    wallet: Arc<dyn Processor>,
}

impl Processors {
    pub fn new(card: Arc<dyn Processor>, wallet: Arc<dyn Processor>) -> Self {
        Self { card, wallet }
    }

    /// The processor that moves money for `kind`.
    pub fn for_method(&self, kind: MethodKind) -> &dyn Processor {
        match kind {
            MethodKind::Card => self.card.as_ref(),
            MethodKind::Wallet => self.wallet.as_ref(),
        }
    }
}

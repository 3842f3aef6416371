//! Store credit as a processor. The money is in this service's own
//! database, so the processor decides nothing by itself: it asks the flow
//! to debit (or credit) the wallet in the same transaction that records
//! the charge (or the refund), where the balance check is atomic.

use super::{ChargeAttempt, Processor, ProcessorError, RefundAttempt};
use crate::domain::{ChargeDecision, PaymentId, PaymentMethod, RefundDecision};

/// The wallet processor.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalletProcessor;

#[async_trait::async_trait]
impl Processor for WalletProcessor {
    async fn charge(&self, attempt: &ChargeAttempt<'_>) -> Result<ChargeDecision, ProcessorError> {
        match attempt.method {
            PaymentMethod::Wallet => Ok(ChargeDecision::DebitWallet),
            PaymentMethod::Card(_) => Err(ProcessorError::Refused(
                "the wallet processor cannot charge a card".into(),
            )),
        }
    }

    /// A wallet is debited only in the transaction that records the
    /// outcome, so an unrecorded charge has moved nothing to undo.
    async fn void(&self, _payment_id: PaymentId) -> Result<(), ProcessorError> {
        Ok(())
    }

    async fn refund(&self, _attempt: &RefundAttempt<'_>) -> Result<RefundDecision, ProcessorError> {
        Ok(RefundDecision::CreditWallet)
    }
}

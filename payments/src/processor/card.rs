//! A simulated card network, so Shop runs (and is tested) without a real
//! payment provider. It approves any valid card except the documented test
//! numbers below (also in the `Card` message of the contract and in the
//! README), declines cards past their expiry month, and is idempotent per
//! attempt id like a real provider: asking again about the same charge or
//! refund returns the first answer and moves no money twice.
//!
//! Its memory lives in the process; a fork replaces this module with a
//! real provider behind the same [`Processor`] trait.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use super::{ChargeAttempt, Processor, ProcessorError, RefundAttempt};
use crate::domain::{ChargeDecision, DeclineCode, PaymentId, PaymentMethod, RefundDecision};

/// Card numbers with a fixed behaviour on the simulated network.
pub mod test_cards {
    /// Approved (visa). Any other valid number not listed here is approved too.
    pub const APPROVED: &str = "4242424242424242";
    /// Approved (mastercard).
    pub const APPROVED_MASTERCARD: &str = "5555555555554444";
    /// Approved (amex).
    pub const APPROVED_AMEX: &str = "378282246310005";
    /// Approved (discover).
    pub const APPROVED_DISCOVER: &str = "6011111111111117";
    /// Declined: DECLINE_CODE_GENERIC_DECLINE.
    pub const DECLINED: &str = "4000000000000002";
    /// Declined: DECLINE_CODE_INSUFFICIENT_FUNDS.
    pub const INSUFFICIENT_FUNDS: &str = "4000000000009995";
    /// Declined: DECLINE_CODE_EXPIRED_CARD (whatever its expiry date says).
    pub const EXPIRED: &str = "4000000000000069";
    /// Declined: DECLINE_CODE_INCORRECT_CVC.
    pub const INCORRECT_CVC: &str = "4000000000000127";
    /// The first attempt of each charge and of each refund fails with
    /// transient trouble; the retry succeeds.
    pub const FLAKY: &str = "4000000000000119";
    /// Every attempt fails with transient trouble.
    pub const UNAVAILABLE: &str = "4000000000000101";
}

/// The simulated network. Clones share one network (and its memory).
#[derive(Debug, Clone, Default)]
pub struct SimulatedCardNetwork {
    latency: Duration,
    state: Arc<Mutex<NetworkState>>,
}

#[derive(Debug, Default)]
struct NetworkState {
    /// Charges decided, by attempt id.
    charges: HashMap<String, DecidedCharge>,
    /// Refunds sent, by attempt id.
    refunds: HashSet<String>,
    /// Attempt ids whose first attempt already failed (the flaky card).
    failed_once: HashSet<String>,
    /// Charges voided, by attempt id: any approval reversed, and no
    /// later attempt approved.
    voided: HashSet<String>,
    /// How many charge requests arrived, repeats included.
    charge_calls: u64,
}

#[derive(Debug, Clone)]
struct DecidedCharge {
    decision: ChargeDecision,
    /// Made with the flaky test card, whose refunds are flaky too.
    flaky: bool,
}

fn unavailable() -> ProcessorError {
    ProcessorError::Unavailable("the simulated card network did not answer".into())
}

impl SimulatedCardNetwork {
    /// A network that answers after `latency` (zero: at once).
    pub fn new(latency: Duration) -> Self {
        Self {
            latency,
            state: Arc::default(),
        }
    }

    /// The same network (same memory) reached with another `latency`,
    /// like a second replica with a faster or slower link.
    pub fn with_latency(&self, latency: Duration) -> Self {
        Self {
            latency,
            state: self.state.clone(),
        }
    }

    fn state(&self) -> MutexGuard<'_, NetworkState> {
        // The state stays consistent under a panic elsewhere (every
        // change is one insert), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many charges the network decided (approved or declined): one
    /// per payment, however often it was asked about it.
    pub fn charges_decided(&self) -> usize {
        self.state().charges.len()
    }

    /// How many charge requests reached the network, repeats included.
    pub fn charge_calls(&self) -> u64 {
        self.state().charge_calls
    }

    /// How many refunds the network sent: one per refund, however often
    /// it was asked.
    pub fn refunds_sent(&self) -> usize {
        self.state().refunds.len()
    }
}

#[async_trait::async_trait]
impl Processor for SimulatedCardNetwork {
    async fn charge(&self, attempt: &ChargeAttempt<'_>) -> Result<ChargeDecision, ProcessorError> {
        let PaymentMethod::Card(card) = attempt.method else {
            return Err(ProcessorError::Refused(
                "the card network cannot charge a wallet".into(),
            ));
        };
        tokio::time::sleep(self.latency).await;

        let key = attempt.payment_id.to_string();
        let mut state = self.state();
        state.charge_calls += 1;
        if state.voided.contains(&key) {
            return Ok(ChargeDecision::Declined(DeclineCode::GenericDecline));
        }
        if let Some(decided) = state.charges.get(&key) {
            return Ok(decided.decision.clone());
        }
        let number = card.number.reveal();
        if number == test_cards::UNAVAILABLE
            || (number == test_cards::FLAKY && state.failed_once.insert(key.clone()))
        {
            return Err(unavailable());
        }
        let decision = match number {
            _ if card.expiry.has_passed(attempt.now) => {
                ChargeDecision::Declined(DeclineCode::ExpiredCard)
            }
            test_cards::DECLINED => ChargeDecision::Declined(DeclineCode::GenericDecline),
            test_cards::INSUFFICIENT_FUNDS => {
                ChargeDecision::Declined(DeclineCode::InsufficientFunds)
            }
            test_cards::EXPIRED => ChargeDecision::Declined(DeclineCode::ExpiredCard),
            test_cards::INCORRECT_CVC => ChargeDecision::Declined(DeclineCode::IncorrectCvc),
            _ => ChargeDecision::Approved {
                reference: format!("simnet_ch_{key}"),
            },
        };
        state.charges.insert(
            key,
            DecidedCharge {
                decision: decision.clone(),
                flaky: number == test_cards::FLAKY,
            },
        );
        Ok(decision)
    }

    async fn void(&self, payment_id: PaymentId) -> Result<(), ProcessorError> {
        tokio::time::sleep(self.latency).await;
        let key = payment_id.to_string();
        let mut state = self.state();
        // An approval nobody recorded is released, as a network releases
        // an authorisation that is voided before capture.
        state.charges.remove(&key);
        state.voided.insert(key);
        Ok(())
    }

    async fn refund(&self, attempt: &RefundAttempt<'_>) -> Result<RefundDecision, ProcessorError> {
        tokio::time::sleep(self.latency).await;

        let key = attempt.refund_id.to_string();
        let mut state = self.state();
        if state.refunds.contains(&key) {
            return Ok(RefundDecision::Sent);
        }
        // A charge the network does not remember (it restarted since) is
        // refunded without question.
        let flaky = state
            .charges
            .get(&attempt.payment.id.to_string())
            .is_some_and(|charge| charge.flaky);
        if flaky && state.failed_once.insert(key.clone()) {
            return Err(unavailable());
        }
        state.refunds.insert(key);
        Ok(RefundDecision::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        AMOUNTS, Card, CardNumber, Cvc, Expiry, HolderName, Money, PaymentId, PaymentMethod,
    };
    use time::macros::datetime;

    fn card(number: &str, month: i32, year: i32) -> PaymentMethod {
        PaymentMethod::Card(Card {
            number: CardNumber::parse(number).expect("number"),
            expiry: Expiry::new(month, year).expect("expiry"),
            cvc: Cvc::parse("123").expect("cvc"),
            holder: HolderName::parse("").expect("holder"),
        })
    }

    async fn charge(
        network: &SimulatedCardNetwork,
        id: PaymentId,
        method: &PaymentMethod,
    ) -> Result<ChargeDecision, ProcessorError> {
        let amount = Money::parse("USD", 500, AMOUNTS).expect("amount");
        network
            .charge(&ChargeAttempt {
                payment_id: id,
                amount: &amount,
                method,
                now: datetime!(2030-01-15 12:00 UTC),
            })
            .await
    }

    #[test]
    fn every_test_number_passes_the_luhn_check() {
        use test_cards::*;
        for number in [
            APPROVED,
            APPROVED_MASTERCARD,
            APPROVED_AMEX,
            APPROVED_DISCOVER,
            DECLINED,
            INSUFFICIENT_FUNDS,
            EXPIRED,
            INCORRECT_CVC,
            FLAKY,
            UNAVAILABLE,
        ] {
            assert!(contracts::card::is_valid_number(number), "{number}");
        }
    }

    #[tokio::test]
    async fn test_numbers_decide_the_outcome() {
        let network = SimulatedCardNetwork::default();
        let outcome = |number: &'static str| {
            let network = network.clone();
            async move { charge(&network, PaymentId::generate(), &card(number, 12, 2031)).await }
        };
        assert!(matches!(
            outcome(test_cards::APPROVED).await,
            Ok(ChargeDecision::Approved { .. })
        ));
        for (number, code) in [
            (test_cards::DECLINED, DeclineCode::GenericDecline),
            (
                test_cards::INSUFFICIENT_FUNDS,
                DeclineCode::InsufficientFunds,
            ),
            (test_cards::EXPIRED, DeclineCode::ExpiredCard),
            (test_cards::INCORRECT_CVC, DeclineCode::IncorrectCvc),
        ] {
            assert_eq!(outcome(number).await, Ok(ChargeDecision::Declined(code)));
        }
        assert!(matches!(
            outcome(test_cards::UNAVAILABLE).await,
            Err(ProcessorError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn a_card_past_its_expiry_month_is_declined() {
        let network = SimulatedCardNetwork::default();
        let expired = charge(
            &network,
            PaymentId::generate(),
            &card(test_cards::APPROVED, 12, 2029),
        )
        .await;
        assert_eq!(
            expired,
            Ok(ChargeDecision::Declined(DeclineCode::ExpiredCard))
        );
    }

    #[tokio::test]
    async fn the_network_answers_a_repeated_attempt_with_the_first_answer() {
        let network = SimulatedCardNetwork::default();
        let id = PaymentId::generate();
        let flaky = card(test_cards::FLAKY, 12, 2031);
        assert!(charge(&network, id, &flaky).await.is_err());
        let first = charge(&network, id, &flaky)
            .await
            .expect("the retry succeeds");
        let again = charge(&network, id, &flaky).await.expect("a repeat");
        assert_eq!(first, again);
        assert_eq!(network.charges_decided(), 1);
        assert_eq!(network.charge_calls(), 3);
    }
}

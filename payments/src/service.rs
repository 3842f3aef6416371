//! The payment flows, between the API and the store: charges, refunds and
//! top-ups with their idempotency, and the calls to the processors.
//!
//! A charge is three steps: (1) insert the payment, processing, under its
//! unique idempotency key, leased to this attempt; (2) ask the processor of
//! its method, with no transaction open; (3) record the outcome (captured
//! with its ledger entry, or declined) if the payment is still processing.
//! A repeat of the request finds the row at step 1: a finished payment is
//! the answer; a processing one is waited for briefly, or taken over if
//! the attempt that owned it gave up (transient trouble) or died (its lease
//! ran out). Processors are idempotent per payment id, so a takeover never
//! moves money twice, and only one outcome is ever recorded.
//!
//! A charge whose caller will never come back (the orders service lost the
//! card details) is settled by a void: the key is marked voided first (so a
//! charge arriving later is voided, not made), then a processing payment
//! under it is voided at the processor once no attempt owns its lease, and
//! recorded voided by the same conditional update that records captures:
//! of a void and a capture, exactly one wins.
//!
//! A refund is recorded first (refunded total, ledger entry, pending) and
//! sent afterwards; a repeat of a refund still pending sends it again.

use std::time::Duration;

use platform::{
    clock::{Clock, to_micros},
    paging::Page,
};
use tokio::time::Instant;

use crate::{
    domain::{
        ChargeDecision, ChargeRequest, ChargeState, Currency, IdempotencyKey, ListQuery, OrderId,
        Payment, PaymentId, Refund, RefundRequest, RefundState, TopUpRequest, UserId, Wallet,
    },
    error::{Error, Result},
    processor::{ChargeAttempt, ProcessorError, Processors, RefundAttempt},
    store::{Begun, Store},
};

/// How often a repeat looks again at a charge still being processed.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How long the flows wait for what.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Longest wait for a processor's answer; longer counts as transient
    /// trouble.
    pub processor_timeout: Duration,
    /// How long an attempt owns a processing charge before a repeat of the
    /// request may take it over. Keep it above `processor_timeout`.
    pub charge_lease: Duration,
    /// How long a repeat waits for the outcome of a charge still in flight
    /// before answering CHARGE_IN_PROGRESS.
    pub duplicate_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            processor_timeout: Duration::from_secs(10),
            charge_lease: Duration::from_secs(30),
            duplicate_wait: Duration::from_secs(5),
        }
    }
}

/// The flows. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Payments {
    store: Store,
    processors: Processors,
    clock: Clock,
    timing: Timing,
}

impl Payments {
    pub fn new(store: Store, processors: Processors, clock: Clock, timing: Timing) -> Self {
        Self {
            store,
            processors,
            clock,
            timing,
        }
    }

    /// Charges the payer, once per idempotency key.
    pub async fn charge(&self, request: ChargeRequest) -> Result<Payment> {
        let lease_until = self.lease_from_now();
        let mut payment = match self.store.begin_charge(&request, lease_until).await? {
            // The payment is committed before this look, and a void commits
            // its mark before looking for a payment: one sees the other.
            Begun::Created(payment) if self.store.is_voided(&request.charge.key).await? => {
                tracing::info!(payment_id = %payment.id, "charge under a voided key: voided");
                return self
                    .store
                    .finish_charge(payment.id, &ChargeDecision::Void)
                    .await;
            }
            Begun::Created(payment) => return self.process(payment, request, lease_until).await,
            Begun::Existing(payment) => payment,
        };
        if payment.fingerprint != request.fingerprint() {
            return Err(Error::IdempotencyKeyReused {
                key: request.charge.key.as_str().to_owned(),
                what: "charge",
            });
        }

        let deadline = Instant::now() + self.timing.duplicate_wait;
        loop {
            if payment.state != ChargeState::Processing {
                return Ok(payment);
            }
            // The attempt that owned it gave up or died: finish it here.
            if let Some(lease_until) = self
                .store
                .claim_charge(payment.id, self.timing.charge_lease)
                .await?
            {
                tracing::info!(payment_id = %payment.id, "taking over a stalled charge");
                return self.process(payment, request, lease_until).await;
            }
            if Instant::now() >= deadline {
                return Err(Error::ChargeInProgress(
                    request.charge.key.as_str().to_owned(),
                ));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
            payment = self.store.payment(payment.id).await?;
        }
    }

    /// Settles the charge under `key` for a caller that will never finish
    /// it: returns the payment as it ends up (voided, or the outcome that
    /// got there first), or `None` if no charge was ever made under the key
    /// (and now none can be). A charge an attempt is still working on is
    /// [`Error::ChargeInProgress`]: retry once it has had its lease.
    pub async fn void(&self, key: IdempotencyKey, order_id: OrderId) -> Result<Option<Payment>> {
        let voided_for = self.store.void_key(&key, &order_id).await?;
        let found = self.store.find_by_key(&key).await?;
        if voided_for != order_id.as_str() || found.as_ref().is_some_and(|p| p.order_id != order_id)
        {
            return Err(Error::IdempotencyKeyReused {
                key: key.as_str().to_owned(),
                what: "charge",
            });
        }
        let Some(payment) = found else {
            tracing::info!(
                order_id = order_id.as_str(),
                "charge voided before it was made"
            );
            return Ok(None);
        };
        if payment.state != ChargeState::Processing {
            return Ok(Some(payment));
        }
        // Only with the lease: no attempt is with the processor meanwhile,
        // and none can take the charge over.
        let Some(lease_until) = self
            .store
            .claim_charge(payment.id, self.timing.charge_lease)
            .await?
        else {
            return Err(Error::ChargeInProgress(key.as_str().to_owned()));
        };
        let processor = self.processors.for_method(payment.method.kind());
        let answer =
            tokio::time::timeout(self.timing.processor_timeout, processor.void(payment.id))
                .await
                .unwrap_or_else(|_| {
                    Err(ProcessorError::Unavailable(
                        "no answer within the processor timeout".into(),
                    ))
                });
        if let Err(error) = answer {
            self.store.release_charge(payment.id, lease_until).await?;
            tracing::warn!(payment_id = %payment.id, %error, "void not processed");
            return Err(match error {
                ProcessorError::Unavailable(cause) => Error::ProcessorUnavailable(cause),
                ProcessorError::Refused(cause) => Error::Internal(cause),
            });
        }
        let payment = self
            .store
            .finish_charge(payment.id, &ChargeDecision::Void)
            .await?;
        tracing::info!(payment_id = %payment.id, status = ?payment.status(), "abandoned charge settled");
        Ok(Some(payment))
    }

    fn lease_from_now(&self) -> i64 {
        let lease = i64::try_from(self.timing.charge_lease.as_micros()).unwrap_or(i64::MAX);
        to_micros(self.clock.now()).saturating_add(lease.max(1))
    }

    /// Asks the processor about a charge this attempt owns and records the
    /// answer. Runs as its own task: if the caller goes away (a deadline,
    /// a dropped connection), the answer is still recorded, and a repeat
    /// finds the payment finished.
    async fn process(
        &self,
        payment: Payment,
        request: ChargeRequest,
        lease_until: i64,
    ) -> Result<Payment> {
        let this = self.clone();
        tokio::spawn(async move { this.process_now(payment, request, lease_until).await })
            .await
            .map_err(|e| Error::Internal(format!("the charge task failed: {e}")))?
    }

    async fn process_now(
        &self,
        payment: Payment,
        request: ChargeRequest,
        lease_until: i64,
    ) -> Result<Payment> {
        let method = request.charge.method;
        let processor = self.processors.for_method(method.kind());
        let attempt = ChargeAttempt {
            payment_id: payment.id,
            amount: &payment.amount,
            method: &method,
            now: self.clock.now(),
        };
        let answer =
            tokio::time::timeout(self.timing.processor_timeout, processor.charge(&attempt))
                .await
                .unwrap_or_else(|_| {
                    Err(ProcessorError::Unavailable(
                        "no answer within the processor timeout".into(),
                    ))
                });
        let decision = match answer {
            Ok(decision) => decision,
            Err(error) => {
                // Leave the payment processing, free for a retry with the
                // same key to take over at once.
                self.store.release_charge(payment.id, lease_until).await?;
                tracing::warn!(payment_id = %payment.id, %error, "charge not processed");
                return Err(match error {
                    ProcessorError::Unavailable(cause) => Error::ProcessorUnavailable(cause),
                    ProcessorError::Refused(cause) => Error::Internal(cause),
                });
            }
        };
        let payment = self.store.finish_charge(payment.id, &decision).await?;
        tracing::info!(
            payment_id = %payment.id,
            order_id = payment.order_id.as_str(),
            method = payment.method.kind().as_str(),
            status = ?payment.status(),
            decline_code = payment.decline_code().map(super::domain::payment::DeclineCode::as_str),
            "charge processed"
        );
        Ok(payment)
    }

    /// Refunds part or all of a payment, once per idempotency key.
    pub async fn refund(&self, request: RefundRequest, actor: &str) -> Result<Payment> {
        let refund = match self.store.begin_refund(&request, actor).await? {
            Begun::Created(refund) => refund,
            Begun::Existing(refund) if refund.fingerprint == request.fingerprint() => refund,
            Begun::Existing(_) => {
                return Err(Error::IdempotencyKeyReused {
                    key: request.key.as_str().to_owned(),
                    what: "refund",
                });
            }
        };
        if refund.state == RefundState::Pending {
            // Its own task for the same reason as a charge's.
            let this = self.clone();
            let pending = refund.clone();
            tokio::spawn(async move { this.send_refund(pending).await })
                .await
                .map_err(|e| Error::Internal(format!("the refund task failed: {e}")))??;
        }
        self.store.payment(refund.payment_id).await
    }

    /// Sends a recorded refund through the processor of its payment, and
    /// marks it done.
    async fn send_refund(&self, refund: Refund) -> Result<()> {
        let payment = self.store.payment(refund.payment_id).await?;
        let processor = self.processors.for_method(payment.method.kind());
        let attempt = RefundAttempt {
            refund_id: refund.id,
            payment: &payment,
            amount_minor: refund.amount_minor,
        };
        let answer =
            tokio::time::timeout(self.timing.processor_timeout, processor.refund(&attempt))
                .await
                .unwrap_or_else(|_| {
                    Err(ProcessorError::Unavailable(
                        "no answer within the processor timeout".into(),
                    ))
                });
        match answer {
            Ok(decision) => {
                self.store.complete_refund(&refund, decision).await?;
                tracing::info!(
                    payment_id = %payment.id,
                    refund_id = %refund.id,
                    amount_minor = refund.amount_minor,
                    "refund sent"
                );
                Ok(())
            }
            Err(error) => {
                tracing::warn!(refund_id = %refund.id, %error, "refund recorded but not sent yet");
                Err(match error {
                    ProcessorError::Unavailable(cause) => Error::ProcessorUnavailable(cause),
                    ProcessorError::Refused(cause) => Error::Internal(cause),
                })
            }
        }
    }

    /// Credits a wallet, once per idempotency key; returns it as it is now.
    pub async fn top_up(&self, request: TopUpRequest, actor: &str) -> Result<Wallet> {
        if let Begun::Existing(fingerprint) = self.store.top_up(&request, actor).await?
            && fingerprint != request.fingerprint()
        {
            return Err(Error::IdempotencyKeyReused {
                key: request.key.as_str().to_owned(),
                what: "top-up",
            });
        }
        self.store
            .wallet(&request.user_id, request.amount.currency())
            .await
    }

    /// A payment, with its refunds.
    pub async fn payment(&self, id: PaymentId) -> Result<Payment> {
        self.store.payment(id).await
    }

    /// One page of payments, newest first, and whether more follow.
    pub async fn list(&self, query: &ListQuery) -> Result<Page<Payment>> {
        self.store.list_payments(query).await
    }

    /// A user's wallet in one currency.
    pub async fn wallet(&self, user_id: &UserId, currency: &Currency) -> Result<Wallet> {
        self.store.wallet(user_id, currency).await
    }
}

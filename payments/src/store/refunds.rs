//! Refund queries. A refund is recorded first, in one transaction: its row
//! (unique by idempotency key), the payment's refunded total raised by a
//! conditional update that can never pass the captured amount, and its
//! ledger entry. Sending the money back happens after, and completing it
//! (with the wallet credit for wallet payments) is a second transaction.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{clock::to_micros, on_db};

use super::{
    Begun, Store,
    payments::load_payment,
    rows::{self, CAPTURED, LedgerRow, PaymentRow, RefundRow, WalletRow},
    schema::{ledger_entries, payments, refunds, wallets},
};
use crate::{
    domain::{Payment, Refund, RefundDecision, RefundId, RefundRequest, RefundState},
    error::{Error, Result},
    events,
};

impl Store {
    /// Records a refund as pending, unless its idempotency key is taken:
    /// then the refund the key names. Refuses (REFUND_EXCEEDS_CAPTURE) a
    /// refund larger than what is left of the capture.
    pub async fn begin_refund(
        &self,
        request: &RefundRequest,
        actor: &str,
    ) -> Result<Begun<Refund>> {
        match self.try_begin_refund(request, actor).await {
            // A concurrent call with the same key inserted first (its row
            // made ours wait, then fail): answer as a repeat of that call.
            Err(e) if e.is_unique_violation() => self.refund_by_key(request).await,
            other => other,
        }
    }

    async fn refund_by_key(&self, request: &RefundRequest) -> Result<Begun<Refund>> {
        let key = request.key.as_str().to_owned();
        let row: Option<RefundRow> = on_db!(&self.db, |conn| {
            refunds::table
                .filter(refunds::idempotency_key.eq(&key))
                .select(RefundRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        let row = row.ok_or_else(|| Error::Corrupt(format!("refund with key {key:?} vanished")))?;
        Ok(Begun::Existing(rows::refund(row)?))
    }

    async fn try_begin_refund(
        &self,
        request: &RefundRequest,
        actor: &str,
    ) -> Result<Begun<Refund>> {
        let now = to_micros(self.clock.now());
        let key = request.key.as_str().to_owned();
        let payment_key = request.payment_id.to_string();
        let fingerprint = request.fingerprint();
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                let existing: Option<RefundRow> = refunds::table
                    .filter(refunds::idempotency_key.eq(&key))
                    .select(RefundRow::as_select())
                    .first(tx)
                    .await
                    .optional()?;
                if let Some(existing) = existing {
                    return Ok(Begun::Existing(rows::refund(existing)?));
                }
                let Some(payment) = load_payment!(tx, payments::id.eq(&payment_key)) else {
                    return Err(Error::PaymentNotFound(payment_key.clone()));
                };
                let amount = request
                    .amount_from(&payment)
                    .map_err(|d| Error::invalid("amount.currency_code", d))?;
                let exceeds = |refundable_minor: i64| Error::RefundExceedsCapture {
                    payment_id: payment_key.clone(),
                    refundable_minor,
                    currency: payment.currency().as_str().to_owned(),
                };
                if amount <= 0 {
                    return Err(exceeds(payment.refundable_minor()));
                }

                // The row first: a concurrent call with the same key now
                // waits for this transaction and then fails on the key,
                // instead of racing it for the refundable amount.
                let row = RefundRow {
                    id: RefundId::generate().to_string(),
                    payment_id: payment_key.clone(),
                    idempotency_key: key.clone(),
                    fingerprint: fingerprint.as_str().to_owned(),
                    amount_minor: amount,
                    reason: request.reason.as_str().to_owned(),
                    status: RefundState::Pending.as_str().to_owned(),
                    actor: actor.to_owned(),
                    created_at: now,
                    updated_at: now,
                };
                diesel::insert_into(refunds::table)
                    .values(&row)
                    .execute(tx)
                    .await?;

                // The precondition is in the WHERE clause: concurrent
                // refunds can never together pass the captured amount.
                let raised = diesel::update(
                    payments::table
                        .filter(payments::id.eq(&payment_key))
                        .filter(payments::status.eq(CAPTURED))
                        .filter((payments::refunded_minor + amount).le(payments::captured_minor)),
                )
                .set((
                    payments::refunded_minor.eq(payments::refunded_minor + amount),
                    payments::updated_at.eq(now),
                ))
                .execute(tx)
                .await?;
                if raised == 0 {
                    // Returning an error rolls the refund row back.
                    let current: PaymentRow = payments::table
                        .filter(payments::id.eq(&payment_key))
                        .select(PaymentRow::as_select())
                        .first(tx)
                        .await?;
                    return Err(exceeds(current.captured_minor - current.refunded_minor));
                }

                let entry = LedgerRow::refund(&row, &payment);
                diesel::insert_into(ledger_entries::table)
                    .values(&entry)
                    .execute(tx)
                    .await?;
                Ok(Begun::Created(rows::refund(row)?))
            })
            .await
        })
    }

    /// Marks a pending refund as done after the processor's `decision`,
    /// crediting the wallet in the same transaction when the decision says
    /// so. Completing a refund twice changes nothing the second time.
    pub async fn complete_refund(&self, refund: &Refund, decision: RefundDecision) -> Result<()> {
        let key = refund.id.to_string();
        let payment_key = refund.payment_id.to_string();
        let amount = refund.amount_minor;
        let at = self.clock.now();
        let now = to_micros(at);
        let refund_id = refund.id;
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                let won = diesel::update(
                    refunds::table
                        .filter(refunds::id.eq(&key))
                        .filter(refunds::status.eq(RefundState::Pending.as_str())),
                )
                .set((
                    refunds::status.eq(RefundState::Succeeded.as_str()),
                    refunds::updated_at.eq(now),
                ))
                .execute(tx)
                .await?
                    == 1;
                if !won {
                    return Ok(());
                }
                if decision == RefundDecision::CreditWallet {
                    let (user_id, currency): (String, String) = payments::table
                        .filter(payments::id.eq(&payment_key))
                        .select((payments::user_id, payments::currency))
                        .first(tx)
                        .await?;
                    let credit = WalletRow {
                        user_id,
                        currency,
                        balance_minor: amount,
                        updated_at: now,
                    };
                    diesel::insert_into(wallets::table)
                        .values(&credit)
                        .on_conflict((wallets::user_id, wallets::currency))
                        .do_update()
                        .set((
                            wallets::balance_minor.eq(wallets::balance_minor + amount),
                            wallets::updated_at.eq(now),
                        ))
                        .execute(tx)
                        .await?;
                }
                let payment: Option<Payment> =
                    load_payment!(&mut *tx, payments::id.eq(&payment_key));
                if let Some(payment) = payment {
                    let event = events::refunded(&payment, &refund_id);
                    platform::events::append(tx.into(), event, at).await?;
                }
                Ok(())
            })
            .await
        })
    }
}

//! Charge queries: the processing row that makes a charge idempotent, the
//! lease that says which attempt is working on it, recording its outcome
//! (with the wallet debit and the ledger entry), and reads and listings.

use std::{collections::HashMap, time::Duration};

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::to_micros,
    db::{Db, DbError, PgConn},
    on_db,
    paging::{Cursor, Page},
    statements::CacheStatement,
};

use super::{
    Begun, Store,
    rows::{
        self, CAPTURED, DECLINED, LeaseRow, LedgerRow, PROCESSING, PaymentRow, RefundRow,
        VOIDED_CODE,
    },
    schema::{charge_leases, charge_voids, ledger_entries, payments, refunds, wallets},
};
use crate::{
    domain::{
        ChargeDecision, ChargeRequest, DeclineCode, IdempotencyKey, ListQuery, OrderId, Payment,
        PaymentId,
    },
    error::{Error, Result},
    events,
};

/// Loads a payment and its refunds inside a connection or transaction.
/// `$filter` selects the payment row (by id or by idempotency key).
macro_rules! load_payment {
    ($conn:expr, $filter:expr) => {{
        let row: Option<PaymentRow> = payments::table
            .filter($filter)
            .select(PaymentRow::as_select())
            .first($conn)
            .await
            .optional()?;
        match row {
            None => None,
            Some(row) => {
                let refund_rows: Vec<RefundRow> = refunds::table
                    .filter(refunds::payment_id.eq(&row.id))
                    .select(RefundRow::as_select())
                    .load($conn)
                    .await?;
                Some(rows::payment(row, refund_rows)?)
            }
        }
    }};
}
pub(super) use load_payment;

/// Inserts the processing row of a new charge and its lease in one
/// statement on PostgreSQL, unless the idempotency key is taken (then
/// neither: the lease is inserted from the rows the payment insert
/// returns). ON CONFLICT DO NOTHING: a concurrent insert with the same key
/// waits for the other to commit, then inserts nothing. Returns how many
/// leases it inserted (1 or 0).
async fn insert_charge_postgres(
    conn: &mut PgConn,
    row: &PaymentRow,
    lease: &LeaseRow,
) -> std::result::Result<usize, diesel::result::Error> {
    use diesel::sql_types::{BigInt, Nullable, Text};
    diesel::sql_query(
        "WITH created AS (\
            INSERT INTO payments (id, idempotency_key, fingerprint, order_id, user_id, \
                currency, amount_minor, method, card_brand, card_last4, status, \
                decline_code, captured_minor, refunded_minor, created_at, updated_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
            ON CONFLICT (idempotency_key) DO NOTHING \
            RETURNING id) \
         INSERT INTO charge_leases (payment_id, lease_until, attempts) \
         SELECT id, $17, $18 FROM created",
    )
    .bind::<Text, _>(&row.id)
    .bind::<Text, _>(&row.idempotency_key)
    .bind::<Text, _>(&row.fingerprint)
    .bind::<Text, _>(&row.order_id)
    .bind::<Text, _>(&row.user_id)
    .bind::<Text, _>(&row.currency)
    .bind::<BigInt, _>(row.amount_minor)
    .bind::<Text, _>(&row.method)
    .bind::<Text, _>(&row.card_brand)
    .bind::<Text, _>(&row.card_last4)
    .bind::<Text, _>(&row.status)
    .bind::<Nullable<Text>, _>(&row.decline_code)
    .bind::<BigInt, _>(row.captured_minor)
    .bind::<BigInt, _>(row.refunded_minor)
    .bind::<BigInt, _>(row.created_at)
    .bind::<BigInt, _>(row.updated_at)
    .bind::<BigInt, _>(lease.lease_until)
    .bind::<BigInt, _>(lease.attempts)
    .cached()
    .execute(conn)
    .await
}

/// A lease's length in microseconds, never zero (a lease ending at 0 is
/// a released one).
fn lease_micros(lease: Duration) -> i64 {
    i64::try_from(lease.as_micros()).unwrap_or(i64::MAX).max(1)
}

impl Store {
    /// Inserts the processing row of a new charge, leased to the caller
    /// until `lease_until`, unless the idempotency key is taken: then the
    /// payment the key names (created by an earlier or concurrent call).
    pub async fn begin_charge(
        &self,
        request: &ChargeRequest,
        lease_until: i64,
    ) -> Result<Begun<Payment>> {
        let now = to_micros(self.clock.now());
        let row = PaymentRow::processing(request, PaymentId::generate(), now);
        let lease = LeaseRow {
            payment_id: row.id.clone(),
            lease_until,
            attempts: 1,
        };
        let created = match &self.db {
            // One statement, so one implicit transaction: both rows or
            // neither, as in the transaction below, in one round trip.
            Db::Postgres(pool) => {
                let _span = platform::db::operation_span(&self.db);
                let mut conn = pool.get().await.map_err(DbError::from)?;
                insert_charge_postgres(&mut conn, &row, &lease).await? == 1
            }
            Db::Sqlite(_) => on_db!(&self.db, |conn| {
                conn.transaction::<_, Error, _>(async |tx| {
                    // ON CONFLICT DO NOTHING: a concurrent insert with the same
                    // key waits for the other to commit, then inserts nothing.
                    let inserted = diesel::insert_into(payments::table)
                        .values(&row)
                        .on_conflict(payments::idempotency_key)
                        .do_nothing()
                        .cached()
                        .execute(tx)
                        .await?;
                    if inserted == 1 {
                        diesel::insert_into(charge_leases::table)
                            .values(&lease)
                            .cached()
                            .execute(tx)
                            .await?;
                    }
                    Ok(inserted == 1)
                })
                .await?
            }),
        };
        if created {
            return Ok(Begun::Created(rows::payment(row, Vec::new())?));
        }
        let existing = self.payment_by_key(&request.charge.key).await?;
        Ok(Begun::Existing(existing))
    }

    /// The payment an idempotency key made.
    async fn payment_by_key(&self, key: &IdempotencyKey) -> Result<Payment> {
        // Payments are never deleted, so a key seen taken stays taken.
        self.find_by_key(key)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("payment with key {:?} vanished", key.as_str())))
    }

    /// The payment an idempotency key made, if any.
    pub async fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<Payment>> {
        let key = key.as_str().to_owned();
        Ok(on_db!(&self.db, |conn| load_payment!(
            conn,
            payments::idempotency_key.eq(&key)
        )))
    }

    /// Records that the charge under `key` is voided (idempotent). Returns
    /// the order the key was first voided for.
    pub async fn void_key(&self, key: &IdempotencyKey, order_id: &OrderId) -> Result<String> {
        let key = key.as_str().to_owned();
        let order = order_id.as_str().to_owned();
        let now = to_micros(self.clock.now());
        Ok(on_db!(&self.db, |conn| {
            // Committed before the caller looks for a payment under the key,
            // as a new charge commits its payment before looking for this
            // row: of the two, at least one sees the other.
            diesel::insert_into(charge_voids::table)
                .values((
                    charge_voids::idempotency_key.eq(&key),
                    charge_voids::order_id.eq(&order),
                    charge_voids::created_at.eq(now),
                ))
                .on_conflict(charge_voids::idempotency_key)
                .do_nothing()
                .cached()
                .execute(conn)
                .await?;
            charge_voids::table
                .find(&key)
                .select(charge_voids::order_id)
                .first::<String>(conn)
                .await?
        }))
    }

    /// Whether the charge under `key` was voided.
    pub async fn is_voided(&self, key: &IdempotencyKey) -> Result<bool> {
        let key = key.as_str().to_owned();
        let found: Option<String> = on_db!(&self.db, |conn| {
            charge_voids::table
                .find(&key)
                .select(charge_voids::idempotency_key)
                .first(conn)
                .await
                .optional()?
        });
        Ok(found.is_some())
    }

    /// Takes over a processing charge whose lease has run out (its attempt
    /// gave up or died): leases it to the caller for `lease` and returns
    /// the new lease's end, or `None` if the charge is finished or another
    /// attempt still (or now) owns it.
    pub async fn claim_charge(&self, id: PaymentId, lease: Duration) -> Result<Option<i64>> {
        let key = id.to_string();
        let now = to_micros(self.clock.now());
        let lease_until = now.saturating_add(lease_micros(lease));
        // Only processing charges have a lease row, and of two claimers
        // only one sees the old lease expired.
        let claimed = on_db!(&self.db, |conn| {
            diesel::update(
                charge_leases::table
                    .filter(charge_leases::payment_id.eq(&key))
                    .filter(charge_leases::lease_until.le(now)),
            )
            .set((
                charge_leases::lease_until.eq(lease_until),
                charge_leases::attempts.eq(charge_leases::attempts + 1),
            ))
            .cached()
            .execute(conn)
            .await?
        });
        Ok((claimed == 1).then_some(lease_until))
    }

    /// Gives up the lease `lease_until` on a processing charge, so that a
    /// retry may take it over at once (after transient processor trouble).
    /// Does nothing if another attempt owns it by now.
    pub async fn release_charge(&self, id: PaymentId, lease_until: i64) -> Result<()> {
        let key = id.to_string();
        on_db!(&self.db, |conn| {
            diesel::update(
                charge_leases::table
                    .filter(charge_leases::payment_id.eq(&key))
                    .filter(charge_leases::lease_until.eq(lease_until)),
            )
            .set(charge_leases::lease_until.eq(0))
            .cached()
            .execute(conn)
            .await?
        });
        Ok(())
    }

    /// Records a processor's decision on a processing charge: captured
    /// (with its ledger entry; for wallets, the debit, or a decline if the
    /// balance is short), declined or voided, all in one transaction. Only the
    /// first outcome recorded counts; later ones (a duplicate attempt
    /// finishing second) change nothing. Returns the payment as it is now.
    pub async fn finish_charge(&self, id: PaymentId, decision: &ChargeDecision) -> Result<Payment> {
        let key = id.to_string();
        let at = self.clock.now();
        let now = to_micros(at);
        let recorded: Option<Payment> = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // Moving the row out of `processing` is the claim on the
                // outcome: exactly one attempt gets past this. Every write
                // below runs under the row lock it takes.
                let target = || {
                    payments::table
                        .filter(payments::id.eq(&key))
                        .filter(payments::status.eq(PROCESSING))
                };
                // (status, decline code, whether captured, processor reference)
                let (status, decline, captured, reference) = match decision {
                    ChargeDecision::Approved { reference } => {
                        (CAPTURED, None, true, Some(reference.clone()))
                    }
                    ChargeDecision::Declined(code) => (DECLINED, Some(code.as_str()), false, None),
                    ChargeDecision::Void => (DECLINED, Some(VOIDED_CODE), false, None),
                    ChargeDecision::DebitWallet => {
                        // The claim first, for the amount and the payer;
                        // the outcome is then written by the UPDATE below.
                        let claimed: Option<PaymentRow> = diesel::update(target())
                            .set(payments::updated_at.eq(now))
                            .returning(PaymentRow::as_returning())
                            .cached()
                            .get_result(tx)
                            .await
                            .optional()?;
                        let Some(row) = claimed else {
                            return Ok(None);
                        };
                        // The balance check is the WHERE clause, so
                        // concurrent charges can never take it below zero.
                        let debited = diesel::update(
                            wallets::table
                                .filter(wallets::user_id.eq(&row.user_id))
                                .filter(wallets::currency.eq(&row.currency))
                                .filter(wallets::balance_minor.ge(row.amount_minor)),
                        )
                        .set((
                            wallets::balance_minor.eq(wallets::balance_minor - row.amount_minor),
                            wallets::updated_at.eq(now),
                        ))
                        .cached()
                        .execute(tx)
                        .await?;
                        if debited == 0 {
                            let short = DeclineCode::InsufficientWalletBalance.as_str();
                            (DECLINED, Some(short), false, None)
                        } else {
                            (CAPTURED, None, true, None)
                        }
                    }
                };
                // The outcome in the claiming UPDATE itself (for a wallet,
                // the row is already claimed, and still processing). What
                // is captured is the whole amount or nothing, so one SQL
                // text serves both: the amount times 1 or 0.
                let row: Option<PaymentRow> = diesel::update(target())
                    .set((
                        payments::status.eq(status),
                        payments::decline_code.eq(decline),
                        payments::captured_minor.eq(payments::amount_minor * i64::from(captured)),
                        payments::updated_at.eq(now),
                    ))
                    .returning(PaymentRow::as_returning())
                    .cached()
                    .get_result(tx)
                    .await
                    .optional()?;
                let Some(row) = row else {
                    return Ok(None);
                };
                diesel::delete(charge_leases::table.filter(charge_leases::payment_id.eq(&key)))
                    .cached()
                    .execute(tx)
                    .await?;
                // The payment as it now is, from the row the UPDATE
                // returned: it has no refunds, as a refund is only ever
                // committed against a payment already seen captured, which
                // this one is only once this transaction commits.
                let payment = rows::payment(row.clone(), Vec::new())?;
                if row.captured_minor > 0 {
                    let entry = LedgerRow::charge(&row, reference, now);
                    diesel::insert_into(ledger_entries::table)
                        .values(&entry)
                        .cached()
                        .execute(tx)
                        .await?;
                }
                if status == CAPTURED {
                    platform::events::append(tx.into(), events::captured(&payment), at).await?;
                }
                Ok(Some(payment))
            })
            .await?
        });
        match recorded {
            Some(payment) => Ok(payment),
            // Another attempt recorded the outcome first: that one stands.
            None => self.payment(id).await,
        }
    }

    /// A payment, with its refunds.
    pub async fn payment(&self, id: PaymentId) -> Result<Payment> {
        let key = id.to_string();
        let found: Option<Payment> =
            on_db!(&self.db, |conn| load_payment!(conn, payments::id.eq(&key)));
        found.ok_or(Error::PaymentNotFound(key))
    }

    /// One page of payments, newest first, and whether more follow.
    pub async fn list_payments(&self, query: &ListQuery) -> Result<Page<Payment>> {
        let limit = query.page_size.fetch();
        let order_id = query.order_id.as_ref().map(|o| o.as_str().to_owned());
        let user_id = query.user_id.as_ref().map(|u| u.as_str().to_owned());
        let after = query.after.clone();
        let (payment_rows, refund_rows): (Vec<PaymentRow>, Vec<RefundRow>) =
            on_db!(&self.db, |conn| {
                let mut select = payments::table
                    .select(PaymentRow::as_select())
                    .order((payments::created_at.desc(), payments::id.desc()))
                    .limit(limit)
                    .into_boxed();
                if let Some(order_id) = &order_id {
                    select = select.filter(payments::order_id.eq(order_id));
                }
                if let Some(user_id) = &user_id {
                    select = select.filter(payments::user_id.eq(user_id));
                }
                if let Some(Cursor { at, id }) = &after {
                    select = select.filter(
                        payments::created_at
                            .lt(at)
                            .or(payments::created_at.eq(at).and(payments::id.lt(id))),
                    );
                }
                let payment_rows: Vec<PaymentRow> = select.load(conn).await?;
                let ids: Vec<&str> = payment_rows.iter().map(|p| p.id.as_str()).collect();
                let refund_rows: Vec<RefundRow> = refunds::table
                    .filter(refunds::payment_id.eq_any(&ids))
                    .select(RefundRow::as_select())
                    .load(conn)
                    .await?;
                (payment_rows, refund_rows)
            });
        let mut refunds_of: HashMap<String, Vec<RefundRow>> = HashMap::new();
        for refund in refund_rows {
            refunds_of
                .entry(refund.payment_id.clone())
                .or_default()
                .push(refund);
        }
        Page::of(payment_rows, query.page_size).try_map(|row| {
            let refunds = refunds_of.remove(&row.id).unwrap_or_default();
            rows::payment(row, refunds)
        })
    }
}

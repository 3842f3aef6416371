//! Rows as diesel reads and writes them, and their conversion to and from
//! the domain. Stored values are validated again on the way out, so a row
//! edited by hand cannot smuggle an invalid value into a response.

use diesel::prelude::*;
use platform::clock::from_micros;

use super::schema::{charge_leases, ledger_entries, payments, refunds, top_ups, wallets};
use crate::{
    domain::{
        AMOUNTS, Brand, CardSummary, ChargeRequest, ChargeState, Currency, DeclineCode, EntryKind,
        Fingerprint, IdempotencyKey, LedgerEntry, MethodKind, MethodSummary, Money, OrderId,
        Payment, PaymentId, Refund, RefundId, RefundReason, RefundState, UserId, Wallet,
    },
    error::{Error, Result},
};

pub const PROCESSING: &str = "processing";
pub const CAPTURED: &str = "captured";
pub const DECLINED: &str = "declined";
/// A voided charge is stored as declined with this code: nothing was
/// captured, like a decline, and the status CHECK of the first migration
/// (which SQLite cannot change in place) still holds.
pub const VOIDED_CODE: &str = "voided";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub order_id: String,
    pub user_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub method: String,
    pub card_brand: String,
    pub card_last4: String,
    pub status: String,
    pub decline_code: Option<String>,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PaymentRow {
    /// The row of a charge just accepted: processing.
    pub fn processing(request: &ChargeRequest, id: PaymentId, now: i64) -> Self {
        let (card_brand, card_last4) = match request.charge.method.summary() {
            MethodSummary::Card(card) => (card.brand.as_str().to_owned(), card.last4),
            MethodSummary::Wallet => (String::new(), String::new()),
        };
        Self {
            id: id.to_string(),
            idempotency_key: request.charge.key.as_str().to_owned(),
            fingerprint: request.fingerprint().as_str().to_owned(),
            order_id: request.charge.order_id.as_str().to_owned(),
            user_id: request.user_id.as_str().to_owned(),
            currency: request.charge.amount.currency().as_str().to_owned(),
            amount_minor: request.charge.amount.minor(),
            method: request.charge.method.kind().as_str().to_owned(),
            card_brand,
            card_last4,
            status: PROCESSING.to_owned(),
            decline_code: None,
            captured_minor: 0,
            refunded_minor: 0,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Which attempt owns a processing charge, until when.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = charge_leases)]
pub struct LeaseRow {
    pub payment_id: String,
    pub lease_until: i64,
    pub attempts: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    pub id: String,
    pub payment_id: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub amount_minor: i64,
    pub reason: String,
    pub status: String,
    pub actor: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = wallets)]
pub struct WalletRow {
    pub user_id: String,
    pub currency: String,
    pub balance_minor: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = top_ups)]
pub struct TopUpRow {
    pub id: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub user_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub reason: String,
    pub actor: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_entries)]
pub struct LedgerRow {
    pub id: String,
    pub kind: String,
    pub reference: String,
    pub payment_id: Option<String>,
    pub user_id: String,
    pub method: String,
    pub currency: String,
    pub amount_minor: i64,
    pub processor_reference: Option<String>,
    pub created_at: i64,
}

impl LedgerRow {
    /// The entry of a captured charge; `processor_reference` is the card
    /// network's id for it.
    pub fn charge(payment: &PaymentRow, processor_reference: Option<String>, now: i64) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: EntryKind::Charge.as_str().to_owned(),
            reference: payment.id.clone(),
            payment_id: Some(payment.id.clone()),
            user_id: payment.user_id.clone(),
            method: payment.method.clone(),
            currency: payment.currency.clone(),
            amount_minor: payment.amount_minor,
            processor_reference,
            created_at: now,
        }
    }

    /// The entry of a refund of `payment`.
    pub fn refund(refund: &RefundRow, payment: &Payment) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: EntryKind::Refund.as_str().to_owned(),
            reference: refund.id.clone(),
            payment_id: Some(refund.payment_id.clone()),
            user_id: payment.user_id.as_str().to_owned(),
            method: payment.method.kind().as_str().to_owned(),
            currency: payment.currency().as_str().to_owned(),
            amount_minor: refund.amount_minor,
            processor_reference: None,
            created_at: refund.created_at,
        }
    }

    /// The entry of a wallet top-up.
    pub fn top_up(top_up: &TopUpRow) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: EntryKind::TopUp.as_str().to_owned(),
            reference: top_up.id.clone(),
            payment_id: None,
            user_id: top_up.user_id.clone(),
            method: MethodKind::Wallet.as_str().to_owned(),
            currency: top_up.currency.clone(),
            amount_minor: top_up.amount_minor,
            processor_reference: None,
            created_at: top_up.created_at,
        }
    }
}

/// A payment row and its refund rows.
pub fn payment(row: PaymentRow, mut refund_rows: Vec<RefundRow>) -> Result<Payment> {
    let corrupt = |what: &str| Error::Corrupt(format!("payment {}: {what}", row.id));
    let method = match MethodKind::parse(&row.method).ok_or_else(|| corrupt("method"))? {
        MethodKind::Wallet => MethodSummary::Wallet,
        MethodKind::Card => MethodSummary::Card(CardSummary {
            brand: Brand::parse(&row.card_brand).ok_or_else(|| corrupt("card brand"))?,
            last4: row.card_last4.clone(),
        }),
    };
    let state = match (row.status.as_str(), row.decline_code.as_deref()) {
        (PROCESSING, None) => ChargeState::Processing,
        (CAPTURED, None) => ChargeState::Captured,
        (DECLINED, Some(VOIDED_CODE)) => ChargeState::Voided,
        (DECLINED, Some(code)) => {
            ChargeState::Declined(DeclineCode::parse(code).ok_or_else(|| corrupt("decline code"))?)
        }
        _ => return Err(corrupt("status")),
    };
    refund_rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let refunds = refund_rows
        .into_iter()
        .map(refund)
        .collect::<Result<Vec<_>>>()?;
    Ok(Payment {
        id: PaymentId::parse(&row.id).map_err(|_| corrupt("id"))?,
        key: IdempotencyKey::parse(&row.idempotency_key).map_err(|_| corrupt("key"))?,
        fingerprint: Fingerprint::stored(row.fingerprint),
        order_id: OrderId::parse(&row.order_id).map_err(|_| corrupt("order id"))?,
        user_id: UserId::parse(&row.user_id).map_err(|_| corrupt("user id"))?,
        amount: Money::parse(&row.currency, row.amount_minor, AMOUNTS)
            .map_err(|_| corrupt("amount"))?,
        method,
        state,
        captured_minor: row.captured_minor,
        refunded_minor: row.refunded_minor,
        refunds,
        created_at: from_micros(row.created_at),
        updated_at: from_micros(row.updated_at),
    })
}

/// A refund row.
pub fn refund(row: RefundRow) -> Result<Refund> {
    let corrupt = |what: &str| Error::Corrupt(format!("refund {}: {what}", row.id));
    Ok(Refund {
        id: RefundId::parse(&row.id).map_err(|_| corrupt("id"))?,
        payment_id: PaymentId::parse(&row.payment_id).map_err(|_| corrupt("payment id"))?,
        key: IdempotencyKey::parse(&row.idempotency_key).map_err(|_| corrupt("key"))?,
        fingerprint: Fingerprint::stored(row.fingerprint),
        amount_minor: row.amount_minor,
        reason: RefundReason::parse(&row.reason).map_err(|_| corrupt("reason"))?,
        state: RefundState::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        created_at: from_micros(row.created_at),
    })
}

/// A wallet row.
pub fn wallet(row: WalletRow) -> Result<Wallet> {
    let corrupt = |what: &str| {
        Error::Corrupt(format!(
            "wallet of {} in {}: {what}",
            row.user_id, row.currency
        ))
    };
    Ok(Wallet {
        user_id: UserId::parse(&row.user_id).map_err(|_| corrupt("user id"))?,
        currency: Currency::parse(&row.currency).map_err(|_| corrupt("currency"))?,
        balance_minor: row.balance_minor,
        updated_at: Some(from_micros(row.updated_at)),
    })
}

/// A ledger row.
pub fn ledger_entry(row: LedgerRow) -> Result<LedgerEntry> {
    let corrupt = |what: &str| Error::Corrupt(format!("ledger entry {}: {what}", row.id));
    Ok(LedgerEntry {
        kind: EntryKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
        payment_id: row
            .payment_id
            .as_deref()
            .map(PaymentId::parse)
            .transpose()
            .map_err(|_| corrupt("payment id"))?,
        reference: row.reference,
        user_id: UserId::parse(&row.user_id).map_err(|_| corrupt("user id"))?,
        method: MethodKind::parse(&row.method).ok_or_else(|| corrupt("method"))?,
        currency: Currency::parse(&row.currency).map_err(|_| corrupt("currency"))?,
        amount_minor: row.amount_minor,
        processor_reference: row.processor_reference,
        created_at: from_micros(row.created_at),
    })
}

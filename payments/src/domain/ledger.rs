//! The ledger: one append-only entry per movement of money (a captured
//! charge, a refund, a top-up). Payments' captured and refunded totals and
//! wallets' balances are kept in step with it, in the same transactions.

use time::OffsetDateTime;

use super::{
    payment::MethodKind,
    values::{Currency, PaymentId, UserId},
};

platform::stored_enum!(
    /// What moved money.
    pub EntryKind {
        /// A captured charge: money taken from a card or wallet.
        Charge => "charge",
        /// A refund: money given back to a card or wallet.
        Refund => "refund",
        /// Store credit an admin added to a wallet.
        TopUp => "top_up",
    }
);

/// One movement of money. `amount_minor` is always positive; the kind says
/// which way it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub kind: EntryKind,
    /// The id of the payment (charges), refund or top-up recorded; each is
    /// recorded once.
    pub reference: String,
    /// The payment a charge or refund belongs to.
    pub payment_id: Option<PaymentId>,
    pub user_id: UserId,
    pub method: MethodKind,
    pub currency: Currency,
    pub amount_minor: i64,
    /// The card network's id for the movement, if it went through one.
    pub processor_reference: Option<String>,
    pub created_at: OffsetDateTime,
}

impl LedgerEntry {
    /// How the entry changes the user's wallet in its currency: charges
    /// paid from the wallet take, refunds to it and top-ups give, card
    /// entries do not touch it.
    pub fn wallet_effect(&self) -> i64 {
        match (self.method, self.kind) {
            (MethodKind::Card, _) => 0,
            (MethodKind::Wallet, EntryKind::Charge) => -self.amount_minor,
            (MethodKind::Wallet, EntryKind::Refund | EntryKind::TopUp) => self.amount_minor,
        }
    }
}

/// A payment's totals as its ledger entries give them: (captured, refunded).
pub fn payment_totals(entries: &[LedgerEntry]) -> (i64, i64) {
    entries
        .iter()
        .fold((0, 0), |(captured, refunded), entry| match entry.kind {
            EntryKind::Charge => (captured + entry.amount_minor, refunded),
            EntryKind::Refund => (captured, refunded + entry.amount_minor),
            EntryKind::TopUp => (captured, refunded),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn entry(kind: EntryKind, method: MethodKind, amount: i64) -> LedgerEntry {
        LedgerEntry {
            kind,
            reference: "r".into(),
            payment_id: None,
            user_id: UserId::parse("customer-1").expect("user"),
            method,
            currency: Currency::parse("USD").expect("currency"),
            amount_minor: amount,
            processor_reference: None,
            created_at: datetime!(2024-01-01 00:00 UTC),
        }
    }

    #[test]
    fn wallet_entries_move_the_balance_and_card_entries_do_not() {
        use EntryKind::*;
        use MethodKind::*;
        assert_eq!(entry(TopUp, Wallet, 500).wallet_effect(), 500);
        assert_eq!(entry(Charge, Wallet, 200).wallet_effect(), -200);
        assert_eq!(entry(Refund, Wallet, 50).wallet_effect(), 50);
        assert_eq!(entry(Charge, Card, 200).wallet_effect(), 0);
    }

    #[test]
    fn totals_add_charges_and_refunds_separately() {
        use EntryKind::*;
        let entries = [
            entry(Charge, MethodKind::Card, 1000),
            entry(Refund, MethodKind::Card, 300),
            entry(Refund, MethodKind::Card, 200),
        ];
        assert_eq!(payment_totals(&entries), (1000, 500));
    }
}

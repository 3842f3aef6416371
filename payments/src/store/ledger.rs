//! Ledger reads, for audits and tests: the entries of one payment or of one
//! wallet. Entries are only ever inserted (by the charge, refund and top-up
//! transactions); the database refuses updates and deletes.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use platform::on_db;

use super::{
    Store,
    rows::{self, LedgerRow},
    schema::ledger_entries,
};
use crate::{
    domain::{Currency, LedgerEntry, PaymentId, UserId},
    error::Result,
};

impl Store {
    /// The entries of a payment (its charge and refunds), oldest first.
    pub async fn payment_ledger(&self, id: PaymentId) -> Result<Vec<LedgerEntry>> {
        let key = id.to_string();
        let found: Vec<LedgerRow> = on_db!(&self.db, |conn| {
            ledger_entries::table
                .filter(ledger_entries::payment_id.eq(&key))
                .order((ledger_entries::created_at.asc(), ledger_entries::id.asc()))
                .select(LedgerRow::as_select())
                .load(conn)
                .await?
        });
        found.into_iter().map(rows::ledger_entry).collect()
    }

    /// The entries that moved a user's money in one currency (card and
    /// wallet alike), oldest first.
    pub async fn user_ledger(
        &self,
        user_id: &UserId,
        currency: &Currency,
    ) -> Result<Vec<LedgerEntry>> {
        let user = user_id.as_str().to_owned();
        let code = currency.as_str().to_owned();
        let found: Vec<LedgerRow> = on_db!(&self.db, |conn| {
            ledger_entries::table
                .filter(ledger_entries::user_id.eq(&user))
                .filter(ledger_entries::currency.eq(&code))
                .order((ledger_entries::created_at.asc(), ledger_entries::id.asc()))
                .select(LedgerRow::as_select())
                .load(conn)
                .await?
        });
        found.into_iter().map(rows::ledger_entry).collect()
    }
}

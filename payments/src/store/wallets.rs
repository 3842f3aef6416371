//! Wallet queries: balances, and top-ups that credit a wallet and append
//! their ledger entry in one transaction, once per idempotency key.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{clock::to_micros, on_db};

use super::{
    Begun, Store,
    rows::{self, LedgerRow, TopUpRow, WalletRow},
    schema::{ledger_entries, top_ups, wallets},
};
use crate::{
    domain::{Currency, Fingerprint, TopUpId, TopUpRequest, UserId, Wallet},
    error::{Error, Result},
};

impl Store {
    /// A user's wallet in one currency (empty if never credited).
    pub async fn wallet(&self, user_id: &UserId, currency: &Currency) -> Result<Wallet> {
        let user = user_id.as_str().to_owned();
        let code = currency.as_str().to_owned();
        let row: Option<WalletRow> = on_db!(&self.db, |conn| {
            wallets::table
                .filter(wallets::user_id.eq(&user))
                .filter(wallets::currency.eq(&code))
                .select(WalletRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        match row {
            Some(row) => rows::wallet(row),
            None => Ok(Wallet::empty(user_id.clone(), *currency)),
        }
    }

    /// Credits a wallet and records the top-up, unless its idempotency key
    /// is taken: then the fingerprint of the top-up the key made.
    pub async fn top_up(&self, request: &TopUpRequest, actor: &str) -> Result<Begun<Fingerprint>> {
        match self.try_top_up(request, actor).await {
            // A concurrent call with the same key committed first.
            Err(e) if e.is_unique_violation() => self.top_up_by_key(request).await,
            other => other,
        }
    }

    async fn top_up_by_key(&self, request: &TopUpRequest) -> Result<Begun<Fingerprint>> {
        let key = request.key.as_str().to_owned();
        let fingerprint: Option<String> = on_db!(&self.db, |conn| {
            top_ups::table
                .filter(top_ups::idempotency_key.eq(&key))
                .select(top_ups::fingerprint)
                .first(conn)
                .await
                .optional()?
        });
        let fingerprint = fingerprint
            .ok_or_else(|| Error::Corrupt(format!("top-up with key {key:?} vanished")))?;
        Ok(Begun::Existing(Fingerprint::stored(fingerprint)))
    }

    async fn try_top_up(&self, request: &TopUpRequest, actor: &str) -> Result<Begun<Fingerprint>> {
        let now = to_micros(self.clock.now());
        let fingerprint = request.fingerprint();
        let row = TopUpRow {
            id: TopUpId::generate().to_string(),
            idempotency_key: request.key.as_str().to_owned(),
            fingerprint: fingerprint.as_str().to_owned(),
            user_id: request.user_id.as_str().to_owned(),
            currency: request.amount.currency().as_str().to_owned(),
            amount_minor: request.amount.minor(),
            reason: request.reason.as_str().to_owned(),
            actor: actor.to_owned(),
            created_at: now,
        };
        let credit = WalletRow {
            user_id: row.user_id.clone(),
            currency: row.currency.clone(),
            balance_minor: row.amount_minor,
            updated_at: now,
        };
        let entry = LedgerRow::top_up(&row);
        let amount = row.amount_minor;
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                let existing: Option<String> = top_ups::table
                    .filter(top_ups::idempotency_key.eq(&row.idempotency_key))
                    .select(top_ups::fingerprint)
                    .first(tx)
                    .await
                    .optional()?;
                if let Some(existing) = existing {
                    return Ok(Begun::Existing(Fingerprint::stored(existing)));
                }
                // The top-up row first: a concurrent call with the same key
                // waits here, then fails on the key and credits nothing.
                diesel::insert_into(top_ups::table)
                    .values(&row)
                    .execute(tx)
                    .await?;
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
                diesel::insert_into(ledger_entries::table)
                    .values(&entry)
                    .execute(tx)
                    .await?;
                Ok(Begun::Created(fingerprint.clone()))
            })
            .await
        })
    }
}

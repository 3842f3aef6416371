//! Persistence of payments, refunds, wallets and the ledger with diesel,
//! on SQLite or PostgreSQL. Every query is written once inside `on_db!`;
//! invariants that must hold under concurrency (one charge per idempotency
//! key, refunds never above the capture, wallets never below zero, one
//! ledger entry per movement) are unique keys and conditional updates
//! inside transactions, never a read followed by a write.

mod ledger;
mod payments;
mod refunds;
pub mod rows;
pub mod schema;
mod wallets;

use platform::{clock::Clock, db::Db};

platform::migrations!(
    sqlite: "migrations/sqlite",
    postgres: "migrations/postgres",
);

/// What an idempotent write found: it created the thing, or the key was
/// already taken (by an earlier or concurrent call) and this is what the
/// key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun<T> {
    Created(T),
    Existing(T),
}

/// The payments service's tables. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    clock: Clock,
}

impl Store {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }
}

//! Persistence of products, stock and reservations with diesel, on SQLite
//! or PostgreSQL. Every query is written once inside `on_db!`; invariants
//! that must hold under concurrency (stock never negative, a unit never
//! sold twice, a reservation changing state once) are conditional updates
//! inside transactions, never a read followed by a write.

mod inventory;
mod products;
mod reservations;
mod rows;
pub mod schema;

use std::time::Duration;

use platform::{clock::Clock, db::Db};

platform::migrations!("migrations");

/// The catalog's tables. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    clock: Clock,
    /// How long a reservation holds its units before it expires.
    hold: Duration,
    /// Available units below which `catalog.stock.low` is published.
    low_stock: i64,
}

/// The default of [`Store::with_low_stock`].
pub const LOW_STOCK_THRESHOLD: i64 = 5;

impl Store {
    pub fn new(db: Db, clock: Clock, hold: Duration) -> Self {
        Self {
            db,
            clock,
            hold,
            low_stock: LOW_STOCK_THRESHOLD,
        }
    }

    /// Publishes `catalog.stock.low` when available units fall below
    /// `threshold`.
    #[must_use]
    pub fn with_low_stock(mut self, threshold: i64) -> Self {
        self.low_stock = threshold;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

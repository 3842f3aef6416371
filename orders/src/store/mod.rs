//! Persistence of orders, their lines and their status events with diesel,
//! on SQLite or PostgreSQL. A status change and its event are written in one
//! transaction, and only if the order is still in the status the change
//! starts from, so two drivers of one saga can never both move it.

mod orders;
pub mod parcel;
mod rows;
pub mod schema;

use platform::{clock::Clock, db::Db};

pub use orders::{Lease, ListQuery, NUMBER_ATTEMPTS};

platform::migrations!("migrations");

/// The orders tables. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    clock: Clock,
}

impl Store {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

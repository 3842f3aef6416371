//! Persistence of orders, their lines and their status events with diesel,
//! on SQLite or PostgreSQL. A status change and its event are written
//! together (on PostgreSQL in one statement, see `moves`), and only if the
//! order is still in the status the change starts from, so two drivers of
//! one saga can never both move it.

// Before the modules, which use it.
/// Inserts `rows` into `table` on `tx` (a transaction's connection): on
/// PostgreSQL in one statement (one round trip, prepared once per number
/// of rows: an order has at most `MAX_LINES` lines); on SQLite, whose
/// async wrapper has no multi-row insert, one statement per row, which
/// costs no round trip there.
macro_rules! insert_rows {
    ($tx:expr, $table:expr, $rows:expr) => {
        match platform::events::Conn::from(&mut *$tx) {
            platform::events::Conn::Sqlite(c) => {
                for row in $rows {
                    diesel::insert_into($table)
                        .values(row)
                        .cached()
                        .execute(c)
                        .await?;
                }
            }
            platform::events::Conn::Postgres(c) => {
                diesel::insert_into($table)
                    .values($rows)
                    .cached()
                    .execute(c)
                    .await?;
            }
        }
    };
}

mod moves;
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

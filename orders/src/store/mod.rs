//! Persistence of orders, their lines and their status events with diesel,
//! on SQLite or PostgreSQL. A status change and its event are written in one
//! transaction, and only if the order is still in the status the change
//! starts from, so two drivers of one saga can never both move it.

mod orders;
mod rows;
pub mod schema;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::{
    clock::Clock,
    db::{Db, Migrations},
};

pub use orders::ListQuery;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The orders service's migrations for both backends.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: SQLITE_MIGRATIONS,
        postgres: POSTGRES_MIGRATIONS,
    }
}

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

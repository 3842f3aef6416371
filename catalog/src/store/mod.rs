//! Persistence of products, stock and reservations with diesel, on SQLite
//! or PostgreSQL. Every query is written once inside `on_db!`; invariants
//! that must hold under concurrency (stock never negative, a unit never
//! sold twice, a reservation changing state once) are conditional updates
//! inside transactions, never a read followed by a write.
//!
//! Images' bytes go through a [`BlobStore`]; by default the catalog's own
//! database ([`DbBlobs`]), or an S3 bucket ([`S3Blobs`]).

/// The query for the images of the products whose ids are in `$ids` (a
/// `&Vec<String>`), each product's in display order, as [`rows::ImageRow`]s.
/// A macro, not a function: its type differs per backend.
macro_rules! images_of {
    ($ids:expr) => {
        $crate::store::schema::product_images::table
            .filter($crate::store::schema::product_images::product_id.eq_any($ids))
            .order((
                $crate::store::schema::product_images::product_id,
                $crate::store::schema::product_images::position,
                $crate::store::schema::product_images::id,
            ))
            .select($crate::store::rows::ImageRow::as_select())
    };
}

mod blobs;
mod images;
mod inventory;
mod products;
mod reservations;
mod rows;
pub mod schema;

use std::{sync::Arc, time::Duration};

use platform::{clock::Clock, db::Db};

pub use blobs::{BlobStore, DbBlobs, S3Blobs, S3Config, S3Credentials};

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
    /// Images' bytes.
    blobs: Arc<dyn BlobStore>,
}

/// The default of [`Store::with_low_stock`].
pub const LOW_STOCK_THRESHOLD: i64 = 5;

impl Store {
    pub fn new(db: Db, clock: Clock, hold: Duration) -> Self {
        Self {
            blobs: Arc::new(DbBlobs::new(db.clone())),
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

    /// Keeps images' bytes in `blobs` instead of the database.
    #[must_use]
    pub fn with_blobs(mut self, blobs: Arc<dyn BlobStore>) -> Self {
        self.blobs = blobs;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}

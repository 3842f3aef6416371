//! The service's tables, with diesel on SQLite or PostgreSQL: `shipments`
//! ([`queries`]) and `shipping_quotes` ([`quotes`]). [`create`] and
//! [`cancel_order`] run in the event consumer's transaction; [`Store`]
//! serves the API, the demo mode and the quotes' sweep. Every change of a
//! shipment is a conditional update on the status it was decided from,
//! written with its `fulfilment.shipment.*` event in one transaction (the
//! outbox).

mod queries;
mod quotes;
mod rows;

use platform::{clock::Clock, db::Db};

pub use queries::{Cancelled, cancel_order, create};

platform::migrations!("migrations");

diesel::table! {
    shipments (id) {
        id -> Text,
        order_id -> Text,
        user_id -> Text,
        status -> Text,
        lines -> Text,
        address -> Text,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        created_at -> BigInt,
        packed_at -> Nullable<BigInt>,
        shipped_at -> Nullable<BigInt>,
        delivered_at -> Nullable<BigInt>,
        cancelled_at -> Nullable<BigInt>,
        updated_at -> BigInt,
        cancel_reason -> Text,
        awaiting_order -> Bool,
    }
}

diesel::table! {
    shipping_quotes (id) {
        id -> Text,
        user_id -> Text,
        currency -> Text,
        address -> Text,
        lines -> Text,
        options -> Text,
        weight_grams -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

/// The service's tables for the API and the demo mode. Cheap to clone.
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

//! The event tables every service's database has (outbox, sequences,
//! leases, queue, inbox, positions), their migrations, and [`Conn`]: a
//! transaction on either backend, so producers and consumers can hand the
//! platform the transaction their own change runs in.

use crate::db::{PgConn, SqliteConn};

crate::migrations!(sqlite: "migrations/sqlite", postgres: "migrations/postgres");

/// A connection (typically inside a transaction) on either backend.
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConn),
    Postgres(&'a mut PgConn),
}

impl Conn<'_> {
    /// The same connection for one more call that takes a `Conn`, keeping
    /// this one for the calls after it (all in the same transaction).
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl<'a> From<&'a mut SqliteConn> for Conn<'a> {
    fn from(conn: &'a mut SqliteConn) -> Self {
        Conn::Sqlite(conn)
    }
}

impl<'a> From<&'a mut PgConn> for Conn<'a> {
    fn from(conn: &'a mut PgConn) -> Self {
        Conn::Postgres(conn)
    }
}

/// Runs `body` with `conn` bound to the backend's connection inside a
/// [`Conn`]; the body is compiled once per backend, like
/// [`on_db!`](crate::on_db).
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::events::Conn::Sqlite($c) => $body,
            $crate::events::Conn::Postgres($c) => $body,
        }
    };
}

diesel::table! {
    event_outbox (id) {
        id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        aggregate_id -> Text,
        aggregate_sequence -> BigInt,
        envelope -> Binary,
        state -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        published_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    event_sequences (aggregate_id) {
        aggregate_id -> Text,
        last_sequence -> BigInt,
    }
}

diesel::table! {
    event_leases (name) {
        name -> Text,
        owner -> Text,
        until -> BigInt,
    }
}

diesel::table! {
    event_queue (id) {
        id -> BigInt,
        consumer -> Text,
        event_id -> Text,
        envelope -> Binary,
        deliveries -> Integer,
        state -> Text,
        last_error -> Nullable<Text>,
        enqueued_at -> BigInt,
    }
}

diesel::table! {
    event_inbox (consumer, event_id) {
        consumer -> Text,
        event_id -> Text,
        processed_at -> BigInt,
    }
}

diesel::table! {
    event_positions (consumer, aggregate_id) {
        consumer -> Text,
        aggregate_id -> Text,
        last_sequence -> BigInt,
    }
}

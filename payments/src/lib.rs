//! The payments service: card and wallet charges that are idempotent by
//! key, refunds that never exceed the capture, store-credit wallets that
//! never go below zero, and an append-only ledger of every movement.
//!
//! So far the layers below the API: [`domain`] (validated values and
//! rules), [`processor`] (where money moves: the simulated card network,
//! wallets) and [`store`] (diesel on SQLite or PostgreSQL).

pub mod domain;
pub mod error;
pub mod processor;
pub mod store;

//! The fulfilment service in-process beside a real catalog: the orders'
//! events fed to its consumer as the platform applies them, and
//! FulfilmentService through its generated client, as customers, admins
//! and the orders service. On SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

mod access;
mod cancel;
mod checks;
mod demo;
mod helpers;
mod life;
mod listing;
mod operations;
mod quotes;
mod shipments;

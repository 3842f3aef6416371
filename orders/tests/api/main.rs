//! The orders service's API tests: catalog, payments, fulfilment and orders all running
//! in-process on 127.0.0.1:0, called through the generated clients, on
//! throwaway SQLite databases (or PostgreSQL when TEST_DATABASE_URL is set).

mod cancel;
mod checkout;
mod events;
mod helpers;
mod idempotency;
mod leases;
mod limits;
mod numbers;
mod operations;
mod ownership;
mod recovery;
mod resilience;
mod settlement;
mod shipping;
mod watch;

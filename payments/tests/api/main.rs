//! The payments service's API tests: the real server in-process on
//! 127.0.0.1:0, called through the generated client, on a throwaway SQLite
//! database (or PostgreSQL when TEST_DATABASE_URL is set).

mod auth;
mod charges;
mod events;
mod helpers;
mod limits;
mod operations;
mod reads;
mod refunds;
mod secrets;
mod voids;
mod wallets;

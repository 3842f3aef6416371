//! The catalog's API tests: the real server in-process on 127.0.0.1:0,
//! called through the generated clients, on a throwaway SQLite database
//! (or PostgreSQL when TEST_DATABASE_URL is set).

mod auth;
mod availability;
mod events;
mod helpers;
mod images;
mod inventory;
mod limits;
mod operations;
mod products;
mod reservations;
mod sorting;
mod weights;

//! The catalog's API tests: the real server in-process on 127.0.0.1:0,
//! called through the generated clients, on a throwaway SQLite database
//! (or PostgreSQL when TEST_DATABASE_URL is set); images' bytes also in
//! a real S3-compatible server when TEST_S3_URL names one.

mod auth;
mod availability;
mod blobs;
mod events;
mod helpers;
mod images;
mod inventory;
mod limits;
mod operations;
mod products;
mod reservations;
mod s3;
mod sorting;
mod weights;

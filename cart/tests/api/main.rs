//! The cart service in-process: the catalog's product events and the
//! orders' outcomes fed to its consumer as the platform applies them, and CartService through its
//! generated client, as customers and anonymous shoppers. On SQLite, and
//! on PostgreSQL when `TEST_DATABASE_URL` is set.

mod carts;
mod catalog;
mod checkout;
mod helpers;
mod merge_and_expiry;
mod operations;

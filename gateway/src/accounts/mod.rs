//! Accounts: `shop.auth.v1.AuthService` (Register, Login, WhoAmI), served by
//! the gateway with its own users table. Passwords are hashed with argon2id;
//! access tokens are short-lived EdDSA JWTs signed with the gateway's key.
//! Admins list, read and change accounts' roles through [`admin`].

pub mod admin;
pub mod api;
pub mod domain;
pub mod password;
pub mod store;
pub mod throttle;

pub use api::AuthApi;
pub use store::UserStore;

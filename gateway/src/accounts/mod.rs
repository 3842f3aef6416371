//! Accounts: `shop.auth.v1.AuthService`, served by the gateway with its own
//! tables. Passwords are hashed with argon2id; access tokens are
//! short-lived EdDSA JWTs signed with the gateway's key; refresh, reset and
//! verification tokens are opaque random strings kept as hashes. Admins
//! list, read and change accounts' roles through [`admin`]; customers keep
//! their shipping addresses through [`addresses`].

pub mod addresses;
pub mod admin;
pub mod api;
pub mod domain;
pub mod password;
pub mod recovery;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod token_store;
pub mod tokens;
pub mod verification;

pub use api::AuthApi;
pub use store::UserStore;

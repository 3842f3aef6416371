//! A customer's saved shipping addresses: AuthService's ListAddresses,
//! CreateAddress, UpdateAddress, DeleteAddress and SetDefaultAddress
//! ([`api`], which `AuthApi` delegates to), the values and rules they keep
//! ([`domain`]: at most 20 per user, one default at most) and their
//! queries ([`store`]). Each method acts on the caller's own addresses
//! only: another user's address is NOT_FOUND, as one that never existed.

pub mod api;
pub mod domain;
pub mod store;

pub use api::AddressBook;

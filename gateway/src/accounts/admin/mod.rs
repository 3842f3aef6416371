//! Accounts for admins: AuthService's ListUsers, GetUser, BatchGetUsers
//! and SetUserRole ([`api`], which `AuthApi` delegates to), the values they
//! take ([`domain`]) and their queries ([`store`]).

pub mod api;
pub mod domain;
pub mod store;

pub use api::UserAdmin;

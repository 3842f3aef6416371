//! Everything that can go wrong in the cart service, as one enum. The API
//! layer turns each variant into a gRPC status (see `api::status`); the
//! event handler turns the ones it meets into retry-or-reject decisions.

use platform::{db::DbError, error::FieldViolation};

/// A cart failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    /// The write named a version of the cart that is not the current one
    /// (someone else changed it, or it was created, cleared or merged
    /// meanwhile): the client reads the cart again.
    #[error("the cart changed since it was read; read it again")]
    EtagMismatch,
    /// No such cart for this caller (unknown, expired, or someone else's).
    #[error("no such cart")]
    CartNotFound,
    /// The product is unknown to the cart service or was deleted.
    #[error("product {0} is not for sale")]
    ProductNotFound(String),
    /// The product is not in the cart.
    #[error("product {0} is not in the cart")]
    LineNotFound(String),
    /// Checking out a cart with nothing in it.
    #[error("the cart is empty")]
    CartEmpty,
    /// Checking out a cart holding products that can no longer be bought.
    #[error("some products in the cart can no longer be bought; remove them first")]
    LinesUnavailable(Vec<String>),
    /// The orders service did not answer in time, or is down: the checkout
    /// may be retried with the same etag (it returns the same order).
    #[error("the orders service is unavailable; try again")]
    OrdersUnavailable,
    /// A bearer token was sent and is not valid.
    #[error("{0}")]
    Unauthenticated(String),
    /// A service's token: carts belong to users.
    #[error("only users have carts")]
    PermissionDenied,
    /// A stored row no longer holds what it should.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Everything that can go wrong in the orders service, as one enum. The API
//! layer turns each variant into a gRPC status (see `api::status`).

use platform::{db::DbError, error::FieldViolation};

use crate::domain::OrderId;

/// An orders failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("order {0} not found")]
    OrderNotFound(OrderId),
    #[error("products not found: {}", .0.join(", "))]
    ProductsNotFound(Vec<String>),
    #[error("the products are priced in more than one currency")]
    CurrencyMismatch,
    #[error("request_id {0} was already used for a different order")]
    RequestIdReused(String),
    #[error("order {id} is {status} and cannot be cancelled")]
    NotCancellable { id: OrderId, status: &'static str },
    #[error("customers may only list their own orders")]
    OthersOrders,
    #[error("the caller's token names no usable user")]
    NoUser,
    #[error("{0} is unavailable, retry later")]
    DependencyUnavailable(&'static str),
    #[error("{0} refused the call: {1}")]
    DependencyFailed(&'static str, String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Everything that can go wrong in the catalog, as one enum. The API layer
//! turns each variant into a gRPC status (see `api::status`).

use platform::{db::DbError, error::FieldViolation};

/// A catalog failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("product {0} not found")]
    ProductNotFound(String),
    #[error("products not found: {}", .0.join(", "))]
    ProductsNotFound(Vec<String>),
    #[error("reservation {0} not found")]
    ReservationNotFound(String),
    #[error("product {0} changed since it was read")]
    StaleProduct(String),
    /// The short products, each with the units it has left.
    #[error("not enough stock of {}", .0.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(", "))]
    OutOfStock(Vec<(String, i64)>),
    #[error("reservation {0} already exists with other lines")]
    ReservationMismatch(String),
    #[error("reservation {0} was released")]
    ReservationReleased(String),
    #[error("reservation {0} expired before it was committed")]
    ReservationExpired(String),
    #[error("stock of product {0} cannot go below zero")]
    InsufficientStock(String),
    #[error("product {product} has no image {image}")]
    ImageNotFound { product: String, image: String },
    #[error("image {0} not found")]
    ImageContentNotFound(String),
    #[error("product {0} already has the most images it may have (8)")]
    TooManyImages(String),
    #[error("the image could not be processed")]
    ImageProcessing,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbError),
    /// The store of images' bytes (an object store) failed or could not be
    /// reached; the cause is for the logs, never for the client.
    #[error("the image store failed: {0}")]
    ImageStore(#[source] Box<dyn std::error::Error + Send + Sync>),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

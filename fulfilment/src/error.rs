//! Everything that can go wrong in the fulfilment service, as one enum.
//! The API layer turns each variant into a gRPC status (see `api::status`);
//! the event handler turns the ones it meets into retry-or-reject
//! decisions.

use platform::{db::DbError, error::FieldViolation};

use crate::domain::{life::Refused, quote::CheckRefused, shipping::Unquotable};

/// A fulfilment failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    /// No such shipment for this caller (unknown, not created yet, or
    /// another customer's).
    #[error("no such shipment")]
    ShipmentNotFound,
    /// The shipment's status does not allow the change.
    #[error(transparent)]
    ShipmentStatus(#[from] Refused),
    /// The catalog knows none of these products.
    #[error("no such products: {}", .0.join(", "))]
    ProductsNotFound(Vec<String>),
    /// The parcel cannot be quoted (destination, currency).
    #[error(transparent)]
    Unquotable(#[from] Unquotable),
    /// No such quote for this caller's user (unknown, swept away after
    /// expiring, or another user's).
    #[error("no such shipping quote")]
    QuoteNotFound,
    /// The quote does not give the option asked for.
    #[error(transparent)]
    QuoteRefused(#[from] CheckRefused),
    /// The catalog did not answer (down, slow, or its breaker open).
    #[error("the catalog is unavailable; try again")]
    CatalogUnavailable,
    /// The catalog answered what it should not have.
    #[error("the catalog refused the call: {0}")]
    CatalogFailed(String),
    /// A stored row no longer holds what it should.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

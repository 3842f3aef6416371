//! Everything that can go wrong in the payments service, as one enum. The
//! API layer turns each variant into a gRPC status (see `api::status`).
//! A declined charge is not here: it is a payment, not an error.

use platform::{db::DbError, error::FieldViolation};

/// A payments failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("payment {0} not found")]
    PaymentNotFound(String),
    #[error("idempotency key {key:?} was already used for a different {what}")]
    IdempotencyKeyReused { key: String, what: &'static str },
    #[error(
        "the refund exceeds what is left to refund of payment {payment_id} \
         ({refundable_minor} minor units of {currency})"
    )]
    RefundExceedsCapture {
        payment_id: String,
        refundable_minor: i64,
        currency: String,
    },
    #[error(
        "a charge with idempotency key {0:?} is still being processed; retry with the same key"
    )]
    ChargeInProgress(String),
    #[error("the payment processor is temporarily unavailable; retry with the same key")]
    ProcessorUnavailable(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Everything that can go wrong in the notifications service, as one enum.
//! The API layer turns each variant into a gRPC status (see `api::status`);
//! the event handler and the sender log them or record them on the email.

use platform::{db::DbError, error::FieldViolation};

/// A notifications failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    /// An event this service subscribes to does not hold what its type
    /// promises (no payload, a user id or address that is not one).
    #[error("malformed {event_type} event: {reason}")]
    BadEvent { event_type: String, reason: String },
    /// An email could not be rendered from its template.
    #[error("cannot render the {template} email: {reason}")]
    Template {
        template: &'static str,
        reason: String,
    },
    /// The mail settings do not make a transport (a bad SMTP URL or sender
    /// address).
    #[error("mail settings: {0}")]
    MailSettings(String),
    /// A stored row no longer holds what it should.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;

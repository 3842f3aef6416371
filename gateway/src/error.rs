//! Everything the gateway itself can refuse, as one enum, and its one
//! mapping to gRPC statuses. (Errors of the services behind it pass through
//! untouched.)

use std::time::Duration;

use platform::{
    db::DbError,
    error::{self, FieldViolation, with_reason},
};
use tonic::{Code, Status};

/// A gateway failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request: {}", violations(.0))]
    InvalidArgument(Vec<FieldViolation>),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many attempts")]
    Throttled(Duration),
    #[error("the account no longer exists")]
    UnknownUser,
    #[error("only admins may do this")]
    AdminsOnly,
    #[error("no user {0}")]
    UserNotFound(String),
    #[error("that would leave the shop without an admin")]
    LastAdmin,
    #[error("the refresh token is unknown, expired or revoked; log in again")]
    RefreshTokenInvalid,
    #[error("the refresh token was used already; every session of its login is revoked")]
    RefreshTokenReused,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the reset link is unknown, used or expired; ask for a new one")]
    ResetTokenInvalid,
    #[error("the verification link is unknown, used or expired; ask for a new one")]
    VerificationTokenInvalid,
    #[error("the email address is verified already")]
    EmailAlreadyVerified,
    #[error("you have no address {0}")]
    AddressNotFound(String),
    #[error("the address changed since it was read")]
    AddressChanged(String),
    #[error("an account keeps at most {0} addresses; delete one first")]
    TooManyAddresses(usize),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

/// The violations as one line, `field: why; field: why` (for the CLI's
/// `shop admin`, which has no client to read the details).
fn violations(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::EmailTaken => with_reason(Code::AlreadyExists, "EMAIL_TAKEN", message, []),
            // The same answer for an unknown email and a wrong password.
            Error::InvalidCredentials => {
                with_reason(Code::Unauthenticated, "INVALID_CREDENTIALS", message, [])
            }
            // Sign-ins, registrations, password checks, resets and resent
            // verification emails share the buckets (per account and per
            // client): the message names neither.
            Error::Throttled(retry_after) => crate::limits::exhausted("attempts", retry_after),
            Error::UnknownUser => with_reason(Code::Unauthenticated, "UNKNOWN_USER", message, []),
            // The reason the access table gives when it refuses.
            Error::AdminsOnly => {
                with_reason(Code::PermissionDenied, "PERMISSION_DENIED", message, [])
            }
            Error::UserNotFound(id) => with_reason(
                Code::NotFound,
                "USER_NOT_FOUND",
                message,
                [("id".to_owned(), id)],
            ),
            Error::LastAdmin => with_reason(Code::FailedPrecondition, "LAST_ADMIN", message, []),
            Error::RefreshTokenInvalid => {
                with_reason(Code::Unauthenticated, "REFRESH_TOKEN_INVALID", message, [])
            }
            Error::RefreshTokenReused => {
                with_reason(Code::Unauthenticated, "REFRESH_TOKEN_REUSED", message, [])
            }
            Error::WrongPassword => {
                with_reason(Code::PermissionDenied, "WRONG_PASSWORD", message, [])
            }
            Error::ResetTokenInvalid => {
                with_reason(Code::FailedPrecondition, "RESET_TOKEN_INVALID", message, [])
            }
            Error::VerificationTokenInvalid => with_reason(
                Code::FailedPrecondition,
                "VERIFICATION_TOKEN_INVALID",
                message,
                [],
            ),
            Error::EmailAlreadyVerified => with_reason(
                Code::FailedPrecondition,
                "EMAIL_ALREADY_VERIFIED",
                message,
                [],
            ),
            // The same answer for another user's address as for none.
            Error::AddressNotFound(id) => with_reason(
                Code::NotFound,
                "ADDRESS_NOT_FOUND",
                message,
                [("id".to_owned(), id)],
            ),
            Error::AddressChanged(id) => with_reason(
                Code::Aborted,
                "ETAG_MISMATCH",
                format!("{message}; read it again and retry"),
                [("id".to_owned(), id)],
            ),
            Error::TooManyAddresses(max) => with_reason(
                Code::FailedPrecondition,
                "TOO_MANY_ADDRESSES",
                message,
                [("max_addresses".to_owned(), max.to_string())],
            ),
            Error::Internal(cause) => error::internal(&cause),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

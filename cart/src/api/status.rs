//! The one exhaustive mapping from cart errors to gRPC statuses. Nothing
//! internal reaches the client.

use platform::error::{self, with_reason};
use tonic::{Code, Status};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::EtagMismatch => with_reason(Code::Aborted, "ETAG_MISMATCH", message, []),
            Error::CartNotFound => with_reason(Code::NotFound, "CART_NOT_FOUND", message, []),
            Error::ProductNotFound(id) => with_reason(
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
                message,
                [("product_id".to_owned(), id)],
            ),
            Error::LineNotFound(id) => with_reason(
                Code::NotFound,
                "LINE_NOT_FOUND",
                message,
                [("product_id".to_owned(), id)],
            ),
            Error::CartEmpty => with_reason(Code::FailedPrecondition, "CART_EMPTY", message, []),
            Error::LinesUnavailable(ids) => with_reason(
                Code::FailedPrecondition,
                "CART_LINES_UNAVAILABLE",
                message,
                [("product_ids".to_owned(), ids.join(","))],
            ),
            Error::OrdersUnavailable => {
                with_reason(Code::Unavailable, "DEPENDENCY_UNAVAILABLE", message, [])
            }
            Error::Unauthenticated(_) => {
                with_reason(Code::Unauthenticated, "TOKEN_INVALID", message, [])
            }
            Error::PermissionDenied => {
                with_reason(Code::PermissionDenied, "PERMISSION_DENIED", message, [])
            }
            Error::Corrupt(_) => error::internal(&message),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

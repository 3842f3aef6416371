//! The one exhaustive mapping from orders errors to gRPC statuses with
//! stable `ErrorInfo` reasons. Nothing internal reaches the client.

use tonic::{Code, Status};

use platform::error::{self, with_reason};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::OrderNotFound(id) => with_reason(
                Code::NotFound,
                "ORDER_NOT_FOUND",
                message,
                [("order_id".into(), id.to_string())],
            ),
            Error::ProductsNotFound(ids) => with_reason(
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
                message,
                [("product_ids".into(), ids.join(","))],
            ),
            Error::CurrencyMismatch => {
                with_reason(Code::FailedPrecondition, "CURRENCY_MISMATCH", message, [])
            }
            Error::RequestIdReused(id) => with_reason(
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("request_id".into(), id)],
            ),
            Error::NotCancellable { id, status } => with_reason(
                Code::FailedPrecondition,
                "ORDER_NOT_CANCELLABLE",
                message,
                [
                    ("order_id".into(), id.to_string()),
                    ("status".into(), status.to_owned()),
                ],
            ),
            Error::ParcelLeft { id, status } => with_reason(
                Code::FailedPrecondition,
                "ORDER_NOT_CANCELLABLE",
                message,
                [
                    ("order_id".into(), id.to_string()),
                    ("status".into(), status.as_str().to_owned()),
                ],
            ),
            Error::QuoteNotFound(id) => with_reason(
                Code::NotFound,
                "SHIPPING_QUOTE_NOT_FOUND",
                message,
                [("shipping_quote_id".into(), id.to_string())],
            ),
            Error::QuoteRefused { refusal, .. } => {
                with_reason(Code::FailedPrecondition, refusal.reason(), message, [])
            }
            Error::InsufficientFunds {
                balance_minor,
                total_minor,
            } => with_reason(
                Code::FailedPrecondition,
                "INSUFFICIENT_FUNDS",
                message,
                [
                    ("balance_minor".into(), balance_minor.to_string()),
                    ("total_minor".into(), total_minor.to_string()),
                ],
            ),
            Error::OthersOrders | Error::NoUser => {
                with_reason(Code::PermissionDenied, "PERMISSION_DENIED", message, [])
            }
            Error::DependencyUnavailable(service) => with_reason(
                Code::Unavailable,
                "DEPENDENCY_UNAVAILABLE",
                message,
                [("service".into(), service.to_owned())],
            ),
            Error::DependencyFailed(..) | Error::Corrupt(_) | Error::Internal(_) => {
                error::internal(&message)
            }
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

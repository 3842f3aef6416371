//! The one exhaustive mapping from fulfilment errors to gRPC statuses.
//! Nothing internal reaches the client.

use platform::error::{self, with_reason};
use tonic::{Code, Status};

use crate::{
    domain::{quote::CheckRefused, shipping::Unquotable},
    error::Error,
};

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::ShipmentNotFound => {
                with_reason(Code::NotFound, "SHIPMENT_NOT_FOUND", message, [])
            }
            Error::ShipmentStatus(refused) => with_reason(
                Code::FailedPrecondition,
                "SHIPMENT_STATUS",
                message,
                [("status".to_owned(), refused.status.as_str().to_owned())],
            ),
            Error::ProductsNotFound(ids) => with_reason(
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
                message,
                [("product_ids".into(), ids.join(","))],
            ),
            Error::Unquotable(Unquotable::NotServed(country)) => with_reason(
                Code::FailedPrecondition,
                "DESTINATION_NOT_SERVED",
                message,
                [("country_code".into(), country)],
            ),
            Error::Unquotable(Unquotable::CurrencyMismatch { rules, lines }) => with_reason(
                Code::FailedPrecondition,
                "CURRENCY_MISMATCH",
                message,
                [
                    ("shipping_currency".into(), rules.as_str().to_owned()),
                    ("currency".into(), lines),
                ],
            ),
            Error::QuoteNotFound => {
                with_reason(Code::NotFound, "SHIPPING_QUOTE_NOT_FOUND", message, [])
            }
            Error::QuoteRefused(CheckRefused::Expired) => with_reason(
                Code::FailedPrecondition,
                "SHIPPING_QUOTE_EXPIRED",
                message,
                [],
            ),
            Error::QuoteRefused(CheckRefused::Mismatch) => with_reason(
                Code::FailedPrecondition,
                "SHIPPING_QUOTE_MISMATCH",
                message,
                [],
            ),
            Error::QuoteRefused(CheckRefused::UnknownOption(code)) => with_reason(
                Code::FailedPrecondition,
                "SHIPPING_OPTION_UNKNOWN",
                message,
                [("option_code".into(), code)],
            ),
            Error::CatalogUnavailable => with_reason(
                Code::Unavailable,
                "DEPENDENCY_UNAVAILABLE",
                message,
                [("service".into(), "catalog".into())],
            ),
            Error::CatalogFailed(_) | Error::Corrupt(_) => error::internal(&message),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

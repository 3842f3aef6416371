//! The one exhaustive mapping from fulfilment errors to gRPC statuses.
//! Nothing internal reaches the client.

use platform::error::{self, with_reason};
use tonic::{Code, Status};

use crate::error::Error;

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
            Error::Corrupt(_) => error::internal(&message),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

//! The one exhaustive mapping from notifications errors to gRPC statuses.
//! Nothing internal reaches the client.

use tonic::Status;

use platform::error;

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::BadEvent { .. }
            | Error::Template { .. }
            | Error::MailSettings(_)
            | Error::Corrupt(_) => error::internal(&message),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

//! The one exhaustive mapping from catalog errors to gRPC statuses with
//! stable `ErrorInfo` reasons. Nothing internal reaches the client.

use tonic::{Code, Status};

use platform::error::{self, with_reason};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::ProductNotFound(id) => with_reason(
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
                message,
                [("product_ids".into(), id)],
            ),
            Error::ProductsNotFound(ids) => with_reason(
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
                message,
                [("product_ids".into(), ids.join(","))],
            ),
            Error::ReservationNotFound(id) => with_reason(
                Code::NotFound,
                "RESERVATION_NOT_FOUND",
                message,
                [("reservation_id".into(), id)],
            ),
            Error::StaleProduct(id) => with_reason(
                Code::Aborted,
                "ETAG_MISMATCH",
                format!("{message}; read it again and retry"),
                [("product_id".into(), id)],
            ),
            Error::OutOfStock(short) => with_reason(
                Code::FailedPrecondition,
                "OUT_OF_STOCK",
                message,
                std::iter::once((
                    "product_ids".into(),
                    short
                        .iter()
                        .map(|(id, _)| id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                ))
                .chain(
                    short
                        .iter()
                        .map(|(id, left)| (format!("available.{id}"), left.to_string())),
                ),
            ),
            Error::ReservationMismatch(id) => with_reason(
                Code::AlreadyExists,
                "RESERVATION_MISMATCH",
                message,
                [("reservation_id".into(), id)],
            ),
            Error::ReservationReleased(id) => with_reason(
                Code::FailedPrecondition,
                "RESERVATION_RELEASED",
                message,
                [("reservation_id".into(), id)],
            ),
            Error::ReservationExpired(id) => with_reason(
                Code::FailedPrecondition,
                "RESERVATION_EXPIRED",
                message,
                [("reservation_id".into(), id)],
            ),
            Error::InsufficientStock(id) => with_reason(
                Code::FailedPrecondition,
                "INSUFFICIENT_STOCK",
                message,
                [("product_id".into(), id)],
            ),
            Error::ImageNotFound { product, image } => with_reason(
                Code::NotFound,
                "IMAGE_NOT_FOUND",
                message,
                [("product_id".into(), product), ("image_id".into(), image)],
            ),
            Error::ImageContentNotFound(id) => with_reason(
                Code::NotFound,
                "IMAGE_NOT_FOUND",
                message,
                [("image_id".into(), id)],
            ),
            Error::TooManyImages(id) => with_reason(
                Code::FailedPrecondition,
                "TOO_MANY_IMAGES",
                message,
                [("product_id".into(), id)],
            ),
            Error::ImageProcessing => error::internal(&message),
            Error::Corrupt(_) => error::internal(&message),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
            // Whatever the object store said (down, slow, refusing our
            // credentials), the client can only try again later.
            Error::ImageStore(cause) => error::unavailable(&cause),
        }
    }
}

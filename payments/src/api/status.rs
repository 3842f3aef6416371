//! The one exhaustive mapping from payments errors to gRPC statuses with
//! stable `ErrorInfo` reasons. Nothing internal reaches the client.

use tonic::{Code, Status};

use platform::error::{self, with_reason};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::InvalidArgument(violations) => error::invalid_argument(&violations),
            Error::PermissionDenied(_) => {
                with_reason(Code::PermissionDenied, "PERMISSION_DENIED", message, [])
            }
            Error::PaymentNotFound(id) => with_reason(
                Code::NotFound,
                "PAYMENT_NOT_FOUND",
                message,
                [("payment_id".into(), id)],
            ),
            Error::IdempotencyKeyReused { key, .. } => with_reason(
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("idempotency_key".into(), key)],
            ),
            Error::RefundExceedsCapture {
                payment_id,
                refundable_minor,
                currency,
            } => with_reason(
                Code::FailedPrecondition,
                "REFUND_EXCEEDS_CAPTURE",
                message,
                [
                    ("payment_id".into(), payment_id),
                    ("refundable_minor".into(), refundable_minor.to_string()),
                    ("currency_code".into(), currency),
                ],
            ),
            Error::ChargeInProgress(key) => with_reason(
                Code::Unavailable,
                "CHARGE_IN_PROGRESS",
                message,
                [("idempotency_key".into(), key)],
            ),
            // The cause was logged where it happened (with the payment);
            // the client learns only that a retry with the same key is the
            // way forward.
            Error::ProcessorUnavailable(_) => {
                with_reason(Code::Unavailable, "PROCESSOR_UNAVAILABLE", message, [])
            }
            Error::Corrupt(_) | Error::Internal(_) => error::internal(&message),
            Error::Db(db) if db.is_transient() => error::unavailable(&db),
            Error::Db(db) => error::internal(&db),
        }
    }
}

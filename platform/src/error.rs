//! The error model every service speaks: standard gRPC codes with
//! `google.rpc` details that grpcurl and generated clients can read:
//! `BadRequest` field violations for invalid input and `ErrorInfo` with a
//! stable, machine-readable `reason` for everything else.
//!
//! Every status built here is bounded, so no answer can outgrow a transport
//! limit (an HTTP/2 header list, where a unary error travels): the message
//! is at most [`MAX_MESSAGE_BYTES`], at most [`MAX_VIOLATIONS`] field
//! violations are listed (then "and N more"), and each text in the details
//! is cut to a few hundred bytes. However much a request gets wrong, its
//! answer stays a few KiB.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every Shop error.
pub const ERROR_DOMAIN: &str = "shop";

/// The longest message (`grpc-message`) of any status built here.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// The most field violations one INVALID_ARGUMENT lists.
pub const MAX_VIOLATIONS: usize = 20;

/// The longest field path, description or metadata value in the details:
/// they may echo what the client sent.
const MAX_DETAIL_BYTES: usize = 256;

/// The most `ErrorInfo` metadata entries.
const MAX_METADATA: usize = 16;

/// `text` cut to at most `max` bytes on a character boundary, ending in
/// "…" when it was cut.
pub fn bounded(text: &str, max: usize) -> String {
    const MORE: &str = "…";
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(MORE.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MORE}", &text[..end])
}

/// One invalid field of a request: its path (`product.price.currency_code`)
/// and what is wrong with it, in words a client developer can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl std::fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Collects the violations of a request while its fields are checked one by
/// one, so a client hears about every bad field at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// The value, or `None` after recording why `field` is invalid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|description| self.0.push(FieldViolation::new(field, description)))
            .ok()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// `value` if nothing was recorded, else every violation recorded.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, InvalidRequest> {
        match (self.0.is_empty(), value()) {
            (true, Some(value)) => Ok(value),
            // A field checked without recording why it failed: a bug here,
            // but still the client's request that cannot be taken.
            (true, None) => Err(InvalidRequest(vec![FieldViolation::new(
                "request",
                "is invalid",
            )])),
            (false, _) => Err(InvalidRequest(self.0)),
        }
    }
}

/// A request with invalid fields (what [`Violations::finish`] reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequest(pub Vec<FieldViolation>);

impl From<InvalidRequest> for Status {
    fn from(invalid: InvalidRequest) -> Self {
        invalid_argument(&invalid.0)
    }
}

/// The part every service's error enum shares, written once: given an enum
/// with the variants `InvalidArgument(Vec<FieldViolation>)` and
/// `Db(DbError)`, adds `From<InvalidRequest>` and `From` a diesel query
/// error, and the methods `invalid(field, description)` (INVALID_ARGUMENT
/// for one field) and `is_unique_violation()` (the database refusing a
/// duplicate key). The service's `From<Error> for Status` stays its own.
#[macro_export]
macro_rules! service_error {
    ($error:ident) => {
        impl ::core::convert::From<$crate::error::InvalidRequest> for $error {
            fn from(invalid: $crate::error::InvalidRequest) -> Self {
                $error::InvalidArgument(invalid.0)
            }
        }

        impl ::core::convert::From<$crate::db::QueryError> for $error {
            fn from(error: $crate::db::QueryError) -> Self {
                $error::Db($crate::db::DbError::Query(error))
            }
        }

        impl $error {
            /// INVALID_ARGUMENT for one field.
            pub fn invalid(
                field: impl ::core::convert::Into<::std::string::String>,
                description: impl ::core::convert::Into<::std::string::String>,
            ) -> Self {
                $error::InvalidArgument(vec![$crate::error::FieldViolation::new(
                    field,
                    description,
                )])
            }

            /// Whether this is the database refusing a duplicate key.
            pub fn is_unique_violation(&self) -> bool {
                matches!(self, $error::Db(db) if db.is_unique_violation())
            }
        }
    };
}

/// INVALID_ARGUMENT naming the invalid fields, in the message (for people)
/// and as `BadRequest` field violations (for programs): the first
/// [`MAX_VIOLATIONS`], then "and N more" (`ErrorInfo` metadata `violations`
/// has the total).
pub fn invalid_argument(violations: &[FieldViolation]) -> Status {
    let listed = &violations[..violations.len().min(MAX_VIOLATIONS)];
    let more = violations.len() - listed.len();
    let suffix = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    let listing = listed
        .iter()
        .map(|v| {
            format!(
                "{}: {}",
                bounded(&v.field, MAX_DETAIL_BYTES),
                bounded(&v.description, MAX_DETAIL_BYTES)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let message = bounded(&listing, MAX_MESSAGE_BYTES - suffix.len()) + &suffix;
    let mut details = ErrorDetails::new();
    for violation in listed {
        details.add_bad_request_violation(
            bounded(&violation.field, MAX_DETAIL_BYTES),
            bounded(&violation.description, MAX_DETAIL_BYTES),
        );
    }
    details.set_error_info(
        "INVALID_ARGUMENT",
        ERROR_DOMAIN,
        [("violations".to_owned(), violations.len().to_string())],
    );
    status(Code::InvalidArgument, &message, details)
}

/// An error with a stable `reason` (e.g. `OUT_OF_STOCK`) and optional
/// metadata (e.g. which product) in its `ErrorInfo`.
pub fn with_reason(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (String, String)>,
) -> Status {
    status(code, &message.into(), error_info(reason, metadata))
}

/// [`with_reason`] plus a `RetryInfo` saying when trying again makes sense
/// (e.g. when a circuit breaker lets calls through again).
pub fn with_reason_and_retry(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (String, String)>,
    retry_after: Duration,
) -> Status {
    let mut details = error_info(reason, metadata);
    details.set_retry_info(Some(retry_after));
    status(code, &message.into(), details)
}

fn error_info(reason: &str, metadata: impl IntoIterator<Item = (String, String)>) -> ErrorDetails {
    let metadata = metadata
        .into_iter()
        .take(MAX_METADATA)
        .map(|(key, value)| {
            (
                bounded(&key, MAX_DETAIL_BYTES),
                bounded(&value, MAX_DETAIL_BYTES),
            )
        })
        .collect::<std::collections::HashMap<_, _>>();
    ErrorDetails::with_error_info(bounded(reason, MAX_DETAIL_BYTES), ERROR_DOMAIN, metadata)
}

/// The one place statuses with details are made: the message bounded.
fn status(code: Code, message: &str, details: ErrorDetails) -> Status {
    Status::with_error_details(code, bounded(message, MAX_MESSAGE_BYTES), details)
}

/// INTERNAL without the cause: the cause is logged here with an id that the
/// client also gets, so a support request can be matched to the log line.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    let incident = uuid::Uuid::new_v4();
    tracing::error!(%incident, error = %cause, "internal error");
    with_reason(
        Code::Internal,
        "INTERNAL",
        format!("internal error (incident {incident})"),
        [("incident".to_owned(), incident.to_string())],
    )
}

/// UNAVAILABLE for trouble that a retry may fix (a database that is briefly
/// unreachable); the cause is logged, not sent.
pub fn unavailable(cause: &dyn std::fmt::Display) -> Status {
    tracing::warn!(error = %cause, "temporarily unavailable");
    with_reason(
        Code::Unavailable,
        "UNAVAILABLE",
        "temporarily unavailable, retry later",
        [],
    )
}

/// The status of a call from its headers or trailers (`grpc-status`): the
/// one parser of it, used by the metrics, the rpc span and the guards.
pub fn grpc_status(headers: &http::HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?;
    Some(Code::from_i32(value.parse().ok()?))
}

/// Codes as the gRPC specification spells them (`OK`, `NOT_FOUND`, ...),
/// for metrics labels and reports.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spelled_as_grpc_spells_them() {
        assert_eq!(code_name(Code::Ok), "OK");
        assert_eq!(code_name(Code::FailedPrecondition), "FAILED_PRECONDITION");
    }

    #[test]
    fn invalid_argument_lists_fields_in_message_and_details() {
        let status = invalid_argument(&[
            FieldViolation::new("name", "must not be empty"),
            FieldViolation::new("price.amount_minor", "must not be negative"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "name: must not be empty; price.amount_minor: must not be negative"
        );
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .expect("bad request details")
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["name", "price.amount_minor"]);
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let status = internal(&"connection to 10.0.0.3 refused: password for shop wrong");
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("10.0.0.3"));
        assert!(!status.message().contains("password"));
    }

    #[test]
    fn reasons_are_readable_by_programs() {
        let status = with_reason(
            Code::FailedPrecondition,
            "OUT_OF_STOCK",
            "not enough stock",
            [("product_id".to_owned(), "p1".to_owned())],
        );
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("info");
        assert_eq!(info.reason, "OUT_OF_STOCK");
        assert_eq!(
            info.metadata.get("product_id").map(String::as_str),
            Some("p1")
        );
    }

    #[test]
    fn hundreds_of_violations_give_an_answer_of_a_few_kib() {
        let violations: Vec<_> = (0..500)
            .map(|i| FieldViolation::new(format!("ids[{i}]"), "x".repeat(10_000)))
            .collect();

        let status = invalid_argument(&violations);

        assert!(status.message().len() <= MAX_MESSAGE_BYTES);
        assert!(
            status.message().ends_with("; and 480 more"),
            "{}",
            status.message()
        );
        let details = status.get_error_details();
        let listed = &details.bad_request().expect("bad request").field_violations;
        assert_eq!(listed.len(), MAX_VIOLATIONS);
        assert!(listed.iter().all(|v| v.description.len() <= 256));
        let info = details.error_info().expect("info");
        assert_eq!(info.metadata["violations"], "500");
        assert!(
            status.details().len() < 8 * 1024,
            "{}",
            status.details().len()
        );
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let status = with_reason(Code::NotFound, "NOT_FOUND", "é".repeat(5_000), []);

        assert!(status.message().len() <= MAX_MESSAGE_BYTES);
        assert!(status.message().ends_with('…'));
        assert_eq!(bounded("short", 10), "short");
        assert_eq!(bounded("ééé", 5), "é…");
    }

    #[test]
    fn a_retry_delay_travels_as_retry_info() {
        let status = with_reason_and_retry(
            Code::Unavailable,
            "CIRCUIT_OPEN",
            "catalog is failing",
            [],
            Duration::from_secs(3),
        );
        let details = status.get_error_details();
        assert_eq!(details.error_info().expect("info").reason, "CIRCUIT_OPEN");
        assert_eq!(
            details.retry_info().expect("retry").retry_delay,
            Some(Duration::from_secs(3))
        );
    }
}

//! REST errors: what the transcoder itself refuses ([`RestError`], mapped
//! to gRPC statuses like every other refusal), and how any gRPC status,
//! the edge's and the services' alike, is answered over HTTP.
//!
//! The body is AIP-193's: `{"error": {"code": 404, "message": "...",
//! "status": "NOT_FOUND", "details": [...]}}`, where `code` is the HTTP
//! status, `status` the gRPC code's name and `details` the status's
//! `google.rpc` details (BadRequest, ErrorInfo, RetryInfo, ...) as JSON with
//! their `@type`. A 429 says when to come back in `Retry-After` (seconds,
//! from the RetryInfo), a 401 asks for a bearer token (`WWW-Authenticate`),
//! a 405 lists the verbs the path has (`Allow`).

use std::time::Duration;

use http::{HeaderValue, Method, StatusCode, header};
use platform::error::{FieldViolation, invalid_argument, with_reason};
use prost_reflect::MessageDescriptor;
use tonic::{Code, Status};
use tonic_types::StatusExt;

/// What the transcoder refuses before any call is made.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("no REST resource at this path")]
    NotFound,
    #[error("this path does not take this HTTP method")]
    MethodNotAllowed(Vec<Method>),
    #[error("this method takes a stream of requests, which REST cannot send")]
    TakesAStream,
    #[error("the request body is larger than {0} bytes")]
    BodyTooLarge(usize),
    #[error("the request body could not be read")]
    BodyUnreadable,
    #[error("the request body must be JSON (Content-Type: application/json)")]
    NotJson,
    #[error("this method takes no request body")]
    UnexpectedBody,
    #[error("{field} {problem}")]
    Unreadable { field: String, problem: String },
    #[error("unknown query parameters")]
    UnknownQuery(Vec<String>),
    #[error("{name} {problem}")]
    BadParameter { name: String, problem: String },
    #[error("the service's answer could not be read")]
    BadAnswer,
}

impl RestError {
    pub fn bad_parameter(name: &str, problem: &str) -> Self {
        Self::BadParameter {
            name: name.chars().take(64).collect(),
            problem: problem.to_owned(),
        }
    }
}

impl From<RestError> for Status {
    fn from(err: RestError) -> Self {
        let message = err.to_string();
        match err {
            RestError::NotFound => with_reason(Code::NotFound, "NO_SUCH_RESOURCE", message, []),
            RestError::MethodNotAllowed(_) => {
                with_reason(Code::Unimplemented, "METHOD_NOT_ALLOWED", message, [])
            }
            RestError::TakesAStream => {
                with_reason(Code::Unimplemented, "CLIENT_STREAM_NOT_SERVED", message, [])
            }
            RestError::BodyTooLarge(_) | RestError::BodyUnreadable | RestError::NotJson => {
                with_reason(Code::InvalidArgument, "MALFORMED_REQUEST_BODY", message, [])
            }
            RestError::UnexpectedBody => invalid_argument(&[FieldViolation::new("body", message)]),
            RestError::Unreadable { field, problem } => {
                invalid_argument(&[FieldViolation::new(field, problem)])
            }
            RestError::UnknownQuery(names) => invalid_argument(
                &names
                    .into_iter()
                    .map(|name| {
                        FieldViolation::new(name, "is not a query parameter of this method")
                    })
                    .collect::<Vec<_>>(),
            ),
            RestError::BadParameter { name, problem } => {
                invalid_argument(&[FieldViolation::new(name, problem)])
            }
            RestError::BadAnswer => platform::error::internal(&message),
        }
    }
}

/// The HTTP status for a gRPC code (the standard mapping, as in
/// `google.rpc.Code`'s documentation).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        // Client Closed Request: nginx's, and google.rpc.Code's.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `status` as an HTTP answer; `rpc_status` is `google.rpc.Status`, to
/// decode its details with.
pub fn response(
    status: &Status,
    rpc_status: &MessageDescriptor,
) -> http::Response<tonic::body::Body> {
    answer(status, http_status(status.code()), rpc_status)
}

fn answer(
    status: &Status,
    http: StatusCode,
    rpc_status: &MessageDescriptor,
) -> http::Response<tonic::body::Body> {
    let body = body(status, http, rpc_status);
    let mut response = super::json_response(http, body.to_string().into_bytes());
    let headers = response.headers_mut();
    if status.code() == Code::ResourceExhausted {
        let retry_after = status
            .get_error_details()
            .retry_info()
            .and_then(|info| info.retry_delay)
            .unwrap_or(Duration::from_secs(1));
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
    if status.code() == Code::Unauthenticated {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The AIP-193 body of `status`, as a stream's error event carries it.
pub fn error_body(status: &Status, rpc_status: &MessageDescriptor) -> serde_json::Value {
    body(status, http_status(status.code()), rpc_status)
}

fn body(status: &Status, http: StatusCode, rpc_status: &MessageDescriptor) -> serde_json::Value {
    let details = super::json::decode_to_json(rpc_status.clone(), status.details())
        .and_then(|rpc| rpc.get("details").cloned())
        .unwrap_or_else(|| serde_json::Value::Array(Vec::new()));
    serde_json::json!({
        "error": {
            "code": http.as_u16(),
            "message": status.message(),
            "status": platform::error::code_name(status.code()),
            "details": details,
        }
    })
}

/// A refusal of the transcoder as an HTTP answer (with `Allow` on a 405).
pub fn refusal(
    error: RestError,
    rpc_status: &MessageDescriptor,
) -> http::Response<tonic::body::Body> {
    // Statuses HTTP has a closer word for than the gRPC code's.
    let (http, allow) = match &error {
        RestError::MethodNotAllowed(verbs) => {
            (Some(StatusCode::METHOD_NOT_ALLOWED), Some(verbs.clone()))
        }
        RestError::BodyTooLarge(_) => (Some(StatusCode::PAYLOAD_TOO_LARGE), None),
        RestError::NotJson => (Some(StatusCode::UNSUPPORTED_MEDIA_TYPE), None),
        _ => (None, None),
    };
    let status = Status::from(error);
    let http = http.unwrap_or_else(|| http_status(status.code()));
    let mut response = answer(&status, http, rpc_status);
    if let Some(verbs) = allow {
        let list: Vec<&str> = verbs.iter().map(Method::as_str).collect();
        if let Ok(value) = HeaderValue::from_str(&list.join(", ")) {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_the_standard_http_statuses() {
        for (code, http) in [
            (Code::InvalidArgument, 400),
            (Code::FailedPrecondition, 400),
            (Code::OutOfRange, 400),
            (Code::Unauthenticated, 401),
            (Code::PermissionDenied, 403),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::Aborted, 409),
            (Code::ResourceExhausted, 429),
            (Code::Cancelled, 499),
            (Code::Unimplemented, 501),
            (Code::Unavailable, 503),
            (Code::DeadlineExceeded, 504),
            (Code::Internal, 500),
            (Code::Unknown, 500),
            (Code::DataLoss, 500),
        ] {
            assert_eq!(http_status(code).as_u16(), http, "{code:?}");
        }
    }
}

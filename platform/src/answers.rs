//! What every answer a server sends is held to on its way out, whoever
//! built its status:
//!
//! - bounded: a `grpc-message` longer than [`MAX_MESSAGE_BYTES`] is cut,
//!   and `grpc-status-details-bin` larger than [`MAX_DETAILS_BYTES`] is
//!   dropped, so no answer outgrows a caller's HTTP/2 header-list limit
//!   (the statuses of [`crate::error`] are bounded already; this catches a
//!   status built by hand from what a client sent);
//! - honest about callers that went away: when the request's body broke
//!   off (the caller reset the stream or lost its connection), the failed
//!   status that follows is the caller's doing, so it is recorded as
//!   CANCELLED, not as the INTERNAL or UNKNOWN tonic derives from the
//!   transport error; nobody reads that answer, but the logs and metrics
//!   around it (see `server`) no longer report a server error.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Request, Response};
use tonic::{Code, body::Body};

use crate::{
    body::inspected,
    error::{MAX_MESSAGE_BYTES, bounded, grpc_status},
};

/// The largest `grpc-status-details-bin` (base64) let out.
pub const MAX_DETAILS_BYTES: usize = 8 * 1024;

/// The tower layer that holds a server's answers to the rules above.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnswersLayer;

impl<S> tower::Layer<S> for AnswersLayer {
    type Service = Answers<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Answers { inner }
    }
}

/// The service [`AnswersLayer`] wraps.
#[derive(Debug, Clone)]
pub struct Answers<S> {
    inner: S,
}

impl<S> tower::Service<Request<Body>> for Answers<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let gone = Arc::new(AtomicBool::new(false));
        // A request body that breaks off: the caller went away.
        let request = request.map(|body| {
            let gone = gone.clone();
            inspected(body, move |polled| {
                if let Poll::Ready(Some(Err(_))) = polled {
                    gone.store(true, Ordering::SeqCst);
                }
            })
        });
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            settle(response.headers_mut(), &gone);
            // Trailers are settled as they pass.
            Ok(response.map(|body| {
                inspected(body, move |polled| {
                    if let Poll::Ready(Some(Ok(frame))) = polled
                        && let Some(trailers) = frame.trailers_mut()
                    {
                        settle(trailers, &gone);
                    }
                })
            }))
        })
    }
}

/// Applies the rules to a status in `headers` (trailers-only headers, or
/// trailers); anything without a status passes untouched.
fn settle(headers: &mut HeaderMap, gone: &AtomicBool) {
    let Some(code) = grpc_status(headers) else {
        return;
    };
    // Only the codes tonic derives from a broken body are rewritten: a
    // status a layer chose (the gateway's MALFORMED_REQUEST_BODY for
    // grpc-web text that is not base64) is still for a caller who is there.
    if matches!(code, Code::Unknown | Code::Internal) && gone.load(Ordering::SeqCst) {
        headers.remove("grpc-status-details-bin");
        headers.insert("grpc-status", HeaderValue::from(Code::Cancelled as i32));
        headers.insert(
            "grpc-message",
            HeaderValue::from_static("the%20caller%20went%20away"),
        );
        return;
    }
    if headers
        .get("grpc-status-details-bin")
        .is_some_and(|details| details.len() > MAX_DETAILS_BYTES)
    {
        headers.remove("grpc-status-details-bin");
    }
    // Percent-encoding at most triples a message: only longer ones can be
    // over the bound.
    if let Some(message) = headers.get("grpc-message")
        && message.len() > MAX_MESSAGE_BYTES
    {
        let decoded = percent_decode(message.as_bytes());
        let cut = bounded(&decoded, MAX_MESSAGE_BYTES);
        // Printable ASCII only, as encoded: always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&percent_encode(&cut)) {
            headers.insert("grpc-message", value);
        }
    }
}

/// What the gRPC spec percent-encodes in `grpc-message`: everything but
/// printable ASCII, and `%` itself (bytes above ASCII always are).
const GRPC_MESSAGE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');

/// `grpc-message` as sent: percent-encoded UTF-8 (invalid bytes replaced).
fn percent_decode(encoded: &[u8]) -> String {
    percent_encoding::percent_decode(encoded)
        .decode_utf8_lossy()
        .into_owned()
}

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, GRPC_MESSAGE).to_string()
}

#[cfg(test)]
mod tests {
    use tonic::{Status, codegen::Bytes};

    use super::*;

    fn status_headers(status: &Status) -> HeaderMap {
        status.clone().into_http::<()>().headers().clone()
    }

    #[test]
    fn an_overlong_message_is_cut_and_oversized_details_dropped() {
        let status = Status::with_details(
            Code::InvalidArgument,
            format!("bad ids: {}", "é".repeat(10_000)),
            Bytes::from(vec![7u8; 20_000]),
        );
        let mut headers = status_headers(&status);

        settle(&mut headers, &AtomicBool::new(false));

        let settled = Status::from_header_map(&headers).expect("a status");
        assert_eq!(settled.code(), Code::InvalidArgument);
        assert!(settled.message().starts_with("bad ids: éé"));
        assert!(settled.message().len() <= MAX_MESSAGE_BYTES);
        assert!(settled.details().is_empty());
    }

    #[test]
    fn a_bounded_status_passes_untouched() {
        let status = crate::error::with_reason(Code::NotFound, "NOT_FOUND", "no such product", []);
        let mut headers = status_headers(&status);
        let before = headers.clone();

        settle(&mut headers, &AtomicBool::new(false));

        assert_eq!(headers, before);
    }

    #[test]
    fn a_failure_after_the_caller_went_away_is_recorded_as_cancelled() {
        let mut headers = status_headers(&Status::unknown("h2 protocol error: connection reset"));

        settle(&mut headers, &AtomicBool::new(true));

        assert_eq!(grpc_status(&headers), Some(Code::Cancelled));
    }

    #[test]
    fn a_status_chosen_for_a_broken_body_is_kept() {
        let chosen = crate::error::with_reason(
            Code::InvalidArgument,
            "MALFORMED_REQUEST_BODY",
            "the request body is not valid grpc-web text",
            [],
        );
        let mut headers = status_headers(&chosen);

        settle(&mut headers, &AtomicBool::new(true));

        assert_eq!(grpc_status(&headers), Some(Code::InvalidArgument));
    }

    #[test]
    fn percent_encoding_round_trips() {
        let text = "50% off: naïve café\n";
        assert_eq!(percent_decode(percent_encode(text).as_bytes()), text);
    }
}

//! Forwards a gRPC call to the backend that serves its service, as bytes:
//! the messages are never decoded and re-encoded, so streaming calls stream
//! through, and a new RPC needs no gateway change beyond its access rule.
//! Each backend is guarded (`platform::resilience`): bounded calls in
//! flight and a circuit breaker, so a dead backend fails fast with
//! UNAVAILABLE instead of holding every caller until its deadline.
//!
//! Two things make a byte-level proxy safe to put behind grpc-web:
//!
//! - A body is relayed as a stream whose length nobody vouches for. The
//!   layers above may have re-encoded it (grpc-web text is base64, decoded
//!   on the way in and encoded on the way out) while still describing the
//!   original bytes; the HTTP/2 client would announce that stale length as
//!   `content-length`, and the backend would reset the stream when fewer
//!   bytes arrive. So the length and the hop-by-hop headers of one hop are
//!   never carried to the next.
//! - A call that fails because the *client's* body failed (malformed
//!   base64, a connection dropped half way) is the client's error, answered
//!   INVALID_ARGUMENT, never "backend unreachable": otherwise any client
//!   could open a backend's breaker for everyone.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll, ready},
};

use http::{HeaderMap, HeaderValue, Request, Response, header};
use http_body::{Frame, SizeHint};
use platform::{
    error::with_reason,
    metrics::GrpcMetrics,
    resilience::{Guarded, NotFromDependency},
};
use tonic::{Code, Status, body::Body, transport::Channel};
use tower::{Layer, Service, ServiceExt};

use crate::routes;

/// A backend as the gateway calls it: measured, guarded, relayed.
pub type Upstream = GrpcMetrics<Guarded<Relay<Channel>>>;

/// `channel` to the backend `name`, behind `guard` and measured as the
/// gateway's outgoing calls.
pub fn upstream(
    name: &'static str,
    guard: platform::resilience::Guard,
    channel: Channel,
) -> Upstream {
    platform::metrics::GrpcMetricsLayer::client("gateway")
        .layer(guard.wrap(name, Relay { inner: channel }))
}

/// Guarded channels to the backends (built once, cloned per call) by service name.
#[derive(Clone)]
pub struct Proxy {
    routes: Arc<HashMap<&'static str, Upstream>>,
}

impl Proxy {
    /// A proxy over one guarded channel per backend, by backend name: each
    /// routed service goes to its backend's; a service whose backend has
    /// none is not served.
    pub fn new(backends: &HashMap<&str, Upstream>) -> Self {
        let routes = routes::ROUTED
            .iter()
            .filter_map(|(service, backend)| Some((*service, backends.get(backend)?.clone())))
            .collect();
        Self {
            routes: Arc::new(routes),
        }
    }
}

impl Service<Request<Body>> for Proxy {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is per backend; it is awaited in `call` once the backend is known.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The backend's span joins this call's trace.
        platform::telemetry::inject_trace_context(request.headers_mut());
        let path = request.uri().path();
        let channel = routes::service_of(path)
            .and_then(|service| self.routes.get(service))
            .cloned();
        let Some(channel) = channel else {
            let refusal = routes::not_served(path).into_http();
            return Box::pin(std::future::ready(Ok(refusal)));
        };
        Box::pin(async move {
            // The channel sets the backend's scheme and authority itself;
            // the guard turns every failure into a gRPC status.
            let response = channel.oneshot(request).await?;
            Ok(response.map(Body::new))
        })
    }
}

/// The last hop to a backend (inside its guard, so what it answers is what
/// the breaker judges): strips what belongs to the client's connection,
/// relays the bodies without a claimed length, and answers a call whose
/// request body failed as the client's error.
#[derive(Clone)]
pub struct Relay<S> {
    inner: S,
}

impl<S> Service<Request<Body>> for Relay<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let (mut parts, body) = request.into_parts();
        strip_hop_headers(&mut parts.headers);
        // The one value of `te` gRPC over HTTP/2 requires (some servers check).
        parts
            .headers
            .insert(header::TE, HeaderValue::from_static("trailers"));
        let client_failure = Arc::new(Mutex::new(None));
        let body = Relayed {
            inner: body,
            failure: Some(client_failure.clone()),
        };
        let call = self.inner.call(Request::from_parts(parts, Body::new(body)));
        Box::pin(async move {
            match call.await {
                Ok(response) => {
                    let (mut parts, body) = response.into_parts();
                    strip_hop_headers(&mut parts.headers);
                    let body = Relayed {
                        inner: body,
                        failure: None,
                    };
                    Ok(Response::from_parts(parts, Body::new(body)))
                }
                Err(error) => {
                    let failed = client_failure
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    match failed {
                        Some(cause) => {
                            let mut answer = unreadable_request(&cause).into_http();
                            // Made here, not by the backend: the guard
                            // around this relay must not judge it.
                            answer.extensions_mut().insert(NotFromDependency);
                            Ok(answer)
                        }
                        None => Err(error),
                    }
                }
            }
        })
    }
}

/// Headers that describe one HTTP connection or one encoding of a body
/// (RFC 9110, section 7.6.1), not the call: never carried to the next hop.
fn strip_hop_headers(headers: &mut HeaderMap) {
    let named_by_connection: Vec<header::HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| header::HeaderName::try_from(name.trim()).ok())
        .collect();
    for name in named_by_connection {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::TE,
        header::TRAILER,
        header::PROXY_AUTHORIZATION,
        header::PROXY_AUTHENTICATE,
    ] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
}

/// The answer to a call whose request body could not be read. The cause
/// (tonic-web's or hyper's words) is logged, not sent.
fn unreadable_request(cause: &Status) -> Status {
    tracing::info!(cause = %cause.message(), "request body unreadable");
    with_reason(
        Code::InvalidArgument,
        "MALFORMED_REQUEST_BODY",
        "the request body is malformed or ended early",
        [],
    )
}

/// A body relayed chunk by chunk. It claims no length (see the module
/// doc), and a request body remembers its own failure so the call's
/// outcome can be put on the client.
struct Relayed {
    inner: Body,
    failure: Option<Arc<Mutex<Option<Status>>>>,
}

impl http_body::Body for Relayed {
    type Data = tonic::codegen::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let (Some(Err(error)), Some(failure)) = (&frame, &self.failure) {
            *failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error.clone());
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use tonic::codegen::Bytes;

    use super::*;

    #[test]
    fn lengths_and_connection_headers_stay_on_their_hop() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("content-length", "12"),
            ("transfer-encoding", "chunked"),
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "gzip"),
            ("authorization", "Bearer t"),
            ("grpc-timeout", "1S"),
        ] {
            headers.insert(name, value.parse().expect("value"));
        }

        strip_hop_headers(&mut headers);

        let mut left: Vec<&str> = headers.keys().map(http::HeaderName::as_str).collect();
        left.sort_unstable();
        assert_eq!(left, ["authorization", "grpc-timeout"]);
    }

    /// A body of known length, or one that fails when read.
    struct TestBody(Result<Option<Bytes>, ()>);

    impl http_body::Body for TestBody {
        type Data = Bytes;
        type Error = Status;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            Poll::Ready(match &mut self.0 {
                Ok(data) => data.take().map(|data| Ok(Frame::data(data))),
                Err(()) => Some(Err(Status::internal("malformed base64 request"))),
            })
        }

        fn size_hint(&self) -> SizeHint {
            match &self.0 {
                Ok(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
                Err(()) => SizeHint::default(),
            }
        }
    }

    /// What the backend's HTTP/2 client saw of a request.
    #[derive(Debug, Default, PartialEq)]
    struct Seen {
        content_length: Option<String>,
        claimed_length: Option<u64>,
        te: Option<String>,
    }

    /// Stands in for the HTTP/2 client: notes the length it would
    /// announce, reads the whole body, and fails the call if the body
    /// fails (hyper resets the stream) or if told the backend is down.
    #[derive(Clone)]
    struct Client {
        seen: Arc<Mutex<Seen>>,
        backend_down: bool,
    }

    impl Service<Request<Body>> for Client {
        type Response = Response<Body>;
        type Error = &'static str;
        type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Self::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request<Body>) -> Self::Future {
            use http_body::Body as _;
            *self.seen.lock().expect("lock") = Seen {
                content_length: request
                    .headers()
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                claimed_length: request.body().size_hint().exact(),
                te: request
                    .headers()
                    .get(header::TE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            };
            let backend_down = self.backend_down;
            Box::pin(async move {
                let mut body = request.into_body();
                while let Some(frame) =
                    std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
                {
                    frame.map_err(|_| "stream reset")?;
                }
                if backend_down {
                    return Err("connection refused");
                }
                Ok(Response::new(Body::empty()))
            })
        }
    }

    async fn relay(
        body: TestBody,
        backend_down: bool,
    ) -> (Result<Response<Body>, &'static str>, Seen) {
        let client = Client {
            seen: Arc::default(),
            backend_down,
        };
        let mut request = Request::new(Body::new(body));
        request
            .headers_mut()
            .insert(header::CONTENT_LENGTH, "12".parse().expect("value"));
        let outcome = Relay {
            inner: client.clone(),
        }
        .oneshot(request)
        .await;
        let seen = std::mem::take(&mut *client.seen.lock().expect("lock"));
        (outcome, seen)
    }

    #[tokio::test]
    async fn a_body_goes_on_without_the_length_it_had_on_the_way_in() {
        let (outcome, seen) = relay(TestBody(Ok(Some(Bytes::from("abcd")))), false).await;

        assert!(outcome.is_ok());
        assert_eq!(
            seen,
            Seen {
                content_length: None,
                claimed_length: None,
                te: Some("trailers".into()),
            },
            "no length is announced downstream"
        );
    }

    #[tokio::test]
    async fn a_request_body_that_fails_is_the_clients_error_not_the_backends() {
        let (outcome, _) = relay(TestBody(Err(())), false).await;

        let response = outcome.expect("an answer, not a transport error");
        let status = Status::from_header_map(response.headers()).expect("a status");
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = tonic_types::StatusExt::get_error_details(&status)
            .error_info()
            .cloned();
        assert_eq!(
            info.map(|i| i.reason).as_deref(),
            Some("MALFORMED_REQUEST_BODY")
        );
    }

    #[tokio::test]
    async fn a_backend_that_cannot_be_reached_is_still_a_transport_error() {
        let (outcome, _) = relay(TestBody(Ok(Some(Bytes::from("abcd")))), true).await;

        assert_eq!(outcome.err(), Some("connection refused"));
    }
}

//! The standard gRPC metrics (`grpc_{server,client}_started_total`,
//! `_handled_total`, `_handling_seconds`, `_in_flight_requests`), recorded
//! by one tower layer that sits on either side of a call. A call is counted
//! when its status is known: from trailers-only headers, from the trailers
//! at the end of a stream, or as CANCELLED when it is dropped unfinished.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::LazyLock,
    task::{Context, Poll},
    time::Instant,
};

use futures_util::future::BoxFuture;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use tonic::Code;

use crate::error::{code_name, grpc_status};

/// Which end of the call this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

struct Names {
    started: &'static str,
    handled: &'static str,
    seconds: &'static str,
    in_flight: &'static str,
}

impl Side {
    fn names(self) -> &'static Names {
        match self {
            Side::Server => &Names {
                started: "grpc_server_started_total",
                handled: "grpc_server_handled_total",
                seconds: "grpc_server_handling_seconds",
                in_flight: "grpc_server_in_flight_requests",
            },
            Side::Client => &Names {
                started: "grpc_client_started_total",
                handled: "grpc_client_handled_total",
                seconds: "grpc_client_handling_seconds",
                in_flight: "grpc_client_in_flight_requests",
            },
        }
    }
}

/// Records the gRPC metrics of every call through it, labelled with the
/// service this process runs as.
#[derive(Debug, Clone, Copy)]
pub struct GrpcMetricsLayer {
    side: Side,
    service: &'static str,
}

impl GrpcMetricsLayer {
    /// For the calls `service` answers.
    pub fn server(service: &'static str) -> Self {
        Self {
            side: Side::Server,
            service,
        }
    }

    /// For the calls `service` makes.
    pub fn client(service: &'static str) -> Self {
        Self {
            side: Side::Client,
            service,
        }
    }
}

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics {
            inner,
            layer: *self,
        }
    }
}

/// The service [`GrpcMetricsLayer`] wraps.
#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    layer: GrpcMetricsLayer,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for GrpcMetrics<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let call = Call::start(self.layer, request.uri().path());
        let response = self.inner.call(request);
        Box::pin(async move {
            match response.await {
                Ok(response) => Ok(call.watch(response)),
                Err(error) => {
                    // No HTTP response at all: the connection failed.
                    call.finish(Code::Unavailable);
                    Err(error)
                }
            }
        })
    }
}

/// A method's labels, from the descriptors of everything we serve.
struct Method {
    service: String,
    method: String,
    kind: &'static str,
}

/// Every method of the contract plus health and reflection, by path. A
/// path outside it is labelled `unknown`, so a client cannot mint series.
static METHODS: LazyLock<HashMap<String, Method>> = LazyLock::new(|| {
    [
        contracts::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ]
    .into_iter()
    .flat_map(contracts::methods::methods_of)
    .map(|(path, m)| {
        let method = Method {
            service: m.service,
            method: m.method,
            kind: m.kind.label(),
        };
        (path, method)
    })
    .collect()
});

static UNKNOWN: Method = Method {
    service: String::new(),
    method: String::new(),
    kind: "unknown",
};

/// One call being measured; records its outcome exactly once.
struct Call {
    side: Side,
    labels: [(&'static str, &'static str); 4],
    started: Instant,
    done: bool,
}

impl Call {
    fn start(layer: GrpcMetricsLayer, path: &str) -> Self {
        let method = METHODS.get(path).unwrap_or(&UNKNOWN);
        let or_unknown = |s: &'static str| if s.is_empty() { "unknown" } else { s };
        let labels = [
            ("service", layer.service),
            ("grpc_service", or_unknown(method.service.as_str())),
            ("grpc_method", or_unknown(method.method.as_str())),
            ("grpc_type", method.kind),
        ];
        let names = layer.side.names();
        metrics::counter!(names.started, &labels).increment(1);
        metrics::gauge!(names.in_flight, &labels).increment(1.0);
        Self {
            side: layer.side,
            labels,
            started: Instant::now(),
            done: false,
        }
    }

    /// Finishes at once for a trailers-only response; otherwise hands the
    /// call to the body, which finishes it at the trailers.
    fn watch<B>(self, response: Response<B>) -> Response<MeteredBody<B>> {
        let (parts, body) = response.into_parts();
        let call = match grpc_status(&parts.headers) {
            Some(code) => {
                self.finish(code);
                None
            }
            None => Some(self),
        };
        Response::from_parts(parts, MeteredBody { inner: body, call })
    }

    fn finish(mut self, code: Code) {
        self.record(code);
    }

    fn record(&mut self, code: Code) {
        if self.done {
            return;
        }
        self.done = true;
        let names = self.side.names();
        let [service, grpc_service, grpc_method, grpc_type] = self.labels;
        metrics::gauge!(names.in_flight, &self.labels).decrement(1.0);
        metrics::counter!(
            names.handled,
            &[
                service,
                grpc_service,
                grpc_method,
                grpc_type,
                ("grpc_code", code_name(code)),
            ]
        )
        .increment(1);
        metrics::histogram!(names.seconds, &self.labels).record(self.started.elapsed());
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // Dropped before a status: the caller went away (or gave up).
        self.record(Code::Cancelled);
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its call's status when the trailers pass.
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        call: Option<Call>,
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame
                .trailers_ref()
                .map(|trailers| grpc_status(trailers).unwrap_or(Code::Unknown)),
            Poll::Ready(Some(Err(_))) => Some(Code::Unavailable),
            // The stream ended without trailers: not a proper gRPC response.
            Poll::Ready(None) => Some(Code::Unknown),
            Poll::Pending => None,
        };
        if let Some(code) = code
            && let Some(call) = this.call.take()
        {
            call.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_known_with_their_streaming_kind() {
        let get = METHODS
            .get("/shop.catalog.v1.CatalogService/GetProduct")
            .expect("GetProduct is in the contract");
        assert_eq!(get.service, "shop.catalog.v1.CatalogService");
        assert_eq!(get.kind, "unary");
        let watch = METHODS
            .get("/shop.orders.v1.OrderService/WatchOrder")
            .expect("WatchOrder is in the contract");
        assert_eq!(watch.kind, "server_stream");
        assert!(METHODS.contains_key("/grpc.health.v1.Health/Check"));
        assert!(!METHODS.contains_key("/made.up/Path"));
    }
}

//! Forwards a gRPC call to the backend that serves its service, as bytes:
//! the messages are never decoded and re-encoded, so streaming calls stream
//! through, and a new RPC needs no gateway change beyond its access rule.
//! Each backend is guarded (`platform::resilience`): bounded calls in
//! flight and a circuit breaker, so a dead backend fails fast with
//! UNAVAILABLE instead of holding every caller until its deadline.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use platform::client::Upstream;
use tonic::{Status, body::Body};
use tower::{Service, ServiceExt};

use crate::routes::{self, Backend};

/// Guarded channels to the backends (built once, cloned per call) by service name.
#[derive(Clone)]
pub struct Proxy {
    routes: Arc<HashMap<&'static str, Upstream>>,
}

impl Proxy {
    /// A proxy with one guarded channel per backend.
    pub fn new(channel_of: impl Fn(Backend) -> Upstream) -> Self {
        let routes = routes::ROUTED
            .iter()
            .map(|(service, backend)| (*service, channel_of(*backend)))
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
        let channel = routes::service_of(request.uri().path())
            .and_then(|service| self.routes.get(service))
            .cloned();
        Box::pin(async move {
            let Some(channel) = channel else {
                return Ok(Status::unimplemented("unknown method").into_http());
            };
            // The channel sets the backend's scheme and authority itself;
            // the guard turns every failure into a gRPC status.
            let response = channel.oneshot(request).await?;
            Ok(response.map(Body::new))
        })
    }
}

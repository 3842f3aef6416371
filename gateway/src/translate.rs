//! The gateway's HTTP routes that stand for gRPC calls: REST under `/v1/`
//! ([`crate::rest`]) and product images at `/images/{id}`
//! ([`crate::images`]). Each is a [`Translator`]; [`TranslateLayer`] hands
//! it the requests it answers together with the service below, so the
//! call it makes goes down through every layer a gRPC client's call passes
//! (metrics, the edge's access table, rate limits and deadlines, the
//! proxy) and nothing is judged differently. Other requests pass.
//!
//! The request log's span sits above these routes, where the call is still
//! HTTP and has no gRPC status to log; so each call made here gets a span
//! of its own, logged once when it finishes, as every gRPC call is at the
//! edge (`platform::telemetry::CallLog::Edge`).

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use platform::telemetry::{CallLog, rpc_trace_layer};
use tonic::body::Body;
use tower::{Layer, Service, ServiceBuilder};

/// HTTP requests answered by calling the gRPC service below.
pub trait Translator: Send + Sync + 'static {
    /// Whether this answers `request`; others pass down untouched.
    fn answers(&self, request: &Request<Body>) -> bool;

    /// Answers `request`, calling `grpc` (ready or not: call it with
    /// `oneshot`) for the method it stands for.
    fn serve<S>(
        &self,
        request: Request<Body>,
        grpc: S,
    ) -> impl Future<Output = Result<Response<Body>, S::Error>> + Send
    where
        S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static;
}

/// Tower layer answering what its [`Translator`] answers.
pub struct TranslateLayer<T> {
    translator: Arc<T>,
}

impl<T> TranslateLayer<T> {
    pub fn new(translator: T) -> Self {
        Self {
            translator: Arc::new(translator),
        }
    }
}

impl<T> Clone for TranslateLayer<T> {
    fn clone(&self) -> Self {
        Self {
            translator: self.translator.clone(),
        }
    }
}

impl<T, S> Layer<S> for TranslateLayer<T> {
    type Service = Translated<T, S>;

    fn layer(&self, inner: S) -> Translated<T, S> {
        Translated {
            inner,
            translator: self.translator.clone(),
        }
    }
}

/// The service [`TranslateLayer`] wraps.
pub struct Translated<T, S> {
    inner: S,
    translator: Arc<T>,
}

impl<T, S: Clone> Clone for Translated<T, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            translator: self.translator.clone(),
        }
    }
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<T, S> Service<Request<Body>> for Translated<T, S>
where
    T: Translator,
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    // The call's span logs a failure of the service below by its text.
    S::Error: std::fmt::Display + Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Response<Body>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if !self.translator.answers(&request) {
            return Box::pin(self.inner.call(request));
        }
        // The call below waits for its own readiness (oneshot); the one
        // this service was polled ready for stays with it.
        let grpc = ServiceBuilder::new()
            .map_response(|response: Response<_>| response.map(Body::new))
            .layer(rpc_trace_layer("gateway", CallLog::Edge))
            .service(self.inner.clone());
        let translator = self.translator.clone();
        Box::pin(async move { translator.serve(request, grpc).await })
    }
}

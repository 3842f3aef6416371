//! Logging: one `tracing` subscriber per process (pretty for people, JSON
//! lines for collectors), and a span per RPC carrying its method and final
//! gRPC status, so every log line of a call can be found by method.

use std::{io::IsTerminal, time::Duration};

use http::{HeaderMap, Request, Response};
use tonic::body::Body;
use tower_http::{
    classify::GrpcFailureClass,
    trace::{DefaultOnBodyChunk, GrpcMakeClassifier, TraceLayer},
};
use tracing::Span;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured when writing to a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Installs the process-wide subscriber; `RUST_LOG` overrides the default
/// `info` level. Calling it again (as tests do) keeps the first one.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Pretty => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
    // An existing subscriber (tests, or an embedding program) wins.
    drop(result);
}

/// The tower layer that opens the span of each RPC.
pub type RpcTraceLayer = TraceLayer<
    GrpcMakeClassifier,
    fn(&Request<Body>) -> Span,
    (),
    fn(&Response<Body>, Duration, &Span),
    DefaultOnBodyChunk,
    fn(Option<&HeaderMap>, Duration, &Span),
    fn(GrpcFailureClass, Duration, &Span),
>;

/// A span per RPC named `rpc` with `method` and, once known, `grpc.status`.
pub fn rpc_trace_layer() -> RpcTraceLayer {
    TraceLayer::new_for_grpc()
        .make_span_with(make_rpc_span as fn(&Request<Body>) -> Span)
        .on_request(())
        .on_response(on_response as fn(&Response<Body>, Duration, &Span))
        .on_eos(on_eos as fn(Option<&HeaderMap>, Duration, &Span))
        .on_failure(on_failure as fn(GrpcFailureClass, Duration, &Span))
}

fn make_rpc_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "rpc",
        method = %request.uri().path(),
        request_id,
        grpc.status = tracing::field::Empty,
    )
}

/// The header that carries a request's id from the gateway through every hop.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, if it came with one; outgoing calls
/// made while handling it carry it on (see `client::Caller`).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Tower layer that makes a request's `x-request-id` the
/// [`current_request_id`] while it is handled.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdLayer;

impl<S> tower::Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestIdService { inner }
    }
}

/// The service [`RequestIdLayer`] wraps.
#[derive(Debug, Clone)]
pub struct RequestIdService<S> {
    inner: S,
}

impl<S, B> tower::Service<Request<B>> for RequestIdService<S>
where
    S: tower::Service<Request<B>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let id = request
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let call = self.inner.call(request);
        match id {
            Some(id) => Box::pin(REQUEST_ID.scope(id, call)),
            None => Box::pin(call),
        }
    }
}

/// Trailers-only responses (every error from a unary handler) carry their
/// status in the headers; the call is over.
fn on_response(response: &Response<Body>, latency: Duration, span: &Span) {
    if let Some(code) = grpc_status(response.headers()) {
        finished(code, latency, span);
    }
}

/// Normal responses end with the status in the trailers.
fn on_eos(trailers: Option<&HeaderMap>, latency: Duration, span: &Span) {
    if let Some(code) = trailers.and_then(grpc_status) {
        finished(code, latency, span);
    }
}

fn on_failure(failure: GrpcFailureClass, latency: Duration, _span: &Span) {
    if let GrpcFailureClass::Error(error) = failure {
        tracing::warn!(%error, latency_ms = latency.as_millis() as u64, "rpc failed");
    }
}

fn grpc_status(headers: &HeaderMap) -> Option<tonic::Code> {
    let value = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<i32>()
        .ok()?;
    Some(tonic::Code::from_i32(value))
}

fn finished(code: tonic::Code, latency: Duration, span: &Span) {
    span.record("grpc.status", tracing::field::debug(code));
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match code {
        tonic::Code::Ok => tracing::debug!(?code, latency_ms, "rpc finished"),
        tonic::Code::Internal | tonic::Code::Unknown | tonic::Code::DataLoss => {
            tracing::error!(?code, latency_ms, "rpc finished")
        }
        _ => tracing::info!(?code, latency_ms, "rpc finished"),
    }
}

//! Logs and traces: one `tracing` subscriber per process (pretty for
//! people, JSON lines for collectors) with an OpenTelemetry layer, and a
//! span per RPC carrying its method, request id, trace id and final gRPC
//! status. Trace context travels between services as W3C `traceparent`
//! metadata; spans are exported over OTLP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and only logged otherwise.

use std::{io::IsTerminal, time::Duration};

use http::{HeaderMap, Request, Response};
use opentelemetry::{
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{TraceContextExt, TraceId, TracerProvider as _},
};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tower_http::{
    classify::GrpcFailureClass,
    trace::{DefaultOnBodyChunk, GrpcMakeClassifier, MakeSpan, OnResponse, TraceLayer},
};
use tracing::Span;

use crate::error::grpc_status;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, fmt, prelude::*};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured when writing to a terminal.
    Pretty,
    /// One JSON object per line, with the fields (method, request id,
    /// trace id) of the call it belongs to.
    Json,
}

/// The process's tracing pipeline; [`Telemetry::shutdown`] flushes the
/// spans not yet exported.
#[must_use = "shut telemetry down at exit, or the last spans are lost"]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Exports what is still buffered and stops exporting.
    pub async fn shutdown(self) {
        // The SDK blocks while it flushes; keep that off the async workers.
        let provider = self.provider;
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            eprintln!("telemetry: cannot flush the last spans: {error}");
        }
    }
}

/// Installs the process-wide subscriber for `service` (the OTLP resource's
/// `service.name`); `RUST_LOG` overrides the default `info` level. Spans go
/// to the OTLP endpoint in `OTEL_EXPORTER_OTLP_ENDPOINT` (gRPC, e.g.
/// `http://otel-collector:4317`) when it is set. Must run inside the Tokio
/// runtime. Calling it again (as tests do) keeps the first subscriber.
pub fn init(format: LogFormat, service: &'static str) -> Telemetry {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty());
    init_exporting_to(format, service, endpoint.as_deref())
}

/// [`init`] with the OTLP endpoint given (`None`: no export).
pub fn init_exporting_to(
    format: LogFormat,
    service: &'static str,
    otlp_endpoint: Option<&str>,
) -> Telemetry {
    let mut provider = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(service)
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                crate::build::VERSION_LINE,
            ))
            .build(),
    );
    if let Some(endpoint) = otlp_endpoint {
        match otlp_processor(endpoint) {
            Ok(processor) => provider = provider.with_span_processor(processor),
            Err(error) => eprintln!("telemetry: OTLP export is off: {error}"),
        }
    }
    let provider = provider.build();
    init_with(format, provider.clone());
    Telemetry { provider }
}

/// Batches spans and sends them from a task on this runtime (the tonic
/// exporter needs Tokio; the SDK's default batcher runs on a plain thread).
fn otlp_processor(
    endpoint: &str,
) -> Result<impl opentelemetry_sdk::trace::SpanProcessor + use<>, String> {
    use opentelemetry_otlp::WithExportConfig;
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint.to_owned())
        .build()
        .map_err(|e| e.to_string())?;
    Ok(BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build())
}

/// Installs the subscriber with spans going to `provider` (tests pass one
/// with an in-memory exporter). Keeps an existing subscriber.
pub fn init_with(format: LogFormat, provider: SdkTracerProvider) {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = log_layer(format, std::io::stdout);
    // Per span only what a trace view needs: no busy/idle timing (a clock
    // read on every poll of a call's future), no thread or code location.
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("shop"))
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_location(false);
    let result = tracing_subscriber::registry()
        .with(logs.with_filter(filter()))
        .with(traces.with_filter(filter()))
        .try_init();
    // An existing subscriber (tests, or an embedding program) wins.
    drop(result);
}

/// Log lines in `format`, written to `writer`.
fn log_layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Pretty => fmt::layer()
            .fmt_fields(PeopleFields)
            .with_target(false)
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(writer)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
    }
}

/// Span and event fields as people read them: without the fields kept for
/// the trace exporter (`otel.*`, `rpc.system`; it reads them from the span
/// itself, not from this text), which made a call's line about a hundred
/// characters longer and said nothing `method` does not.
struct PeopleFields;

impl<'writer> fmt::FormatFields<'writer> for PeopleFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: fmt::format::Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut visitor = PeopleVisitor {
            writer,
            separate: false,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PeopleVisitor<'writer> {
    writer: fmt::format::Writer<'writer>,
    separate: bool,
    result: std::fmt::Result,
}

impl tracing::field::Visit for PeopleVisitor<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let name = field.name();
        if self.result.is_err() || name.starts_with("otel.") || name == "rpc.system" {
            return;
        }
        let separator = if self.separate { " " } else { "" };
        self.separate = true;
        self.result = if name == "message" {
            write!(self.writer, "{separator}{value:?}")
        } else {
            write!(self.writer, "{separator}{name}={value:?}")
        };
    }
}

/// Adds the current span's trace context (`traceparent`) to an outgoing
/// call's headers, so the callee's spans join this trace.
pub fn inject_trace_context(headers: &mut HeaderMap) {
    let context = Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
}

/// [`inject_trace_context`] for a tonic request's metadata.
pub fn inject_trace_metadata(metadata: &mut tonic::metadata::MetadataMap) {
    let mut headers = HeaderMap::new();
    inject_trace_context(&mut headers);
    for (name, value) in &headers {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes()),
            tonic::metadata::AsciiMetadataValue::try_from(value.as_bytes()),
        ) {
            metadata.insert(key, value);
        }
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The span of `consumer` applying one event, a child of the change that
/// made it (its stored `traceparent`), so a checkout's trace shows the
/// email it caused; a new trace when the event carries none.
pub fn event_span(
    consumer: &'static str,
    event_type: &str,
    event_id: &str,
    traceparent: &str,
) -> Span {
    let mut headers = HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_str(traceparent) {
        headers.insert("traceparent", value);
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(&headers));
    let span = tracing::info_span!(
        "event",
        otel.name = event_type,
        otel.kind = "consumer",
        consumer,
        event_id,
    );
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    span
}

/// What the layer calls when a call's trailers arrive.
type EosFn = fn(Option<&HeaderMap>, Duration, &Span);

/// The tower layer that opens the span of each RPC.
pub type RpcTraceLayer = TraceLayer<
    GrpcMakeClassifier,
    RpcSpan,
    (),
    RpcResponse,
    DefaultOnBodyChunk,
    EosFn,
    fn(GrpcFailureClass, Duration, &Span),
>;

/// Where a server stands, which decides how loudly it logs finished calls:
/// a call is logged once, at the edge where it entered the shop, and again
/// behind it only when something went wrong there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallLog {
    /// The gateway: every finished call at INFO (the shop's access log).
    Edge,
    /// A service behind the edge: calls answered OK or refused because of
    /// the request (NOT_FOUND, INVALID_ARGUMENT, ...) at DEBUG, since the
    /// edge logs them already; trouble (UNAVAILABLE, INTERNAL, ...) as loud
    /// as at the edge.
    Inner,
}

/// A span per RPC answered by `service`, named `rpc`, with `method`,
/// `request_id`, `trace_id` and, once known, `grpc.status`; it continues
/// the caller's trace when the call carries one. Finished calls are logged
/// as `log` says.
pub fn rpc_trace_layer(service: &'static str, log: CallLog) -> RpcTraceLayer {
    let on_eos: EosFn = match log {
        CallLog::Edge => on_eos_edge,
        CallLog::Inner => on_eos_inner,
    };
    TraceLayer::new_for_grpc()
        .make_span_with(RpcSpan { service })
        .on_request(())
        .on_response(RpcResponse(log))
        .on_eos(on_eos)
        .on_failure(on_failure as fn(GrpcFailureClass, Duration, &Span))
}

/// Opens the span of an incoming RPC (see [`rpc_trace_layer`]).
#[derive(Debug, Clone, Copy)]
pub struct RpcSpan {
    service: &'static str,
}

impl<B> MakeSpan<B> for RpcSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let headers = request.headers();
        let request_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let method = request.uri().path();
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
        let caller_trace = Some(parent.span().span_context().trace_id())
            .filter(|id| *id != TraceId::INVALID)
            .map(|id| id.to_string());
        // Every field recorded after creation costs the JSON log layer a
        // parse and a rewrite of the span's fields, so the caller's trace id
        // goes in at creation; only a new trace records its id afterwards.
        let span = tracing::info_span!(
            "rpc",
            otel.name = method,
            otel.kind = "server",
            rpc.system = "grpc",
            service = self.service,
            method,
            request_id,
            trace_id = caller_trace.as_deref(),
            grpc.status = tracing::field::Empty,
        );
        if caller_trace.is_some() {
            let _ = span.set_parent(parent);
        } else {
            let trace_id = span.context().span().span_context().trace_id();
            if trace_id != TraceId::INVALID {
                span.record("trace_id", tracing::field::display(trace_id));
            }
        }
        span
    }
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
#[derive(Debug, Clone, Copy)]
pub struct RpcResponse(CallLog);

impl<B> OnResponse<B> for RpcResponse {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        if let Some(code) = grpc_status(response.headers()) {
            finished(self.0, code, latency, span);
        }
    }
}

/// Normal responses end with the status in the trailers (two functions,
/// since the layer's type takes a plain `fn`).
fn on_eos_edge(trailers: Option<&HeaderMap>, latency: Duration, span: &Span) {
    if let Some(code) = trailers.and_then(grpc_status) {
        finished(CallLog::Edge, code, latency, span);
    }
}

fn on_eos_inner(trailers: Option<&HeaderMap>, latency: Duration, span: &Span) {
    if let Some(code) = trailers.and_then(grpc_status) {
        finished(CallLog::Inner, code, latency, span);
    }
}

fn on_failure(failure: GrpcFailureClass, latency: Duration, _span: &Span) {
    if let GrpcFailureClass::Error(error) = failure {
        tracing::warn!(%error, latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX), "rpc failed");
    }
}

fn finished(log: CallLog, code: tonic::Code, latency: Duration, span: &Span) {
    use tonic::Code;
    // OK is the unmarked case (recording it on every call costs the JSON
    // log layer a rewrite of the span's fields).
    if code != Code::Ok {
        span.record("grpc.status", tracing::field::debug(code));
    }
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match (code, log) {
        (Code::Internal | Code::Unknown | Code::DataLoss, _) => {
            tracing::error!(?code, latency_ms, "rpc finished");
        }
        (Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted, _) => {
            tracing::warn!(?code, latency_ms, "rpc finished");
        }
        (_, CallLog::Edge) => tracing::info!(?code, latency_ms, "rpc finished"),
        (_, CallLog::Inner) => tracing::debug!(?code, latency_ms, "rpc finished"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the log layer writes.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lines").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_callers_trace_id_and_the_request_id() {
        let lines = Lines::default();
        let writer = lines.clone();
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(log_layer(LogFormat::Json, move || writer.clone()))
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));

        let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let request = Request::builder()
            .uri("/shop.catalog.v1.CatalogService/GetProduct")
            .header(REQUEST_ID_HEADER, "req-42")
            .header(
                "traceparent",
                format!("00-{caller_trace}-00f067aa0ba902b7-01"),
            )
            .body(())
            .expect("request");
        tracing::subscriber::with_default(subscriber, || {
            let span = RpcSpan { service: "catalog" }.make_span(&request);
            span.in_scope(|| tracing::info!("inside the call"));
        });

        let written = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
        let line: serde_json::Value =
            serde_json::from_str(written.lines().next().expect("one line")).expect("JSON");
        assert_eq!(line["message"], "inside the call");
        assert_eq!(line["span"]["trace_id"], caller_trace);
        assert_eq!(line["span"]["request_id"], "req-42");
        assert_eq!(line["span"]["service"], "catalog");
        assert_eq!(
            line["span"]["method"],
            "/shop.catalog.v1.CatalogService/GetProduct"
        );
    }

    #[test]
    fn pretty_lines_leave_out_the_exporters_fields() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(log_layer(LogFormat::Pretty, move || writer.clone()));
        let request = Request::builder()
            .uri("/shop.catalog.v1.CatalogService/GetProduct")
            .header(REQUEST_ID_HEADER, "req-7")
            .body(())
            .expect("request");
        tracing::subscriber::with_default(subscriber, || {
            let span = RpcSpan { service: "catalog" }.make_span(&request);
            span.in_scope(|| tracing::info!(answer = 42, "inside the call"));
        });

        let written = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
        assert!(written.contains("service=\"catalog\""), "{written}");
        assert!(written.contains("request_id=\"req-7\""), "{written}");
        assert!(written.contains("inside the call answer=42"), "{written}");
        assert!(!written.contains("otel."), "{written}");
        assert!(!written.contains("rpc.system"), "{written}");
    }
}

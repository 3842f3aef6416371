//! Spans leave over OTLP/gRPC when an endpoint is configured, and the last
//! ones are flushed at shutdown. A test of its own: it installs the
//! process-wide subscriber.

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use platform::telemetry::{LogFormat, init_exporting_to};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status, transport::Server};

/// An OpenTelemetry collector that keeps what it is sent.
#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        if let Ok(mut received) = self.received.lock() {
            received.push(request.into_inner());
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Collector {
    /// (service.name, span name) of every span received.
    fn spans(&self) -> Vec<(String, String)> {
        let received = self.received.lock().expect("received");
        let mut spans = Vec::new();
        for export in received.iter() {
            for resource in &export.resource_spans {
                let service = resource
                    .resource
                    .iter()
                    .flat_map(|r| &r.attributes)
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| kv.value.as_ref())
                    .map(|v| format!("{:?}", v.value))
                    .unwrap_or_default();
                for scope in &resource.scope_spans {
                    for span in &scope.spans {
                        spans.push((service.clone(), span.name.clone()));
                    }
                }
            }
        }
        spans
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_are_exported_over_otlp_and_flushed_at_shutdown() {
    let collector = Collector::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(
        Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );

    let telemetry = init_exporting_to(
        LogFormat::Json,
        "otlp-test",
        Some(&format!("http://{address}")),
    );
    tracing::info_span!("checkout", otel.name = "a traced operation").in_scope(|| {
        tracing::info!("inside");
    });
    assert!(
        collector.spans().is_empty(),
        "spans are batched, not sent one by one"
    );
    telemetry.shutdown().await;

    let spans = collector.spans();
    assert!(
        spans
            .iter()
            .any(|(service, name)| service.contains("otlp-test") && name == "a traced operation"),
        "the collector got the span at shutdown: {spans:?}"
    );
}

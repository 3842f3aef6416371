//! Prometheus metrics: one process-wide recorder (the `metrics` facade with
//! the Prometheus exporter), the standard gRPC server and client metrics
//! recorded by a tower layer, database pool gauges read at scrape time, and
//! `shop_build_info`. The admin HTTP server (`admin.rs`) renders them.
//!
//! Every series carries a `service` label (catalog, orders, ...): in the
//! all-in-one process four services share the one recorder.

mod grpc;

use std::sync::{Mutex, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use grpc::{GrpcMetrics, GrpcMetricsLayer, Side};

/// Latency buckets (seconds) for every `*_seconds` histogram: from a cached
/// read (sub-millisecond) to a checkout waiting on a slow dependency.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once; later calls return
/// the same handle). Until it is installed, recording metrics costs nearly
/// nothing and goes nowhere.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder (an embedding program's) wins; ours then
            // renders nothing, which is the honest answer.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
            }
            handle
        })
        .clone()
}

/// Everything recorded so far, in the Prometheus text format, with the
/// scrape-time gauges (database pools) brought up to date first.
pub fn render() -> String {
    let handle = install();
    collect_gauges();
    handle.render()
}

/// `shop_build_info{service, version, commit} 1`: which build is running.
pub fn record_build_info(service: &'static str) {
    metrics::gauge!(
        "shop_build_info",
        "service" => service,
        "version" => crate::build::VERSION,
        "commit" => crate::build::COMMIT,
    )
    .set(1.0);
}

/// Something that sets gauges when scraped; returns false once what it
/// watches is gone, and is then dropped.
type Collector = Box<dyn Fn() -> bool + Send>;

static COLLECTORS: Mutex<Vec<Collector>> = Mutex::new(Vec::new());

/// Runs `collect` at every scrape while it returns true.
pub fn on_scrape(collect: impl Fn() -> bool + Send + 'static) {
    if let Ok(mut collectors) = COLLECTORS.lock() {
        collectors.push(Box::new(collect));
    }
}

fn collect_gauges() {
    if let Ok(mut collectors) = COLLECTORS.lock() {
        collectors.retain(|collect| collect());
    }
}

/// The figures a connection pool reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub max: usize,
    pub open: usize,
    pub idle: usize,
    pub waiting: usize,
}

/// Sets the `db_pool_*` gauges of `service`.
pub fn record_pool(service: &'static str, status: PoolStatus) {
    let in_use = status.open.saturating_sub(status.idle);
    metrics::gauge!("db_pool_max_connections", "service" => service).set(status.max as f64);
    metrics::gauge!("db_pool_connections", "service" => service, "state" => "in_use")
        .set(in_use as f64);
    metrics::gauge!("db_pool_connections", "service" => service, "state" => "idle")
        .set(status.idle as f64);
    metrics::gauge!("db_pool_waiting", "service" => service).set(status.waiting as f64);
}

//! The admin HTTP port of a process: `GET /metrics` in the Prometheus text
//! format. It is separate from the gRPC port so that scraping needs no
//! token and the port can stay inside the cluster (see the NetworkPolicies).

use std::{future::Future, net::SocketAddr};

use axum::{Router, http::header, response::IntoResponse, routing::get};
use tokio::net::TcpListener;

/// The admin port cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics")]
pub struct AdminError(#[from] crate::binary::BindError);

/// Serves the admin endpoints on `address`, if one is given, for as long as
/// the process runs.
pub async fn start(address: Option<SocketAddr>) -> Result<(), AdminError> {
    let Some(address) = address else {
        return Ok(());
    };
    let listener = crate::binary::bind(address, "--metrics-listen or METRICS_LISTEN").await?;
    tokio::spawn(async move {
        if let Err(error) = serve(listener, std::future::pending()).await {
            tracing::error!(%error, "the metrics endpoint stopped");
        }
    });
    Ok(())
}

/// Serves the admin endpoints on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::metrics::install();
    let app = Router::new().route("/metrics", get(metrics));
    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        "metrics serving on /metrics"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}

//! Server assembly shared by every service: the service's routes plus
//! `grpc.health.v1` and gRPC reflection (v1 and v1alpha, so any grpcurl
//! works), wrapped in the standard layers, with graceful shutdown. Health
//! follows the service's database: NOT_SERVING while it is unreachable.

use std::{future::Future, time::Duration};

use http::{Request, Response};
use tokio::net::TcpListener;
use tonic::{body::Body, codegen::Bytes, service::Routes, transport::Server};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower::{BoxError, Layer, Service};

use crate::{
    answers::AnswersLayer,
    auth::{AuthLayer, Policy, Verifier},
    db::Db,
    metrics::GrpcMetricsLayer,
    telemetry,
    tls::ServerTls,
};

/// How long in-flight calls (and open streams) get to finish after the
/// drain delay before the server stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// How often readiness asks the database whether it is reachable.
const READINESS_INTERVAL: Duration = Duration::from_secs(1);

/// How long that question may take before the answer counts as "no".
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// What a service hands to [`serve`].
pub struct ServerSetup {
    /// The service's short name (`catalog`), for metrics and traces.
    pub name: &'static str,
    /// The database it cannot serve without; health follows it.
    pub database: Option<Db>,
    /// The service's own gRPC services.
    pub routes: Routes,
    /// Their fully qualified names, reported by health and listed by reflection.
    pub service_names: Vec<&'static str>,
    /// Who may call which method.
    pub policy: Policy,
    /// Whose tokens to believe.
    pub verifier: Verifier,
    /// How long to keep serving after going NOT_SERVING on shutdown.
    pub drain_delay: Duration,
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot build reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// Serves `setup` on `listener` until `shutdown` completes, then reports
/// NOT_SERVING, waits the drain delay, and drains in-flight calls.
pub async fn serve(
    setup: ServerSetup,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_tls(setup, None, listener, shutdown).await
}

/// [`serve`], over TLS when `tls` is set (mutual TLS if it requires
/// client certificates).
pub async fn serve_tls(
    setup: ServerSetup,
    tls: Option<ServerTls>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let ServerSetup {
        name,
        database,
        routes,
        service_names,
        policy,
        verifier,
        drain_delay,
    } = setup;
    let layers = tower::ServiceBuilder::new()
        // Outermost: a span per RPC (joining the caller's trace), so
        // everything below logs inside it.
        .layer(telemetry::rpc_trace_layer(name, telemetry::CallLog::Inner))
        // Request counts, latencies and calls in flight, by method and code.
        .layer(GrpcMetricsLayer::server(name))
        // Answers bounded, and a caller's going away recorded as CANCELLED
        // (inside the span and the metrics, so both see it so).
        .layer(AnswersLayer)
        // The request id travels with the handler into its outgoing calls.
        .layer(telemetry::RequestIdLayer)
        // Authorize every call against the policy before any handler runs.
        .layer(AuthLayer::new(policy, verifier))
        .into_inner();
    let listing = Listing {
        name,
        database,
        routes,
        service_names,
        descriptors: None,
    };
    serve_layered(
        listing,
        layers,
        Protocols::Http2Only,
        drain_delay,
        tls,
        listener,
        shutdown,
    )
    .await
}

/// What a server serves and lists in health and reflection.
pub struct Listing {
    /// The service's short name (`gateway`), for metrics.
    pub name: &'static str,
    /// The database it cannot serve without; health follows it, and its
    /// pool is reported in the metrics.
    pub database: Option<Db>,
    /// The gRPC services (and anything else) it routes.
    pub routes: Routes,
    /// The service names health reports and reflection lists (they may be
    /// served elsewhere, as the gateway's proxied services are).
    pub service_names: Vec<&'static str>,
    /// The contract reflection describes: `None` for the whole of it; the
    /// gateway passes the part it serves (internal methods removed).
    pub descriptors: Option<prost_types::FileDescriptorSet>,
}

/// Which HTTP versions a server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocols {
    /// gRPC only: HTTP/2.
    Http2Only,
    /// Also HTTP/1.1, for grpc-web and plain web pages.
    Http1AndHttp2,
}

/// [`serve_tls`] with the caller's own layers (the gateway's edge stack):
/// adds health and reflection to `listing`, serves it behind `layers` (over
/// TLS when `tls` is set), and shuts down as [`serve`] does.
pub async fn serve_layered<L, ResBody>(
    listing: Listing,
    layers: L,
    protocols: Protocols,
    drain_delay: Duration,
    tls: Option<ServerTls>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError>
where
    L: Layer<Routes> + Clone,
    L::Service: Service<Request<Body>, Response = Response<ResBody>> + Clone + Send + 'static,
    <L::Service as Service<Request<Body>>>::Future: Send,
    <L::Service as Service<Request<Body>>>::Error: Into<BoxError> + Send,
    ResBody: http_body::Body<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    // First, so a TLS setup that cannot work fails before anything starts.
    let incoming = crate::tls::incoming(listener, tls.as_ref(), protocols)?;
    let Listing {
        name,
        database,
        routes,
        service_names,
        descriptors,
    } = listing;
    crate::metrics::record_build_info(name);
    let (health, health_service) = tonic_health::server::health_reporter();
    set_status(&health, &service_names, ServingStatus::Serving).await;
    let readiness = database.map(|db| {
        db.report_pool_metrics(name);
        tokio::spawn(follow_database(db, health.clone(), service_names.clone()))
    });
    let routes = routes
        .add_service(health_service)
        .add_service(reflection(&service_names, descriptors.clone()).build_v1()?)
        .add_service(reflection(&service_names, descriptors).build_v1alpha()?);

    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let names = service_names.clone();
    let on_shutdown = tokio::spawn(async move {
        shutdown.await;
        if let Some(readiness) = readiness {
            readiness.abort();
        }
        // Say NOT_SERVING first so probes and balancers stop sending calls.
        set_status(&health, &names, ServingStatus::NotServing).await;
        tokio::time::sleep(drain_delay).await;
        let _ = stopping_tx.send(());
        tokio::time::sleep(SHUTDOWN_GRACE).await;
        let _ = drained_tx.send(());
    });

    let server = Server::builder()
        .accept_http1(protocols == Protocols::Http1AndHttp2)
        .layer(layers)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, async {
            let _ = stopping_rx.await;
        });
    let result = tokio::select! {
        result = server => result.map_err(ServeError::from),
        _ = drained_rx => {
            tracing::warn!("calls still open after the shutdown grace period; stopping anyway");
            Ok(())
        }
    };
    on_shutdown.abort();
    result
}

/// Reports NOT_SERVING while `db` is unreachable and SERVING again once it
/// answers, so a replica that lost its database gets no traffic but is not
/// restarted (liveness asks nothing of the database).
async fn follow_database(db: Db, health: HealthReporter, names: Vec<&'static str>) {
    let mut every = tokio::time::interval(READINESS_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reachable = true;
    loop {
        every.tick().await;
        let now = match tokio::time::timeout(READINESS_TIMEOUT, db.ping()).await {
            Ok(Ok(())) => true,
            Ok(Err(error)) => {
                if reachable {
                    tracing::warn!(%error, "database unreachable; reporting NOT_SERVING");
                }
                false
            }
            Err(_) => {
                if reachable {
                    tracing::warn!("database did not answer in time; reporting NOT_SERVING");
                }
                false
            }
        };
        if now != reachable {
            reachable = now;
            if reachable {
                tracing::info!("database reachable again; reporting SERVING");
            }
            let status = if reachable {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            // Only the named services: the overall status ("") is what
            // liveness asks, and a lost database is no reason to restart.
            for name in &names {
                health.set_service_status(*name, status).await;
            }
        }
    }
}

/// Reflection that lists exactly what this server serves, describing
/// `contract` (the whole contract when `None`).
fn reflection(
    service_names: &[&'static str],
    contract: Option<prost_types::FileDescriptorSet>,
) -> tonic_reflection::server::Builder<'static> {
    let builder = tonic_reflection::server::Builder::configure();
    let builder = match contract {
        Some(contract) => builder.register_file_descriptor_set(contract),
        None => builder.register_encoded_file_descriptor_set(contracts::FILE_DESCRIPTOR_SET),
    };
    let mut builder = builder
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc error details, so grpcurl can print them.
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health")
        .with_service_name("grpc.reflection.v1.ServerReflection");
    for name in service_names {
        builder = builder.with_service_name(*name);
    }
    builder
}

async fn set_status(health: &HealthReporter, names: &[&'static str], status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in names {
        health.set_service_status(*name, status).await;
    }
}

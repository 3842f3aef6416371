//! How the load generator reaches the system: native gRPC over M HTTP/2
//! connections (one tonic `Channel` each), or grpc-web over HTTP/1.1 as a
//! browser talks. Both are boxed into one service type, so the scenarios
//! drive the same generated clients whichever way the bytes travel.

use std::time::Duration;

use http::Uri;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use tonic::{body::Body, transport::Channel};
use tower::{Layer, ServiceExt, util::BoxCloneService};

/// Which protocol the calls use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// Native gRPC over HTTP/2.
    Grpc,
    /// grpc-web (binary) over HTTP/1.1, through tonic-web's client layer.
    GrpcWeb,
}

/// A transport failure. A concrete type rather than a boxed trait object:
/// with `Box<dyn Error>` as the service's error, the compiler cannot prove
/// the generated clients' futures `Send` for every lifetime, and they could
/// not be spawned.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct TransportError(Box<dyn std::error::Error + Send + Sync>);

fn boxed<E: std::error::Error + Send + Sync + 'static>(error: E) -> TransportError {
    TransportError(Box::new(error))
}

/// One connection (gRPC) or one connection pool (grpc-web), boxed so the
/// generated clients have a single type for both transports. The box costs
/// one allocation per call, the same on every side of a comparison.
pub type Connection = BoxCloneService<http::Request<Body>, http::Response<Body>, TransportError>;

/// Opens `count` connections to `target`.
///
/// gRPC: each `Channel` is one HTTP/2 connection that multiplexes the calls
/// of every virtual user sharing it. grpc-web: HTTP/1.1 carries one call at
/// a time per connection, so each of the `count` clients keeps a pool that
/// grows to as many connections as it has calls in flight (as a browser
/// would); `count` then only splits the pools.
pub fn connect(target: &Uri, transport: Transport, count: usize) -> Vec<Connection> {
    (0..count.max(1))
        .map(|_| match transport {
            Transport::Grpc => {
                let channel = Channel::builder(target.clone())
                    .connect_timeout(Duration::from_secs(5))
                    .tcp_nodelay(true)
                    .connect_lazy();
                BoxCloneService::new(channel.map_err(boxed))
            }
            Transport::GrpcWeb => {
                let mut http1 = HttpConnector::new();
                http1.set_nodelay(true);
                let client = Client::builder(TokioExecutor::new())
                    .pool_idle_timeout(Duration::from_secs(30))
                    .build(http1);
                let web = tonic_web::GrpcWebClientLayer::new().layer(client);
                BoxCloneService::new(
                    web.map_response(|response| response.map(Body::new))
                        .map_err(boxed),
                )
            }
        })
        .collect()
}

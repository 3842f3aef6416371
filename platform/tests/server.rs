//! The shared server's promises, tested on a bare server (health and
//! reflection only): health follows the database, shutdown drains, every
//! call is counted in the metrics, and a caller going away mid-call is no
//! server error.

use std::{net::SocketAddr, time::Duration};

use diesel_migrations::EmbeddedMigrations;
use platform::{
    auth::Policy,
    db::{Db, Migrations},
    server::{ServerSetup, serve},
    testing::{TestAuth, TestDatabase, eventually},
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{mpsc, oneshot, watch},
    task::JoinHandle,
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, service::Routes, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest,
};

/// The service name the test server reports health for.
const SERVICE: &str = "shop.test.v1.TestService";

const NO_MIGRATIONS: EmbeddedMigrations = EmbeddedMigrations::new(&[]);

/// A bare server: health, reflection and the standard layers.
struct TestServer {
    address: SocketAddr,
    channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), platform::server::ServeError>>,
}

impl TestServer {
    async fn start(database: Option<Db>, drain_delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        let setup = ServerSetup {
            name: "test",
            database,
            routes: Routes::default(),
            service_names: vec![SERVICE],
            policy: Policy::new(),
            verifier: TestAuth::new().verifier(),
            drain_delay,
        };
        let task = tokio::spawn(serve(setup, listener, async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{address}"))
            .expect("uri")
            .connect_lazy();
        Self {
            address,
            channel,
            stop: Some(stop),
            task,
        }
    }

    /// The health of the service (what a readiness probe asks).
    async fn health(&self) -> ServingStatus {
        self.health_of(SERVICE).await
    }

    /// The health of `service`; "" is the server as a whole (liveness).
    async fn health_of(&self, service: &str) -> ServingStatus {
        let status = HealthClient::new(self.channel.clone())
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health answers")
            .into_inner()
            .status;
        ServingStatus::try_from(status).expect("a known status")
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn list_services() -> ServerReflectionRequest {
    ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_in_flight_finishes_after_shutdown_and_new_connections_are_refused() {
    let mut server = TestServer::start(None, Duration::from_millis(300)).await;
    let (send, requests) = mpsc::channel(4);
    send.send(list_services()).await.expect("queue a request");
    let mut stream = ServerReflectionClient::new(server.channel.clone())
        .server_reflection_info(ReceiverStream::new(requests))
        .await
        .expect("the stream opens")
        .into_inner();
    assert!(stream.message().await.expect("an answer").is_some());

    server.shut_down();
    eventually("health reports NOT_SERVING as the drain begins", || {
        let server = &server;
        async move { server.health().await == ServingStatus::NotServing }
    })
    .await;
    let address = server.address;
    eventually("the server stops accepting connections", || async move {
        TcpStream::connect(address).await.is_err()
    })
    .await;

    // The stream opened before shutdown is still answered, and ends cleanly.
    send.send(list_services()).await.expect("queue a request");
    assert!(stream.message().await.expect("an answer").is_some());
    drop(send);
    assert!(stream.message().await.expect("a clean end").is_none());

    server
        .task
        .await
        .expect("server task")
        .expect("the server stops without error");
    let refused = HealthClient::new(
        Channel::from_shared(format!("http://{address}"))
            .expect("uri")
            .connect_lazy(),
    )
    .check(HealthCheckRequest::default())
    .await
    .expect_err("nobody listens any more");
    assert_eq!(refused.code(), Code::Unavailable);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_call_is_counted_by_method_and_code() {
    platform::metrics::install();
    let server = TestServer::start(None, Duration::ZERO).await;
    assert_eq!(server.health().await, ServingStatus::Serving);

    let metrics = platform::metrics::render();
    let handled = "grpc_server_handled_total{service=\"test\",grpc_service=\"grpc.health.v1.Health\",\
                   grpc_method=\"Check\",grpc_type=\"unary\",grpc_code=\"OK\"} ";
    assert!(metrics.contains(handled), "no {handled} in\n{metrics}");
    assert!(metrics.contains("grpc_server_handling_seconds_bucket{service=\"test\""));
    assert!(metrics.contains("shop_build_info{service=\"test\""));
}

/// A TCP relay to PostgreSQL that can be cut (every connection dropped, new
/// ones refused) and restored, to make the database unreachable on demand.
struct Relay {
    address: SocketAddr,
    cut: watch::Sender<bool>,
}

impl Relay {
    async fn to(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (cut, is_cut) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if *is_cut.borrow() {
                    continue;
                }
                let mut is_cut = is_cut.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = is_cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { address, cut }
    }

    fn cut(&self) {
        self.cut.send_replace(true);
    }

    fn restore(&self) {
        self.cut.send_replace(false);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_the_database_without_a_restart() {
    let database = TestDatabase::new().await;
    if !database.is_postgres() {
        eprintln!("skipped: an embedded SQLite file cannot become unreachable; runs on PostgreSQL");
        return;
    }
    // Reach the test database through a relay we can cut:
    // postgres://USER@HOST:PORT/DB -> postgres://USER@RELAY/DB.
    let (before, after) = database.url().split_once('@').expect("USER@HOST");
    let (host_port, name) = after.split_once('/').expect("HOST/DB");
    let upstream = tokio::net::lookup_host(host_port)
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address");
    let relay = Relay::to(upstream).await;
    let relayed = format!("{before}@{}/{name}", relay.address);
    let db = Db::connect(
        &relayed,
        2,
        Migrations {
            sqlite: NO_MIGRATIONS,
            postgres: NO_MIGRATIONS,
        },
    )
    .await
    .expect("connect through the relay");
    let server = TestServer::start(Some(db), Duration::ZERO).await;
    assert_eq!(server.health().await, ServingStatus::Serving);

    relay.cut();
    eventually(
        "health reports NOT_SERVING while the database is unreachable",
        || {
            let server = &server;
            async move { server.health().await == ServingStatus::NotServing }
        },
    )
    .await;
    assert_eq!(
        server.health_of("").await,
        ServingStatus::Serving,
        "liveness stays SERVING: a lost database is no reason to restart"
    );

    relay.restore();
    eventually(
        "health reports SERVING again once the database is back",
        || {
            let server = &server;
            async move { server.health().await == ServingStatus::Serving }
        },
    )
    .await;
}

/// What the log layer writes, kept for the test to read.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

#[tokio::test]
async fn a_caller_going_away_mid_call_is_not_logged_as_a_server_error() {
    use tower::ServiceExt;

    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        // Services log a call refused by its caller at debug (the edge logs
        // it); everything else at info, as in production.
        .with_env_filter("info,platform::telemetry=debug")
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);
    let server = TestServer::start(None, Duration::ZERO).await;

    // A call whose stream is reset before the server took it up never
    // reaches the service (HTTP/2 drops it: a busy machine can deliver
    // the headers and the reset together), so nothing is logged for it:
    // broken calls are sent until the server has finished one.
    eventually("the server finished a broken call", || async {
        let _ = server
            .channel
            .clone()
            .oneshot(platform::testing::health_check_whose_body_breaks_off(
                "test",
            ))
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        logs.text().contains("rpc finished")
    })
    .await;

    let logs = logs.text();
    assert!(logs.contains("code=Cancelled"), "{logs}");
    assert!(!logs.contains("ERROR"), "{logs}");
}

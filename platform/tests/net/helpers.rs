//! What these tests share: a resolver the test controls, health calls,
//! and a server on loopback with only health and reflection.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

pub use platform::testing::{Behaviour, FakeBackend, TestCa, eventually};

use platform::{
    auth::Policy, client::Resolver, server::ServerSetup, testing::TestAuth, tls::ServerTls,
};
use tonic::{Status, service::Routes, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// A name service the test edits: the addresses a host resolves to, and
/// how many times it was asked.
#[derive(Clone, Default)]
pub struct FakeDns {
    addresses: Arc<Mutex<Vec<SocketAddr>>>,
    lookups: Arc<AtomicUsize>,
}

impl FakeDns {
    pub fn new(addresses: &[SocketAddr]) -> Self {
        let dns = Self::default();
        dns.set(addresses);
        dns
    }

    pub fn set(&self, addresses: &[SocketAddr]) {
        *self.addresses.lock().expect("lock") = addresses.to_vec();
    }

    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }

    /// Waits until the channel has certainly seen the current addresses:
    /// two more lookups (the first may have begun before the change).
    pub async fn propagated(&self) {
        let seen = self.lookups();
        eventually("the resolver looked up the name again", || async {
            self.lookups() >= seen + 2
        })
        .await;
    }

    /// The resolver to build channels with (any host resolves to the list).
    pub fn resolver(&self) -> Resolver {
        let dns = self.clone();
        Resolver::from_fn(move |_host, _port| {
            dns.lookups.fetch_add(1, Ordering::SeqCst);
            let found = dns.addresses.lock().expect("lock").clone();
            Box::pin(async move { Ok(found) })
        })
    }
}

/// How often the channels in these tests resolve names again.
pub const REFRESH: Duration = Duration::from_millis(20);

/// One health check over `channel`.
pub async fn check(channel: &Channel) -> Result<(), Status> {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .map(drop)
}

/// A server with health and reflection only, over `tls`, until dropped.
pub struct TlsServer {
    pub address: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TlsServer {
    pub async fn spawn(tls: ServerTls) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let setup = ServerSetup {
            name: "tls-test",
            database: None,
            routes: Routes::default(),
            service_names: Vec::new(),
            policy: Policy::new(),
            verifier: TestAuth::new().verifier(),
            drain_delay: Duration::ZERO,
        };
        tokio::spawn(platform::server::serve_tls(
            setup,
            Some(tls),
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            address,
            _stop: stop,
        }
    }
}

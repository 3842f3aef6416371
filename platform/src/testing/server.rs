//! A service under test: its `serve(config, listener, shutdown)` spawned on
//! a loopback port, with the trigger that shuts it down and the task that
//! tells how it ended.

use std::{future::Future, net::SocketAddr, time::Duration};

use futures_util::{FutureExt, future::BoxFuture};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// The shutdown signal handed to a service's `serve`: it completes when the
/// test stops the server (or drops it).
pub type Shutdown = BoxFuture<'static, ()>;

/// A service running in the test's runtime; dropping it asks it to stop
/// without waiting.
pub struct TestServer<E> {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), E>>>,
}

impl<E: Send + 'static> TestServer<E> {
    /// Binds `127.0.0.1:0` and runs `serve` on it, e.g.
    /// `TestServer::spawn(|listener, shutdown| catalog::serve(config, listener, shutdown))`.
    pub async fn spawn<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(TcpListener, Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::spawn_on(listener, serve)
    }

    /// Runs `serve` on a listener the test bound itself (to come back on a
    /// known address, say).
    pub fn spawn_on<F, Fut>(listener: TcpListener, serve: F) -> Self
    where
        F: FnOnce(TcpListener, Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let address = listener.local_addr().expect("address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        let signal = stopped.map(|_| ()).boxed();
        Self {
            address,
            shutdown: Some(shutdown),
            task: Some(tokio::spawn(serve(listener, signal))),
        }
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://` and its address.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A channel to it that connects on first use.
    pub fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .expect("a loopback URL")
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy()
    }

    /// Waits until its health service says SERVING (which a service says
    /// once its database is connected and migrated), failing the test
    /// after 10 seconds.
    pub async fn wait_until_serving(&self) {
        let channel = self.channel();
        super::eventually("the service is serving", || async {
            HealthClient::new(channel.clone())
                .check(HealthCheckRequest::default())
                .await
                .is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving)
        })
        .await;
    }

    /// Sends the shutdown signal without waiting (to watch the drain).
    pub fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Shuts it down gracefully and returns how `serve` ended.
    pub async fn stop(mut self) -> Result<(), E> {
        self.begin_shutdown();
        match self.task.take() {
            Some(task) => task.await.expect("the server task did not panic"),
            None => Ok(()),
        }
    }

    /// Ends it at once, as a crash would: no drain, in-flight calls cut off.
    pub async fn abort(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl<E> Drop for TestServer<E> {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

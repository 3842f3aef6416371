//! One way to run a service, written once: [`serve_service`] serves a
//! service's routes with the standard stack while its [`Background`] tasks
//! (sweepers, recovery loops, relays) run beside it, and logs "<name>
//! serving" and "<name> stopped"; [`StartError`] is why a service could not
//! start or stopped with an error; [`Runnable`] and [`serve_all`] run any
//! number of services in one process and stop them all when one fails.

use std::{collections::HashMap, future::Future, sync::Arc};

use futures_util::{FutureExt, future::BoxFuture};
use tokio::{net::TcpListener, task::JoinSet};
use tonic::service::Routes;

use crate::{
    auth::Policy,
    client::ClientError,
    clock::Clock,
    config::CommonConfig,
    db::{Db, DbError},
    events::{EventsConfig, Handler, admin::EventAdmin},
    server::{ServeError, ServerSetup},
    tls::ServerTls,
};

/// Any error, boxed, as services report them to [`serve_all`].
pub use tower::BoxError;

/// Work a service runs while it serves. Each task lives exactly as long as
/// the server: one that ends early (returns or panics) is logged, and all
/// are stopped and awaited when the server stops.
#[derive(Default)]
pub struct Background {
    tasks: JoinSet<()>,
    names: HashMap<tokio::task::Id, &'static str>,
}

impl Background {
    /// No tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts `task`, named `name` in the logs.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        let handle = self.tasks.spawn(task);
        self.names.insert(handle.id(), name);
    }

    /// Waits for the next task to end and logs it; pending forever when
    /// there is none, so it can sit in a `select!` beside the server.
    async fn next_ended(&mut self, service: &'static str) {
        match self.tasks.join_next_with_id().await {
            Some(Ok((id, ()))) => {
                let task = self.names.remove(&id).unwrap_or("task");
                tracing::error!(service, task, "background task ended while serving");
            }
            Some(Err(error)) => {
                let task = self.names.remove(&error.id()).unwrap_or("task");
                tracing::error!(service, task, %error, "background task died while serving");
            }
            None => std::future::pending().await,
        }
    }

    /// Stops every task and waits until each has.
    async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// What [`serve_service`] needs of a service: its server setup (routes,
/// policy, verifier, database), its TLS, and its background tasks.
pub struct Service {
    pub setup: ServerSetup,
    pub tls: Option<ServerTls>,
    pub background: Background,
    database: Db,
    events: EventsConfig,
    clock: Clock,
    page_token_key: Vec<u8>,
    event_admin: bool,
}

impl Service {
    /// `routes` of the service `name` (serving `service_names`, called as
    /// `policy` allows) on `database`, with the verifier, drain delay and
    /// TLS of `common`, and no background tasks yet.
    pub fn new(
        name: &'static str,
        common: CommonConfig,
        database: Db,
        routes: Routes,
        service_names: &[&'static str],
        policy: Policy,
    ) -> Self {
        Self {
            setup: ServerSetup {
                name,
                database: Some(database.clone()),
                routes,
                service_names: service_names.to_vec(),
                policy,
                verifier: common.verifier,
                drain_delay: common.drain_delay,
            },
            tls: common.tls,
            background: Background::new(),
            database,
            events: common.events,
            clock: common.clock,
            page_token_key: common.page_token_key,
            event_admin: false,
        }
    }

    /// Publishes the events this service writes to its outbox: starts the
    /// relay (see [`crate::events::relay`]).
    pub fn publish_events(&mut self) {
        self.serve_event_admin();
        crate::events::start_relay(
            &mut self.background,
            self.setup.name,
            &self.database,
            &self.events,
            &self.clock,
        );
    }

    /// Applies the events the topology sends to `consumer` with `handler`.
    pub fn consume_events(&mut self, consumer: &'static str, handler: Arc<dyn Handler>) {
        self.serve_event_admin();
        crate::events::start_consumer(
            &mut self.background,
            consumer,
            &self.database,
            handler,
            &self.events,
            &self.clock,
        );
    }
}

impl Service {
    /// Adds `shop.events.v1.EventAdminService` (dead events and letters,
    /// for admins) to the service, once.
    fn serve_event_admin(&mut self) {
        if std::mem::replace(&mut self.event_admin, true) {
            return;
        }
        let admin = EventAdmin::server(self.database.clone(), &self.page_token_key);
        let setup = &mut self.setup;
        setup.routes = std::mem::take(&mut setup.routes).add_service(admin);
        setup.policy = EventAdmin::policy(std::mem::take(&mut setup.policy));
        setup.service_names.push(crate::events::admin::SERVICE);
    }
}

/// Serves `service` on `listener` with the standard stack (health,
/// reflection, auth, metrics, traces) until `shutdown` completes, with its
/// background tasks beside it (see [`supervise`]).
pub async fn serve_service(
    service: Service,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let Service {
        setup,
        tls,
        background,
        ..
    } = service;
    let (name, database) = (setup.name, setup.database.clone());
    supervise(name, database.as_ref(), background, listener, |listener| {
        crate::server::serve_tls(setup, tls, listener, shutdown)
    })
    .await
}

/// Runs `serve` (given the listener) with `background` beside it: logs
/// "<name> serving" first, stops and awaits the background when the server
/// stops, and logs "<name> stopped" when it stopped cleanly. For a service
/// with its own layers (the gateway's edge); [`serve_service`] is this with
/// the standard stack.
pub async fn supervise<F>(
    name: &'static str,
    database: Option<&Db>,
    mut background: Background,
    listener: TcpListener,
    serve: impl FnOnce(TcpListener) -> F,
) -> Result<(), ServeError>
where
    F: Future<Output = Result<(), ServeError>>,
{
    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        database = database.map(Db::backend),
        "{name} serving"
    );
    let server = serve(listener);
    tokio::pin!(server);
    let served = loop {
        tokio::select! {
            served = &mut server => break served,
            () = background.next_ended(name) => {}
        }
    };
    background.stop().await;
    served?;
    tracing::info!("{name} stopped");
    Ok(())
}

/// Why a service could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Dependency(#[from] ClientError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// Anything else the service prepares before serving (a demo data
    /// set, accounts, a CORS rule): what it was, and why it failed.
    #[error("{what}")]
    Setup {
        what: String,
        #[source]
        source: BoxError,
    },
}

impl StartError {
    /// A failure of `what` the service prepares before serving.
    pub fn setup(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StartError::Setup {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// A stop signal [`Runnable`]s are given.
pub type Shutdown = BoxFuture<'static, ()>;

/// A running service's outcome.
type Served = BoxFuture<'static, Result<(), BoxError>>;

/// A service ready to run on its listener: a name and how to serve it.
/// Many run in one process through [`serve_all`].
pub struct Runnable {
    name: &'static str,
    listener: TcpListener,
    serve: Box<dyn FnOnce(TcpListener, Shutdown) -> Served + Send>,
}

impl Runnable {
    /// `name` served on `listener` by `serve` (typically
    /// `move |listener, shutdown| catalog::serve(config, listener, shutdown)`).
    pub fn new<F, E>(
        name: &'static str,
        listener: TcpListener,
        serve: impl FnOnce(TcpListener, Shutdown) -> F + Send + 'static,
    ) -> Self
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Self {
            name,
            listener,
            serve: Box::new(move |listener, shutdown| {
                serve(listener, shutdown)
                    .map(|result| result.map_err(Into::into))
                    .boxed()
            }),
        }
    }
}

/// One of the services [`serve_all`] ran failed.
#[derive(Debug, thiserror::Error)]
#[error("{service}: {source}")]
pub struct ServiceFailed {
    pub service: &'static str,
    pub source: BoxError,
}

/// Serves every service until `shutdown` completes (each then drains its
/// own calls) or one of them fails, which stops the others too. Returns the
/// first failure, after all have stopped.
pub async fn serve_all(
    services: Vec<Runnable>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceFailed> {
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut running = JoinSet::new();
    let mut names = HashMap::new();
    for Runnable {
        name,
        listener,
        serve,
    } in services
    {
        let mut stopped = stop.subscribe();
        let shutdown = async move {
            let _ = stopped.recv().await;
        };
        let served = serve(listener, shutdown.boxed());
        let task = running.spawn(async move {
            served.await.map_err(|source| ServiceFailed {
                service: name,
                source,
            })
        });
        names.insert(task.id(), name);
    }
    let mut shutdown = std::pin::pin!(shutdown);
    let mut first_failure = None;
    let mut stopping = false;
    loop {
        tokio::select! {
            () = &mut shutdown, if !stopping => {
                stopping = true;
                let _ = stop.send(());
            }
            ended = running.join_next_with_id() => {
                let failure = match ended {
                    None => break,
                    Some(Ok((_, Ok(())))) => continue,
                    Some(Ok((_, Err(failure)))) => failure,
                    Some(Err(panicked)) => ServiceFailed {
                        service: names.get(&panicked.id()).copied().unwrap_or("service"),
                        source: panicked.to_string().into(),
                    },
                };
                stopping = true;
                let _ = stop.send(());
                first_failure.get_or_insert(failure);
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };

    use super::*;

    async fn listener() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").await.expect("bind")
    }

    /// A service that serves until told to stop, and records that it was.
    fn polite(name: &'static str, listener: TcpListener, stopped: Arc<AtomicBool>) -> Runnable {
        Runnable::new(name, listener, move |_listener, shutdown| async move {
            shutdown.await;
            stopped.store(true, Ordering::SeqCst);
            Ok::<(), BoxError>(())
        })
    }

    #[tokio::test]
    async fn one_failing_service_stops_the_others_and_is_named() {
        let stopped = Arc::new(AtomicBool::new(false));
        let services = vec![
            polite("steady", listener().await, stopped.clone()),
            Runnable::new("broken", listener().await, |_listener, _shutdown| async {
                Err::<(), BoxError>("no database".into())
            }),
        ];
        let failure = serve_all(services, std::future::pending())
            .await
            .expect_err("one failed");
        assert_eq!(failure.to_string(), "broken: no database");
        assert!(stopped.load(Ordering::SeqCst), "the steady one was stopped");
    }

    #[tokio::test]
    async fn shutdown_stops_every_service() {
        let (first, second) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let services = vec![
            polite("first", listener().await, first.clone()),
            polite("second", listener().await, second.clone()),
        ];
        serve_all(services, async {}).await.expect("clean stop");
        assert!(first.load(Ordering::SeqCst) && second.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn background_tasks_stop_with_the_server() {
        let (running_tx, running_rx) = tokio::sync::oneshot::channel::<()>();
        let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel::<()>();
        let mut background = Background::new();
        background.spawn("forever", async move {
            // Dropped (so `dropped_tx` with it) only when the task is stopped.
            let _dropped = dropped_tx;
            let _ = running_tx.send(());
            std::future::pending::<()>().await;
        });
        background.spawn("short-lived", async {});
        supervise(
            "test",
            None,
            background,
            listener().await,
            |_listener| async {
                let _ = running_rx.await;
                Ok(())
            },
        )
        .await
        .expect("served");
        assert!(
            dropped_rx.await.is_err(),
            "the task was stopped and dropped"
        );
    }
}

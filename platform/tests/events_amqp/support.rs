//! What the broker tests share: a rig per test (a throwaway database, its
//! own exchange and queue names on the broker, the relay and a consumer
//! in the background), a handler that records what it applied in a table
//! the test creates, and a TCP proxy the tests cut to play a broker outage.

use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use contracts::events::{Event, StockLow, event::Payload};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use platform::{
    clock::Clock,
    db::{Db, DbError, Migrations},
    events::{
        self, AmqpConfig, Broker, Conn, ConsumerSettings, EventsConfig, Handler, HandlerError,
        NewEvent, RelaySettings, Transport, store::event_outbox, topology::Subscription,
    },
    on_conn, on_db,
    service::Background,
    testing::TestDatabase,
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// The event type the tests write, and the one consumer they run.
pub const THING_HAPPENED: &str = "test.thing.happened";
pub const CONSUMER: &str = "ledger";
/// A consumer that never runs, whose queue a test deletes, and its type.
pub const GHOST: &str = "ghost";
pub const GHOST_SEEN: &str = "test.ghost.seen";
/// A type nobody subscribes to.
pub const UNHEARD: &str = "test.unheard.thing";
pub const SUBSCRIPTIONS: &[Subscription] = &[
    Subscription {
        consumer: CONSUMER,
        bindings: &["test.thing.*"],
    },
    Subscription {
        consumer: GHOST,
        bindings: &[GHOST_SEEN],
    },
];

diesel::table! {
    applied (position) {
        position -> BigInt,
        event_id -> Text,
        aggregate_id -> Text,
        sequence -> BigInt,
    }
}

/// The broker the tests run against, or `None` (and a note) without one.
pub fn broker_url() -> Option<String> {
    match std::env::var("TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: set TEST_AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/%2f) to run the RabbitMQ tests"
            );
            None
        }
    }
}

/// One test's database, broker names and background tasks.
pub struct Rig {
    pub db: Db,
    pub url: String,
    pub namespace: String,
    _database: TestDatabase,
    background: Background,
    brokers: Vec<Broker>,
    finished: bool,
}

impl Rig {
    pub async fn new(url: String) -> Self {
        let database = TestDatabase::new().await;
        let db = Db::connect(database.url(), 10, Migrations::NONE)
            .await
            .expect("connect to the test database (the event tables come with it)");
        let create = if database.is_postgres() {
            "CREATE TABLE applied (position BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL, \
             aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL)"
        } else {
            "CREATE TABLE applied (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, \
             aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL)"
        };
        execute(&db, create)
            .await
            .expect("create the applied table");
        Self {
            db,
            url,
            namespace: format!("test-{}", uuid::Uuid::new_v4().simple()),
            _database: database,
            background: Background::new(),
            brokers: Vec::new(),
            finished: false,
        }
    }

    /// This test's names on the broker at `url`.
    pub fn amqp(&self, url: &str) -> AmqpConfig {
        let mut config = AmqpConfig::new(url);
        config.exchange = format!("{}.events", self.namespace);
        config.namespace = format!("{}.", self.namespace);
        config
    }

    /// A broker handle (one per service, as in a deployment) at `url`.
    pub fn broker(&mut self, url: &str) -> Broker {
        let broker = Broker::with_subscriptions(self.amqp(url), SUBSCRIPTIONS.to_vec());
        self.brokers.push(broker.clone());
        broker
    }

    /// Publishes this database's outbox through `broker`.
    pub fn start_relay(&mut self, broker: &Broker) {
        let config = EventsConfig {
            transport: Transport::Amqp(broker.clone()),
            relay: RelaySettings {
                poll: Duration::from_millis(50),
                lease: Duration::from_secs(2),
                max_backoff: Duration::from_millis(500),
                ..RelaySettings::default()
            },
            consumer: ConsumerSettings::default(),
        };
        events::start_relay(
            &mut self.background,
            "test",
            &self.db,
            &config,
            &Clock::System,
        );
    }

    /// Applies the ledger's queue with `handler`.
    pub fn start_consumer(&mut self, broker: &Broker, handler: Ledger, settings: ConsumerSettings) {
        let config = EventsConfig {
            transport: Transport::Amqp(broker.clone()),
            relay: RelaySettings::default(),
            consumer: settings,
        };
        events::start_consumer(
            &mut self.background,
            CONSUMER,
            &self.db,
            Arc::new(handler),
            &config,
            &Clock::System,
        );
    }

    /// Writes `count` events of `aggregate`, each in its own transaction.
    pub async fn write(&self, aggregate: &str, count: usize) -> Vec<Event> {
        let mut written = Vec::new();
        for _ in 0..count {
            written.extend(self.write_together(&[aggregate]).await);
        }
        written
    }

    /// Writes one event per entry of `aggregates`, in one transaction.
    pub async fn write_together(&self, aggregates: &[&str]) -> Vec<Event> {
        append(&self.db, THING_HAPPENED, aggregates)
            .await
            .expect("append events")
    }

    /// Writes an event of `event_type`.
    pub async fn write_typed(&self, event_type: &'static str, aggregate: &str) -> Event {
        let mut written = append(&self.db, event_type, &[aggregate])
            .await
            .expect("append an event");
        written.pop().expect("one event")
    }

    /// The outbox state of `event_id`'s row.
    pub async fn state(&self, event_id: &str) -> String {
        outbox_state(&self.db, event_id)
            .await
            .expect("read the outbox")
    }

    /// What the handler applied, in the order it applied it.
    pub async fn applied(&self) -> Vec<(String, String, i64)> {
        applied_rows(&self.db)
            .await
            .expect("read the applied table")
    }

    /// How many outbox rows wait for the relay.
    pub async fn pending(&self) -> i64 {
        outbox_count(&self.db, "pending")
            .await
            .expect("count the outbox")
    }

    /// Whether the relay has tried, and failed, to publish.
    pub async fn relay_failed(&self) -> bool {
        failed_attempts(&self.db).await.expect("read the outbox") > 0
    }

    /// Makes the row of `event_id` pending again, as if the relay died
    /// after the broker confirmed it and before it was marked published.
    pub async fn forget_published(&self, event_id: &str) {
        reset_to_pending(&self.db, event_id)
            .await
            .expect("reset the row");
    }

    /// Stops the background tasks and deletes this test's broker names.
    pub async fn finish(mut self) {
        self.finished = true;
        drop(std::mem::take(&mut self.background));
        for broker in &self.brokers {
            broker.disconnect().await;
        }
        // Straight to the broker: the test's proxy may be down.
        self.topology()
            .delete_topology()
            .await
            .expect("delete the test's topology");
    }

    fn topology(&self) -> Broker {
        Broker::with_subscriptions(self.amqp(&self.url), SUBSCRIPTIONS.to_vec())
    }
}

impl Drop for Rig {
    /// A test that failed before [`Rig::finish`] still deletes its names.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        drop(std::mem::take(&mut self.background));
        let broker = self.topology();
        // Drop runs outside async code: a short-lived runtime deletes them.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(broker.delete_topology()).ok()
        });
        let _ = cleanup.join();
    }
}

/// Deletes the queue `queue` behind the services' backs.
pub async fn delete_queue(url: &str, queue: String) {
    let deleted = tokio::time::timeout(BROKER_CALL, async {
        let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
            .await
            .expect("connect");
        let channel = connection.create_channel().await.expect("channel");
        channel
            .queue_delete(queue.into(), lapin::options::QueueDeleteOptions::default())
            .await
            .expect("delete the queue");
        close(connection).await;
    })
    .await;
    deleted.expect("the broker answers a queue deletion");
}

/// How long a test's own call to the broker may take: a test fails rather
/// than hangs on a broker that does not answer.
const BROKER_CALL: Duration = Duration::from_secs(10);

/// Closes a test's connection, without waiting on a broker that does not
/// answer (a connection whose channel the broker closed can leave the
/// close unanswered).
async fn close(connection: lapin::Connection) {
    let _ = tokio::time::timeout(BROKER_CALL, connection.close(200, "done".into())).await;
}

/// Whether the queue `queue` exists (a passive declaration).
pub async fn queue_exists(url: &str, queue: String) -> bool {
    // No answer in time counts as "not yet": the caller asks again.
    tokio::time::timeout(BROKER_CALL, async {
        let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
            .await
            .expect("connect");
        let channel = connection.create_channel().await.expect("channel");
        let passive = lapin::options::QueueDeclareOptions {
            passive: true,
            ..lapin::options::QueueDeclareOptions::default()
        };
        let exists = channel
            .queue_declare(queue.into(), passive, lapin::types::FieldTable::default())
            .await
            .is_ok();
        close(connection).await;
        exists
    })
    .await
    .unwrap_or(false)
}

/// The test handler: records each event in `applied`, and rejects the
/// events named poison for as long as they are.
#[derive(Clone, Default)]
pub struct Ledger {
    poison: Arc<Mutex<HashSet<String>>>,
    unavailable: Arc<AtomicBool>,
}

impl Ledger {
    /// Fails every event as a passing failure (a database outage) while
    /// `unavailable`.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    pub fn poison(&self, event_id: &str) {
        self.poisoned().insert(event_id.to_owned());
    }

    pub fn cure(&self, event_id: &str) {
        self.poisoned().remove(event_id);
    }

    fn poisoned(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.poison
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Handler for Ledger {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if AtomicBool::load(&self.unavailable, Ordering::SeqCst) {
                return Err(HandlerError::Transient(
                    "the ledger is unavailable".to_owned(),
                ));
            }
            if self.poisoned().contains(&event.event_id) {
                return Err(HandlerError::Rejected(format!(
                    "the ledger refuses {}",
                    event.event_id
                )));
            }
            on_conn!(conn, |c| {
                diesel::insert_into(applied::table)
                    .values((
                        applied::event_id.eq(&event.event_id),
                        applied::aggregate_id.eq(&event.aggregate_id),
                        applied::sequence.eq(event.aggregate_sequence),
                    ))
                    .execute(c)
                    .await?
            });
            Ok(())
        })
    }
}

async fn execute(db: &Db, sql: &'static str) -> Result<(), DbError> {
    on_db!(db, |conn| {
        diesel::sql_query(sql).execute(conn).await?;
    });
    Ok(())
}

async fn append(
    db: &Db,
    event_type: &'static str,
    aggregates: &[&str],
) -> Result<Vec<Event>, DbError> {
    let aggregates: Vec<String> = aggregates.iter().map(|a| (*a).to_owned()).collect();
    let now = time::OffsetDateTime::now_utc();
    Ok(on_db!(db, |conn| {
        conn.transaction::<_, DbError, _>(async |tx| {
            let mut written = Vec::new();
            for aggregate in &aggregates {
                let event = NewEvent {
                    event_type,
                    aggregate_id: aggregate.clone(),
                    payload: Payload::StockLow(StockLow::default()),
                };
                written.push(events::append(Conn::from(&mut *tx), event, now).await?);
            }
            Ok(written)
        })
        .await?
    }))
}

async fn applied_rows(db: &Db) -> Result<Vec<(String, String, i64)>, DbError> {
    Ok(on_db!(db, |conn| {
        applied::table
            .order(applied::position.asc())
            .select((applied::event_id, applied::aggregate_id, applied::sequence))
            .load(conn)
            .await?
    }))
}

async fn outbox_count(db: &Db, state: &'static str) -> Result<i64, DbError> {
    Ok(on_db!(db, |conn| {
        event_outbox::table
            .filter(event_outbox::state.eq(state))
            .count()
            .get_result(conn)
            .await?
    }))
}

async fn outbox_state(db: &Db, event_id: &str) -> Result<String, DbError> {
    let event_id = event_id.to_owned();
    Ok(on_db!(db, |conn| {
        event_outbox::table
            .filter(event_outbox::event_id.eq(&event_id))
            .select(event_outbox::state)
            .first(conn)
            .await?
    }))
}

async fn failed_attempts(db: &Db) -> Result<i64, DbError> {
    Ok(on_db!(db, |conn| {
        event_outbox::table
            .select(diesel::dsl::max(event_outbox::attempts))
            .first::<Option<i32>>(conn)
            .await?
            .map_or(0, i64::from)
    }))
}

async fn reset_to_pending(db: &Db, event_id: &str) -> Result<(), DbError> {
    let event_id = event_id.to_owned();
    on_db!(db, |conn| {
        diesel::update(event_outbox::table.filter(event_outbox::event_id.eq(&event_id)))
            .set(event_outbox::state.eq("pending"))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Polls `check` until it holds, failing after 30 seconds (reconnecting
/// after an outage takes a few backoff rounds).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy in front of the broker that the test takes down (refusing
/// new connections and cutting the open ones), makes silent (connections
/// stay open and nothing goes through: a broker that stops answering) and
/// brings back up.
pub struct Proxy {
    pub url: String,
    mode: watch::Sender<Mode>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Down,
    Up,
    Silent,
}

impl Proxy {
    /// A proxy to the broker of `url`, down until [`Proxy::up`].
    pub async fn start(url: &str) -> Self {
        let (head, rest) = url.split_once('@').expect("the broker URL has user@host");
        let (host, vhost) = rest.split_once('/').unwrap_or((rest, ""));
        let upstream: SocketAddr = tokio::net::lookup_host(host)
            .await
            .expect("resolve the broker")
            .next()
            .expect("the broker has an address");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (mode, watching) = watch::channel(Mode::Down);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let mut watching = watching.clone();
                if *watching.borrow() == Mode::Down {
                    continue;
                }
                tokio::spawn(async move {
                    if *watching.borrow() == Mode::Up {
                        let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => return,
                            _ = watching.wait_for(|mode| *mode != Mode::Up) => {}
                        }
                        // Silent: both ends stay open, nothing is forwarded,
                        // until the proxy leaves that mode (cut, either way).
                        let _ = watching.wait_for(|mode| *mode != Mode::Silent).await;
                        drop(outbound);
                    } else {
                        let _ = watching.wait_for(|mode| *mode != Mode::Silent).await;
                    }
                    drop(inbound);
                });
            }
        });
        Self {
            url: format!("{head}@{address}/{vhost}"),
            mode,
        }
    }

    pub fn up(&self) {
        self.mode.send_replace(Mode::Up);
    }

    pub fn down(&self) {
        self.mode.send_replace(Mode::Down);
    }

    /// Keeps every connection open and forwards nothing, either way.
    pub fn silent(&self) {
        self.mode.send_replace(Mode::Silent);
    }
}

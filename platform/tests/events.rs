//! Events through the local transport, end to end: a producer's outbox
//! rows, written in its transactions, reach a consumer in another database
//! once each and in order per aggregate, whatever is duplicated, crashed or
//! poisoned on the way. (The same suite through RabbitMQ lives beside it.)

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use contracts::events::{Event, StockLow, event::Payload};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::future::BoxFuture;
use platform::{
    clock::Clock,
    db::{Db, DbError, Migrations},
    events::{
        Conn, EventsConfig, Handler, HandlerError, LocalBus, NewEvent, Transport, queue,
        topology::Subscription,
    },
    on_conn, on_db,
    service::Background,
    testing::{TestDatabase, eventually},
};

diesel::table! {
    /// What the test consumer applied, in the order it applied it.
    applied (n) {
        n -> BigInt,
        event_id -> Text,
        aggregate_id -> Text,
        sequence -> BigInt,
    }
}

const CONSUMER: &str = "recorder";
const EVENT_TYPE: &str = "test.thing.happened";

/// A consumer that records each event it applies, and rejects the
/// aggregate "poison" while `reject_poison` is set.
#[derive(Default)]
struct Recorder {
    reject_poison: AtomicBool,
    applied: AtomicI64,
}

impl Handler for Recorder {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.aggregate_id == "poison"
                && AtomicBool::load(&self.reject_poison, Ordering::SeqCst)
            {
                return Err(HandlerError::Rejected("this event is poison".into()));
            }
            let n = self.applied.fetch_add(1, Ordering::SeqCst);
            let row = (
                applied::n.eq(n),
                applied::event_id.eq(event.event_id.clone()),
                applied::aggregate_id.eq(event.aggregate_id.clone()),
                applied::sequence.eq(event.aggregate_sequence),
            );
            on_conn!(conn, |c| {
                diesel::insert_into(applied::table)
                    .values(row)
                    .execute(c)
                    .await?;
            });
            Ok(())
        })
    }
}

/// A producer and a consumer, each with its own database, and the bus
/// between them.
struct Pipeline {
    producer: Db,
    consumer: Db,
    recorder: Arc<Recorder>,
    config: EventsConfig,
    background: Background,
    _databases: (TestDatabase, TestDatabase),
}

const NO_MIGRATIONS: Migrations = Migrations::NONE;

impl Pipeline {
    async fn new() -> Self {
        let databases = (TestDatabase::new().await, TestDatabase::new().await);
        let producer = Db::connect(databases.0.url(), 4, NO_MIGRATIONS)
            .await
            .expect("producer database");
        let consumer = Db::connect(databases.1.url(), 4, NO_MIGRATIONS)
            .await
            .expect("consumer database");
        let create: Result<(), DbError> = async {
            on_db!(&consumer, |conn| {
                conn.batch_execute(
                    "CREATE TABLE applied (n BIGINT PRIMARY KEY, event_id TEXT NOT NULL, \
                     aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL)",
                )
                .await?;
            });
            Ok(())
        }
        .await;
        create.expect("the consumer's table");
        let bus = LocalBus::with_subscriptions(vec![Subscription {
            consumer: CONSUMER,
            bindings: &["test.#"],
        }]);
        let mut config = EventsConfig {
            transport: Transport::Local(bus.clone()),
            ..EventsConfig::default()
        };
        config.relay.poll = Duration::from_millis(10);
        config.relay.batch = 7;
        config.consumer.poll = Duration::from_millis(20);
        config.consumer.batch = 5;
        config.consumer.delivery_limit = 3;
        Self {
            producer,
            consumer,
            recorder: Arc::new(Recorder::default()),
            config,
            background: Background::new(),
            _databases: databases,
        }
    }

    fn start_relay(&mut self) {
        platform::events::start_relay(
            &mut self.background,
            "producer",
            &self.producer,
            &self.config,
            &Clock::System,
        );
    }

    fn start_consumer(&mut self) {
        platform::events::start_consumer(
            &mut self.background,
            CONSUMER,
            &self.consumer,
            self.recorder.clone(),
            &self.config,
            &Clock::System,
        );
    }

    /// Writes one event about `aggregate` in its own transaction, as a
    /// producer does beside its change.
    async fn produce(&self, aggregate: &str) -> Event {
        produce(&self.producer, aggregate).await
    }

    /// (event_id, aggregate, sequence) of everything applied, in order.
    async fn applied(&self) -> Vec<(String, String, i64)> {
        let rows: Result<Vec<(String, String, i64)>, DbError> = async {
            Ok(on_db!(&self.consumer, |conn| {
                applied::table
                    .order(applied::n.asc())
                    .select((applied::event_id, applied::aggregate_id, applied::sequence))
                    .load(conn)
                    .await?
            }))
        }
        .await;
        rows.expect("read what was applied")
    }

    async fn wait_for_applied(&self, count: usize) {
        eventually(&format!("{count} events applied"), || async {
            self.applied().await.len() >= count
        })
        .await;
    }

    /// Makes every outbox row pending again: what the relay finds after it
    /// died between publishing and marking published.
    async fn forget_publishing(&self) {
        let reset: Result<(), DbError> = async {
            on_db!(&self.producer, |conn| {
                conn.batch_execute("UPDATE event_outbox SET state = 'pending'")
                    .await?;
            });
            Ok(())
        }
        .await;
        reset.expect("reset the outbox");
    }

    async fn pending(&self) -> i64 {
        let count: Result<i64, DbError> = async {
            Ok(on_db!(&self.producer, |conn| {
                diesel::sql_query(
                    "SELECT COUNT(*) AS count FROM event_outbox WHERE state = 'pending'",
                )
                .get_result::<Count>(conn)
                .await?
                .count
            }))
        }
        .await;
        count.expect("count pending rows")
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

async fn produce(db: &Db, aggregate: &str) -> Event {
    let event = NewEvent {
        event_type: EVENT_TYPE,
        aggregate_id: aggregate.to_owned(),
        payload: Payload::StockLow(StockLow {
            product_id: aggregate.to_owned(),
            available: 1,
            threshold: 5,
        }),
    };
    let now = Clock::System.now();
    let written: Result<Event, DbError> = async {
        Ok(on_db!(db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                Ok(platform::events::append(tx.into(), event.clone(), now).await?)
            })
            .await?
        }))
    }
    .await;
    written.expect("append an event")
}

/// Per aggregate, the sequences in the order they were applied.
fn sequences_of(applied: &[(String, String, i64)], aggregate: &str) -> Vec<i64> {
    applied
        .iter()
        .filter(|(_, a, _)| a == aggregate)
        .map(|(_, _, s)| *s)
        .collect()
}

#[tokio::test]
async fn events_reach_the_consumer_once_each_and_in_order_per_aggregate() {
    let mut pipeline = Pipeline::new().await;
    pipeline.start_consumer();
    pipeline.start_relay();
    for round in 0..6 {
        for aggregate in ["a", "b", "c"] {
            let event = pipeline.produce(aggregate).await;
            assert_eq!(
                event.aggregate_sequence,
                round + 1,
                "numbered per aggregate"
            );
        }
    }

    pipeline.wait_for_applied(18).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let applied = pipeline.applied().await;
    assert_eq!(applied.len(), 18, "each event once: {applied:?}");
    for aggregate in ["a", "b", "c"] {
        assert_eq!(sequences_of(&applied, aggregate), vec![1, 2, 3, 4, 5, 6]);
    }
    assert_eq!(pipeline.pending().await, 0, "all marked published");
}

#[tokio::test]
async fn events_wait_in_the_outbox_until_their_consumer_is_there() {
    let mut pipeline = Pipeline::new().await;
    pipeline.start_relay();
    pipeline.produce("a").await;
    pipeline.produce("a").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pipeline.pending().await, 2, "nobody to deliver to yet");

    pipeline.start_consumer();
    pipeline.wait_for_applied(2).await;
    assert_eq!(sequences_of(&pipeline.applied().await, "a"), vec![1, 2]);
}

#[tokio::test]
async fn an_event_published_again_after_a_relay_crash_is_applied_once() {
    let mut pipeline = Pipeline::new().await;
    pipeline.start_consumer();
    pipeline.start_relay();
    pipeline.produce("a").await;
    pipeline.produce("b").await;
    pipeline.wait_for_applied(2).await;

    // The relay died after the bus took the events, before it marked them.
    pipeline.forget_publishing().await;
    eventually("the rows published again", || async {
        pipeline.pending().await == 0
    })
    .await;
    pipeline.produce("a").await;
    pipeline.wait_for_applied(3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let applied = pipeline.applied().await;
    assert_eq!(
        applied.len(),
        3,
        "the redelivered two were skipped: {applied:?}"
    );
    assert_eq!(sequences_of(&applied, "a"), vec![1, 2]);
}

#[tokio::test]
async fn a_poison_event_is_dead_lettered_without_holding_up_the_others_and_can_be_redriven() {
    let mut pipeline = Pipeline::new().await;
    pipeline
        .recorder
        .reject_poison
        .store(true, Ordering::SeqCst);
    pipeline.start_consumer();
    pipeline.start_relay();
    pipeline.produce("good").await;
    let poison = pipeline.produce("poison").await;
    pipeline.produce("good").await;

    pipeline.wait_for_applied(2).await;
    let dead = async || {
        queue::dead_letters(&pipeline.consumer, Some(CONSUMER), None, 10)
            .await
            .expect("list dead letters")
    };
    eventually("the poison event dead-lettered", || async {
        !dead().await.is_empty()
    })
    .await;
    let letters = dead().await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].event_id, poison.event_id);
    assert_eq!(letters[0].deliveries, 3, "tried up to the delivery limit");
    assert_eq!(
        letters[0].last_error.as_deref(),
        Some("this event is poison")
    );
    assert_eq!(sequences_of(&pipeline.applied().await, "good"), vec![1, 2]);

    pipeline
        .recorder
        .reject_poison
        .store(false, Ordering::SeqCst);
    let redriven = queue::redrive(&pipeline.consumer, std::slice::from_ref(&poison.event_id))
        .await
        .expect("redrive");
    assert_eq!(redriven, 1);
    pipeline.wait_for_applied(3).await;
    assert!(dead().await.is_empty());
    assert_eq!(sequences_of(&pipeline.applied().await, "poison"), vec![1]);
}

#[tokio::test]
async fn sequences_stay_gap_free_and_ordered_under_concurrent_producers() {
    let mut pipeline = Pipeline::new().await;
    pipeline.start_consumer();
    pipeline.start_relay();
    let producers: Vec<_> = (0..8)
        .map(|_| {
            let db = pipeline.producer.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    produce(&db, "shared").await;
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await.expect("producer");
    }

    pipeline.wait_for_applied(80).await;
    let sequences = sequences_of(&pipeline.applied().await, "shared");
    assert_eq!(sequences, (1..=80).collect::<Vec<i64>>());
}

#[tokio::test]
async fn the_inbox_forgets_event_ids_only_after_its_retention() {
    let pipeline = Pipeline::new().await;
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let consumer = platform::events::Consumer {
        name: CONSUMER,
        db: pipeline.consumer.clone(),
        handler: pipeline.recorder.clone(),
        clock: clock.clone(),
        settings: pipeline.config.consumer.clone(),
    };
    let event = pipeline.produce("a").await;
    let first = consumer
        .apply_batch(std::slice::from_ref(&event))
        .await
        .expect("apply");
    assert_eq!(first.applied, 1);

    clock.advance(pipeline.config.consumer.inbox_retention / 2);
    assert_eq!(
        consumer.prune_inbox().await.expect("prune"),
        0,
        "still remembered"
    );
    let again = consumer
        .apply_batch(std::slice::from_ref(&event))
        .await
        .expect("apply");
    assert_eq!(
        again.duplicates, 1,
        "a redelivery within the retention is skipped"
    );

    clock.advance(pipeline.config.consumer.inbox_retention);
    assert_eq!(consumer.prune_inbox().await.expect("prune"), 1, "forgotten");
}

#[tokio::test]
async fn an_event_twice_in_one_batch_and_again_in_the_next_is_applied_once() {
    let pipeline = Pipeline::new().await;
    let consumer = platform::events::Consumer {
        name: CONSUMER,
        db: pipeline.consumer.clone(),
        handler: pipeline.recorder.clone(),
        clock: Clock::System,
        settings: pipeline.config.consumer.clone(),
    };
    let (a, b) = (pipeline.produce("a").await, pipeline.produce("b").await);

    let first = consumer
        .apply_batch(&[a.clone(), a.clone(), b.clone()])
        .await
        .expect("apply");
    assert_eq!((first.applied, first.duplicates), (2, 1));
    let again = consumer
        .apply_batch(&[b.clone(), a.clone()])
        .await
        .expect("apply");
    assert_eq!((again.applied, again.duplicates), (0, 2));

    let applied = pipeline.applied().await;
    let ids: Vec<&str> = applied.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [a.event_id.as_str(), b.event_id.as_str()],
        "in batch order"
    );
}

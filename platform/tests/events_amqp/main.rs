//! Events through a real RabbitMQ (`TEST_AMQP_URL`; skipped without it):
//! from the outbox of a producer's transactions, through the relay and the
//! broker, to a consumer that applies each event once, in order per
//! aggregate, whatever the broker or the handler does in between.

mod support;

use std::{collections::HashMap, time::Duration};

use platform::events::{ConsumerSettings, outbox, queue};
use support::{CONSUMER, GHOST, GHOST_SEEN, Ledger, Proxy, Rig, UNHEARD, broker_url, eventually};

fn settings(ordered: bool) -> ConsumerSettings {
    ConsumerSettings {
        batch: 10,
        batch_wait: Duration::from_millis(50),
        delivery_limit: 3,
        poll: Duration::from_millis(200),
        ordered,
        ..ConsumerSettings::default()
    }
}

/// Each aggregate's sequence numbers in the order they were applied.
fn by_aggregate(applied: &[(String, String, i64)]) -> HashMap<String, Vec<i64>> {
    let mut sequences: HashMap<String, Vec<i64>> = HashMap::new();
    for (_, aggregate, sequence) in applied {
        sequences
            .entry(aggregate.clone())
            .or_default()
            .push(*sequence);
    }
    sequences
}

fn assert_each_once_in_order(applied: &[(String, String, i64)], expected: &[(&str, i64)]) {
    let mut ids: Vec<&String> = applied.iter().map(|(id, _, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        applied.len(),
        "an event was applied twice: {applied:?}"
    );
    let sequences = by_aggregate(applied);
    for (aggregate, count) in expected {
        assert_eq!(
            sequences.get(*aggregate).cloned().unwrap_or_default(),
            (1..=*count).collect::<Vec<_>>(),
            "events of {aggregate} out of order or missing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_written_in_outbox_transactions_reach_the_consumer_once_in_order() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let consumer = rig.broker(&url);
    rig.start_consumer(&consumer, Ledger::default(), settings(true));
    let producer = rig.broker(&url);
    rig.start_relay(&producer);

    rig.write("order-a", 5).await;
    rig.write_together(&["order-b", "order-a", "order-b"]).await;
    rig.write("order-c", 3).await;
    rig.write_together(&["order-c", "order-b"]).await;

    eventually("all 13 events applied", || async {
        rig.applied().await.len() >= 13
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let applied = rig.applied().await;
    assert_eq!(applied.len(), 13, "{applied:?}");
    assert_each_once_in_order(&applied, &[("order-a", 6), ("order-b", 3), ("order-c", 4)]);
    assert_eq!(rig.pending().await, 0);
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_broker_is_unreachable_events_wait_in_the_outbox_then_all_arrive_in_order() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let proxy = Proxy::start(&url).await;
    let consumer = rig.broker(&proxy.url);
    rig.start_consumer(&consumer, Ledger::default(), settings(true));
    let producer = rig.broker(&proxy.url);
    rig.start_relay(&producer);

    rig.write("order-a", 4).await;
    rig.write("order-b", 4).await;
    eventually("the relay tried and failed", || rig.relay_failed()).await;
    assert_eq!(
        rig.pending().await,
        8,
        "nothing leaves the outbox without a broker"
    );
    assert!(rig.applied().await.is_empty());

    proxy.up();
    eventually("all 8 events applied", || async {
        rig.applied().await.len() >= 8
    })
    .await;
    assert_eq!(rig.pending().await, 0);

    // The broker goes away under open connections, and comes back.
    proxy.down();
    rig.write("order-a", 3).await;
    rig.write("order-c", 2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rig.pending().await, 5, "the new events wait for the broker");
    proxy.up();
    eventually("all 13 events applied", || async {
        rig.applied().await.len() >= 13
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let applied = rig.applied().await;
    assert_eq!(applied.len(), 13, "{applied:?}");
    assert_each_once_in_order(&applied, &[("order-a", 7), ("order-b", 4), ("order-c", 2)]);
    assert_eq!(rig.pending().await, 0);
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_that_stops_answering_holds_nothing_up_and_loses_nothing() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let proxy = Proxy::start(&url).await;
    proxy.up();
    let consumer = rig.broker(&proxy.url);
    rig.start_consumer(&consumer, Ledger::default(), settings(true));
    let producer = rig.broker(&proxy.url);
    rig.start_relay(&producer);
    rig.write("order-a", 3).await;
    eventually("3 events applied", || async {
        rig.applied().await.len() >= 3
    })
    .await;

    // The broker goes quiet without closing anything.
    proxy.silent();
    rig.write("order-a", 2).await;
    rig.write("order-b", 2).await;
    let stopping = tokio::time::timeout(Duration::from_secs(30), producer.disconnect()).await;
    assert!(
        stopping.is_ok(),
        "closing a connection to a silent broker gives up instead of waiting for ever"
    );
    let stopping = tokio::time::timeout(Duration::from_secs(30), producer.connect()).await;
    assert!(
        matches!(stopping, Ok(Err(_))),
        "connecting to a silent broker fails in bounded time"
    );
    assert!(
        rig.pending().await > 0,
        "nothing counts as published unconfirmed"
    );

    // Back: the silent connections are cut, and everything arrives, once
    // each, in order.
    proxy.up();
    eventually("all 7 events applied", || async {
        rig.applied().await.len() >= 7
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let applied = rig.applied().await;
    assert_eq!(applied.len(), 7, "{applied:?}");
    assert_each_once_in_order(&applied, &[("order-a", 5), ("order-b", 2)]);
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_published_twice_is_applied_once() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let consumer = rig.broker(&url);
    rig.start_consumer(&consumer, Ledger::default(), settings(false));
    let producer = rig.broker(&url);
    rig.start_relay(&producer);

    let written = rig.write("order-a", 3).await;
    eventually("3 events applied", || async {
        rig.applied().await.len() >= 3
    })
    .await;

    // The relay died after the broker confirmed the event and before the
    // row was marked published: it publishes it again.
    rig.forget_published(&written[1].event_id).await;
    eventually("the event published again", || async {
        rig.pending().await == 0
    })
    .await;
    // The queue is first in, first out: once a later event is applied,
    // the second copy has been through the consumer.
    rig.write("order-b", 1).await;
    eventually("the later event applied", || async {
        rig.applied()
            .await
            .iter()
            .any(|(_, aggregate, _)| aggregate == "order-b")
    })
    .await;

    let applied = rig.applied().await;
    let copies = applied
        .iter()
        .filter(|(id, _, _)| *id == written[1].event_id)
        .count();
    assert_eq!(copies, 1, "{applied:?}");
    assert_eq!(applied.len(), 4, "{applied:?}");
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_dead_lettered_with_its_reason_without_blocking_the_others_and_redrive_applies_it()
 {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let ledger = Ledger::default();
    let consumer = rig.broker(&url);

    let mut written = rig.write("order-a", 2).await;
    written.extend(rig.write("order-poison", 1).await);
    written.extend(rig.write("order-b", 2).await);
    let poison = written[2].event_id.clone();
    ledger.poison(&poison);

    rig.start_consumer(&consumer, ledger.clone(), settings(false));
    let producer = rig.broker(&url);
    rig.start_relay(&producer);

    eventually("the poison event dead-lettered", || async {
        !queue::dead_letters(&rig.db, Some(CONSUMER), None, 10)
            .await
            .expect("read dead letters")
            .is_empty()
    })
    .await;
    let dead = queue::dead_letters(&rig.db, Some(CONSUMER), None, 10)
        .await
        .expect("read dead letters");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].event_id, poison);
    assert_eq!(dead[0].deliveries, 3, "dead at the delivery limit");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("the ledger refuses")),
        "{dead:?}"
    );
    eventually("the other 4 events applied", || async {
        rig.applied().await.len() >= 4
    })
    .await;
    assert!(rig.applied().await.iter().all(|(id, _, _)| *id != poison));

    // Fixed: an admin redrives it, and it is applied once.
    ledger.cure(&poison);
    assert_eq!(
        queue::redrive(&rig.db, std::slice::from_ref(&poison))
            .await
            .expect("redrive"),
        1
    );
    eventually("the redriven event applied", || async {
        rig.applied().await.iter().any(|(id, _, _)| *id == poison)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let applied = rig.applied().await;
    assert_eq!(applied.len(), 5, "{applied:?}");
    assert!(
        queue::dead_letters(&rig.db, Some(CONSUMER), None, 10)
            .await
            .expect("read dead letters")
            .is_empty()
    );
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_broker_dead_letters_itself_becomes_a_dead_letter_an_admin_sees() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let ledger = Ledger::default();
    let written = rig.write("order-a", 1).await;
    ledger.poison(&written[0].event_id);

    // The broker gives up before the consumer would (as it does for a
    // consumer that crashes on the message each time).
    let mut config = rig.amqp(&url);
    config.delivery_limit = 1;
    let broker =
        platform::events::Broker::with_subscriptions(config, support::SUBSCRIPTIONS.to_vec());
    let mut lenient = settings(false);
    lenient.delivery_limit = 100;
    rig.start_consumer(&broker, ledger, lenient);
    rig.start_relay(&broker);

    eventually("the broker's dead letter in the queue table", || async {
        !queue::dead_letters(&rig.db, Some(CONSUMER), None, 10)
            .await
            .expect("read dead letters")
            .is_empty()
    })
    .await;
    let dead = queue::dead_letters(&rig.db, Some(CONSUMER), None, 10)
        .await
        .expect("read dead letters");
    assert_eq!(dead[0].event_id, written[0].event_id);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("delivery limit")),
        "{dead:?}"
    );
    broker.disconnect().await;
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_aggregate_order_holds_under_concurrent_producers() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let consumer = rig.broker(&url);
    rig.start_consumer(&consumer, Ledger::default(), settings(true));
    let producer = rig.broker(&url);
    rig.start_relay(&producer);

    let rig = std::sync::Arc::new(rig);
    let mut writers = Vec::new();
    for writer in 0..4 {
        let rig = rig.clone();
        writers.push(tokio::spawn(async move {
            for round in 0..10 {
                let aggregates = ["order-a", "order-b", "order-c"];
                let mut pair = [
                    aggregates[(writer + round) % 3],
                    aggregates[(writer + round + 1) % 3],
                ];
                // Aggregates in one order in every transaction, as any
                // writer of several must do: the sequence upserts lock
                // them, and opposite orders would deadlock.
                pair.sort_unstable();
                rig.write_together(&pair).await;
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }

    eventually("all 80 events applied", || async {
        rig.applied().await.len() >= 80
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let applied = rig.applied().await;
    assert_eq!(applied.len(), 80);
    let sequences = by_aggregate(&applied);
    let total: usize = sequences.values().map(Vec::len).sum();
    assert_eq!(total, 80);
    for (aggregate, applied) in &sequences {
        let expected: Vec<i64> = (1..=i64::try_from(applied.len()).expect("small")).collect();
        assert_eq!(applied, &expected, "{aggregate} out of order");
    }
    let Ok(rig) = std::sync::Arc::try_unwrap(rig) else {
        panic!("the writers are done with the rig");
    };
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_failure_requeues_the_batch_and_nothing_is_lost_or_reordered() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let ledger = Ledger::default();
    ledger.set_unavailable(true);
    let consumer = rig.broker(&url);
    rig.start_consumer(&consumer, ledger.clone(), settings(true));
    let producer = rig.broker(&url);
    rig.start_relay(&producer);

    rig.write("order-a", 4).await;
    rig.write("order-b", 4).await;
    eventually("everything published", || async {
        rig.pending().await == 0
    })
    .await;
    // Batches fail and go back to the queue for a while.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(rig.applied().await.is_empty());
    assert!(
        queue::dead_letters(&rig.db, Some(CONSUMER), None, 10)
            .await
            .expect("read dead letters")
            .is_empty(),
        "a passing failure is no reason to give up on an event"
    );

    ledger.set_unavailable(false);
    eventually("all 8 events applied", || async {
        rig.applied().await.len() >= 8
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let applied = rig.applied().await;
    assert_eq!(applied.len(), 8, "{applied:?}");
    assert_each_once_in_order(&applied, &[("order-a", 4), ("order-b", 4)]);
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_nobody_subscribes_to_counts_as_published_and_one_whose_queue_is_gone_is_dead_until_redriven()
 {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let producer = rig.broker(&url);
    rig.start_relay(&producer);
    producer.connect().await.expect("the topology declared");

    let unheard = rig.write_typed(UNHEARD, "thing-1").await;
    eventually("the unheard event published", || async {
        rig.state(&unheard.event_id).await == "published"
    })
    .await;

    // The ghost's queue disappears behind the producer's back.
    support::delete_queue(&url, rig.amqp(&url).queue(GHOST)).await;

    let seen = rig.write_typed(GHOST_SEEN, "thing-2").await;
    eventually("the ghost's event dead in the outbox", || async {
        rig.state(&seen.event_id).await == "dead"
    })
    .await;
    let dead = outbox::dead(&rig.db, None, 10).await.expect("dead rows");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].event_id, seen.event_id);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("unroutable")),
        "{dead:?}"
    );

    // Its queue is back (declared again when the producer reconnects):
    // redriven, it is published.
    producer.disconnect().await;
    producer
        .connect()
        .await
        .expect("the topology declared again");
    assert_eq!(outbox::redrive(&rig.db, &[]).await.expect("redrive"), 1);
    eventually("the redriven event published", || async {
        rig.state(&seen.event_id).await == "published"
    })
    .await;
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_whose_queue_is_deleted_under_it_declares_it_again_and_goes_on() {
    let Some(url) = broker_url() else { return };
    let mut rig = Rig::new(url.clone()).await;
    let consumer = rig.broker(&url);
    rig.start_consumer(&consumer, Ledger::default(), settings(true));
    let producer = rig.broker(&url);
    rig.start_relay(&producer);
    rig.write("order-a", 2).await;
    eventually("2 events applied", || async {
        rig.applied().await.len() >= 2
    })
    .await;

    let queue = rig.amqp(&url).queue(CONSUMER);
    support::delete_queue(&url, queue.clone()).await;
    eventually("the queue declared again", || {
        support::queue_exists(&url, queue.clone())
    })
    .await;

    rig.write("order-a", 2).await;
    eventually("4 events applied", || async {
        rig.applied().await.len() >= 4
    })
    .await;
    assert_each_once_in_order(&rig.applied().await, &[("order-a", 4)]);
    rig.finish().await;
}

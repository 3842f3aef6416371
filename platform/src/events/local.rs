//! The local transport, for a shop with no broker (`cargo run`, tests):
//! every service of the process attaches its consumers to one [`LocalBus`];
//! a relay hands it a batch and the bus writes each event into the queue
//! table of every consumer bound to it, in that consumer's own database.
//! The relay marks the batch published only after every copy committed, so
//! the guarantees are the broker's: nothing lost, duplicates possible.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::Notify;

use super::{
    outbox::Outgoing,
    queue,
    topology::{SUBSCRIPTIONS, Subscription, matches},
};
use crate::db::Db;

/// The in-process event bus. Cheap to clone; clones share the consumers.
#[derive(Clone)]
pub struct LocalBus {
    inner: Arc<Inner>,
}

struct Inner {
    subscriptions: Vec<Subscription>,
    consumers: Mutex<HashMap<&'static str, Sink>>,
}

/// Where a consumer's deliveries go: its database, and how to wake it.
#[derive(Clone)]
struct Sink {
    db: Db,
    wake: Arc<Notify>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::with_subscriptions(SUBSCRIPTIONS.to_vec())
    }
}

impl std::fmt::Debug for LocalBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalBus")
    }
}

/// Why the bus could not take a batch.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A consumer the topology names has not attached yet: its events wait
    /// in the outbox until it does, as they would wait for a queue.
    #[error("consumer {0} is not attached to the local bus")]
    NotAttached(&'static str),
    #[error("cannot deliver to {consumer}: {source}")]
    Deliver {
        consumer: &'static str,
        #[source]
        source: crate::db::DbError,
    },
}

impl LocalBus {
    /// A bus routing by the shop's [`SUBSCRIPTIONS`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A bus routing by `subscriptions` instead (tests).
    pub fn with_subscriptions(subscriptions: Vec<Subscription>) -> Self {
        Self {
            inner: Arc::new(Inner {
                subscriptions,
                consumers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Delivers `consumer`'s events into `db` from now on, waking `wake`.
    pub(crate) fn attach(&self, consumer: &'static str, db: Db, wake: Arc<Notify>) {
        self.consumers().insert(consumer, Sink { db, wake });
    }

    fn consumers(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Sink>> {
        self.inner
            .consumers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes each event of `batch` into the queue of every consumer bound
    /// to its type. Succeeds only when every copy is committed.
    pub(crate) async fn deliver(
        &self,
        batch: &[Outgoing],
        now: time::OffsetDateTime,
    ) -> Result<(), LocalError> {
        for subscription in &self.inner.subscriptions {
            let events: Vec<&Outgoing> = batch
                .iter()
                .filter(|e| {
                    subscription
                        .bindings
                        .iter()
                        .any(|b| matches(b, &e.event_type))
                })
                .collect();
            if events.is_empty() {
                continue;
            }
            let consumer = subscription.consumer;
            let sink = self
                .consumers()
                .get(consumer)
                .cloned()
                .ok_or(LocalError::NotAttached(consumer))?;
            queue::enqueue(&sink.db, consumer, &events, now)
                .await
                .map_err(|source| LocalError::Deliver { consumer, source })?;
            sink.wake.notify_one();
        }
        Ok(())
    }
}

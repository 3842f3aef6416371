//! The relay: one per service (a lease picks the replica), it publishes
//! the outbox's pending rows in order through the configured transport and
//! marks them published only once the transport confirmed them. A failed
//! publish backs off (capped, jittered) and retries the same rows, so a
//! broker outage delays events but never loses, skips or reorders them.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{
    Transport,
    outbox::{self, Outgoing},
    store::event_leases,
};
use crate::{
    clock::{Clock, to_micros},
    db::{Db, DbError},
    on_db,
    statements::CacheStatement,
};

/// How the relay paces itself.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Most rows published at once.
    pub batch: i64,
    /// How often an idle relay looks for new rows.
    pub poll: Duration,
    /// How long a replica's claim on the relay lasts without renewal.
    pub lease: Duration,
    /// The longest wait between attempts while publishing fails.
    pub max_backoff: Duration,
    /// How long published rows are kept before they are deleted.
    pub retention: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch: 100,
            poll: Duration::from_millis(200),
            lease: Duration::from_secs(15),
            max_backoff: Duration::from_secs(30),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Why a publish failed; the rows stay pending and are tried again.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Local(#[from] super::local::LocalError),
    #[error(transparent)]
    Amqp(#[from] super::amqp::AmqpError),
}

/// What the transport did with a batch.
struct Outcome {
    /// How many rows, from the first, it confirmed.
    confirmed: usize,
    /// Positions in that prefix that cannot be delivered (a consumer
    /// subscribes, yet no queue took them), with why: they become dead.
    dead: Vec<(usize, String)>,
    /// Why it stopped short, if it did.
    failure: Option<PublishError>,
}

/// Publishes `service`'s outbox for as long as it runs (a background task).
pub async fn run(
    service: &'static str,
    db: Db,
    transport: Transport,
    clock: Clock,
    settings: RelaySettings,
) {
    let relay = Relay {
        service,
        owner: format!("{service}-{}", uuid::Uuid::new_v4()),
        db,
        transport,
        clock,
        settings,
        last_prune: std::sync::Mutex::new(None),
    };
    relay.run().await;
}

struct Relay {
    service: &'static str,
    owner: String,
    db: Db,
    transport: Transport,
    clock: Clock,
    settings: RelaySettings,
    /// When the outbox was last pruned.
    last_prune: std::sync::Mutex<Option<tokio::time::Instant>>,
}

/// How often an idle relay prunes published rows.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// What one round of the relay found.
enum Round {
    /// Published a full batch: go on at once.
    Busy,
    /// Nothing (more) to publish.
    Idle,
    /// Another replica holds the lease.
    Follower,
}

impl Relay {
    async fn run(self) {
        if let Transport::Amqp(broker) = &self.transport {
            // The topology is declared at every start, by producers too,
            // even before they have anything to publish; failing here only
            // delays it to the first publish, which connects first.
            if let Err(error) = broker.connect().await {
                tracing::warn!(service = self.service, %error, "the broker is not reachable yet");
            }
        }
        let mut backoff = Backoff::new(self.settings.poll, self.settings.max_backoff);
        let mut last_report = tokio::time::Instant::now() - Duration::from_secs(60);
        loop {
            if last_report.elapsed() >= Duration::from_secs(1) {
                last_report = tokio::time::Instant::now();
                self.report_backlog().await;
            }
            match self.round().await {
                Ok(Round::Busy) => backoff.reset(),
                Ok(Round::Idle) => {
                    backoff.reset();
                    tokio::time::sleep(self.settings.poll).await;
                }
                Ok(Round::Follower) => tokio::time::sleep(self.settings.lease / 3).await,
                Err(error) => {
                    metrics::counter!("events_publish_errors_total", "service" => self.service)
                        .increment(1);
                    let wait = backoff.next();
                    tracing::warn!(
                        service = self.service,
                        %error,
                        retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "cannot publish events; they wait in the outbox"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn round(&self) -> Result<Round, RelayError> {
        if !self.claim().await? {
            return Ok(Round::Follower);
        }
        let batch = outbox::pending(&self.db, self.settings.batch).await?;
        if batch.is_empty() {
            self.prune_now_and_then().await;
            return Ok(Round::Idle);
        }
        let Outcome {
            confirmed,
            dead,
            failure,
        } = self.publish(&batch).await;
        let published: Vec<i64> = batch
            .iter()
            .enumerate()
            .take(confirmed)
            .filter(|(i, _)| !dead.iter().any(|(d, _)| d == i))
            .map(|(_, row)| row.id)
            .collect();
        outbox::mark_published(&self.db, &published, self.clock.now()).await?;
        metrics::counter!("events_published_total", "service" => self.service)
            .increment(u64::try_from(published.len()).unwrap_or(u64::MAX));
        for (i, reason) in &dead {
            if let Some(row) = batch.get(*i) {
                tracing::error!(service = self.service, event_id = %row.event_id, %reason, "event dead in the outbox");
                outbox::mark_dead(&self.db, &[row.id], reason, self.clock.now()).await?;
                metrics::counter!("events_dead_total", "service" => self.service).increment(1);
            }
        }
        if let Some(error) = failure {
            if let Some(row) = batch.get(confirmed) {
                outbox::failed_attempt(&self.db, row.id, &error.to_string()).await?;
            }
            return Err(error.into());
        }
        Ok(
            if batch.len() == usize::try_from(self.settings.batch).unwrap_or(usize::MAX) {
                Round::Busy
            } else {
                Round::Idle
            },
        )
    }

    /// Hands `batch` to the transport: how many rows (a prefix, in order)
    /// it confirmed, which of those are dead, and why it stopped short if
    /// it did.
    async fn publish(&self, batch: &[Outgoing]) -> Outcome {
        let outcome = |confirmed, failure: Option<PublishError>| Outcome {
            confirmed,
            dead: Vec::new(),
            failure,
        };
        match &self.transport {
            Transport::Off => outcome(0, None),
            Transport::Local(bus) => match bus.deliver(batch, self.clock.now()).await {
                Ok(()) => outcome(batch.len(), None),
                Err(error) => outcome(0, Some(error.into())),
            },
            Transport::Amqp(broker) => {
                let published = broker.publish(batch).await;
                Outcome {
                    confirmed: published.confirmed,
                    dead: published.dead,
                    failure: published.failure.map(PublishError::from),
                }
            }
        }
    }

    /// Takes or renews the relay lease; whether this replica holds it.
    async fn claim(&self) -> Result<bool, DbError> {
        let now = to_micros(self.clock.now());
        let until = now + i64::try_from(self.settings.lease.as_micros()).unwrap_or(i64::MAX);
        let owner = self.owner.clone();
        // One statement, run every round: it takes a free or expired lease
        // or renews this replica's own; a lease another replica holds is
        // left alone (the WHERE of DO UPDATE), and then no row is counted.
        // The row is locked while the statement runs, so of two replicas
        // only one can see the old lease expired and take it.
        Ok(on_db!(&self.db, |conn| {
            let upsert = diesel::insert_into(event_leases::table)
                .values((
                    event_leases::name.eq("relay"),
                    event_leases::owner.eq(&owner),
                    event_leases::until.eq(until),
                ))
                .on_conflict(event_leases::name)
                .do_update()
                .set((
                    event_leases::owner.eq(&owner),
                    event_leases::until.eq(until),
                ));
            diesel::query_dsl::methods::FilterDsl::filter(
                upsert,
                event_leases::until
                    .le(now)
                    .or(event_leases::owner.eq(&owner)),
            )
            .cached()
            .execute(conn)
            .await?
                == 1
        }))
    }

    /// Prunes at most once per [`PRUNE_EVERY`]: rows are kept for days,
    /// so pruning at every idle round (several times a second) only costs
    /// two statements each time.
    async fn prune_now_and_then(&self) {
        let due = {
            let mut last = self
                .last_prune
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = last.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
            if due {
                *last = Some(tokio::time::Instant::now());
            }
            due
        };
        if due {
            self.prune().await;
        }
    }

    async fn prune(&self) {
        let keep = i64::try_from(self.settings.retention.as_micros()).unwrap_or(i64::MAX);
        let before = to_micros(self.clock.now()).saturating_sub(keep);
        if let Err(error) = outbox::prune(&self.db, before).await {
            tracing::warn!(service = self.service, %error, "cannot prune the outbox");
        }
    }

    async fn report_backlog(&self) {
        if let Ok((pending, oldest)) = outbox::backlog(&self.db).await {
            #[allow(clippy::cast_precision_loss)] // a gauge
            metrics::gauge!("outbox_pending", "service" => self.service).set(pending as f64);
            let age = oldest.map_or(0.0, |at| {
                #[allow(clippy::cast_precision_loss)]
                let micros = (to_micros(self.clock.now()) - at).max(0) as f64;
                micros / 1e6
            });
            metrics::gauge!("outbox_oldest_pending_seconds", "service" => self.service).set(age);
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Capped exponential backoff with full jitter.
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            attempt: 0,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next wait: a random time up to base * 2^attempt, at most max.
    pub(crate) fn next(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1 << self.attempt.min(16))
            .min(self.max)
            .max(Duration::from_millis(1));
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::Rng::gen_range(
            &mut rand::thread_rng(),
            millis / 2..=millis,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{Relay, RelaySettings, Transport};
    use crate::{
        clock::Clock,
        db::{Db, Migrations},
        testing::TestDatabase,
    };

    fn replica(db: &Db, clock: &Clock, owner: &str) -> Relay {
        Relay {
            service: "test",
            owner: owner.to_owned(),
            db: db.clone(),
            transport: Transport::Off,
            clock: clock.clone(),
            settings: RelaySettings::default(),
            last_prune: std::sync::Mutex::new(None),
        }
    }

    /// One replica holds the relay's lease at a time: it renews it, and
    /// another takes it only once it has run out (on SQLite, or on
    /// PostgreSQL with TEST_DATABASE_URL).
    #[tokio::test]
    async fn one_replica_holds_the_relay_lease_until_it_runs_out() {
        let database = TestDatabase::new().await;
        let db = Db::connect(database.url(), 2, Migrations::NONE)
            .await
            .expect("open the database");
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let lease = RelaySettings::default().lease;
        let (a, b) = (replica(&db, &clock, "a"), replica(&db, &clock, "b"));

        assert!(a.claim().await.expect("claim"), "a free lease is taken");
        assert!(!b.claim().await.expect("claim"), "a held lease is not");
        clock.advance(lease * 2 / 3);
        assert!(a.claim().await.expect("claim"), "its holder renews it");
        clock.advance(lease * 2 / 3);
        assert!(
            !b.claim().await.expect("claim"),
            "renewed, it is still held"
        );
        clock.advance(lease);
        assert!(b.claim().await.expect("claim"), "run out, it is taken over");
        assert!(
            !a.claim().await.expect("claim"),
            "and the old holder lost it"
        );
        assert!(b.claim().await.expect("claim"), "the new holder renews it");
    }
}

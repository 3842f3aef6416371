//! The consuming side: a [`Handler`] applies events to the service's own
//! tables, and [`apply_batch`] runs a whole batch in one transaction that
//! also records each event in the inbox (a redelivered event is skipped,
//! not applied twice) and, for ordered consumers, the last sequence applied
//! per aggregate (an older event is skipped). [`run_local`] drains the
//! consumer's queue table (the local transport, and redriven dead letters)
//! in batches: a failed batch is retried one event at a time, so one
//! poison event fails alone and becomes a dead letter after the delivery
//! limit while the others go through.

use std::{sync::Arc, time::Duration};

use contracts::events::Event;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use prost::Message;
use tokio::sync::Notify;
use tracing::Instrument;

use super::{
    queue::{self, Queued},
    relay::Backoff,
    store::{Conn, event_inbox, event_positions},
};
use crate::{
    clock::{Clock, to_micros},
    db::{Db, DbError},
    on_db,
    statements::CacheStatement,
};

/// Applies events to a service's own tables, inside the transaction the
/// consumer opened (`conn`); whatever it writes commits with the inbox
/// record of the event, or not at all.
pub trait Handler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;

    /// Called once the transaction that applied a batch has committed,
    /// with the events `handle` applied in it (not those skipped as
    /// duplicates or stale): the place for what must not run before the
    /// change is visible, such as waking this process's readers. Never
    /// called for a batch that rolled back; must not block.
    fn committed(&self, applied: &[&Event]) {
        let _ = applied;
    }
}

/// Why an event could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying as it is (the database was busy or unreachable).
    #[error("{0}")]
    Transient(String),
    /// This event cannot be applied; retrying will not help.
    #[error("{0}")]
    Rejected(String),
}

impl From<DbError> for HandlerError {
    fn from(error: DbError) -> Self {
        if error.is_transient() {
            HandlerError::Transient(error.to_string())
        } else {
            HandlerError::Rejected(error.to_string())
        }
    }
}

impl From<diesel::result::Error> for HandlerError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

impl HandlerError {
    fn is_transient(&self) -> bool {
        matches!(self, HandlerError::Transient(_))
    }
}

/// How a consumer batches and gives up.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Most events applied in one transaction (the broker's prefetch).
    pub batch: u16,
    /// How long a partial batch waits for more before it is applied.
    pub batch_wait: Duration,
    /// Deliveries after which an event that keeps failing is dead-lettered.
    pub delivery_limit: i32,
    /// How often an idle local queue is looked at without being woken.
    pub poll: Duration,
    /// Whether events of an aggregate older than the last one applied are
    /// skipped (for consumers whose effect depends on order). A dead letter
    /// redriven after later events of its aggregate were applied is then
    /// skipped too: for such a consumer it is stale.
    pub ordered: bool,
    /// How long applied event ids are remembered: a redelivery later than
    /// this would be applied again. Far longer than any broker keeps a
    /// message unacknowledged.
    pub inbox_retention: Duration,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            batch: 50,
            batch_wait: Duration::from_millis(50),
            delivery_limit: 5,
            poll: Duration::from_secs(1),
            ordered: false,
            inbox_retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// A consumer: its name (its queue's), database, handler and settings.
#[derive(Clone)]
pub struct Consumer {
    pub name: &'static str,
    pub db: Db,
    pub handler: Arc<dyn Handler>,
    pub clock: Clock,
    pub settings: ConsumerSettings,
}

/// What a batch came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub applied: usize,
    pub duplicates: usize,
    pub stale: usize,
}

impl Consumer {
    /// Applies `events` in one transaction, recording each in the inbox;
    /// all or nothing.
    pub async fn apply_batch(&self, events: &[Event]) -> Result<Applied, HandlerError> {
        self.apply_and_ack(events, &[]).await
    }

    /// [`Self::apply_batch`], also removing the queue rows `acked` (the
    /// local transport's deliveries of `events`) in the same transaction:
    /// the events are applied and their deliveries gone, or neither, with
    /// no second transaction to acknowledge them.
    async fn apply_and_ack(
        &self,
        events: &[Event],
        acked: &[i64],
    ) -> Result<Applied, HandlerError> {
        let consumer = self.name;
        let ordered = self.settings.ordered;
        let now = to_micros(self.clock.now());
        let handler = &*self.handler;
        let (applied, handled) = on_db!(&self.db, |conn| {
            conn.transaction::<_, HandlerError, _>(async |tx| {
                let mut applied = Applied::default();
                let mut handled = Vec::with_capacity(events.len());
                for event in events {
                    let fresh = diesel::insert_into(event_inbox::table)
                        .values((
                            event_inbox::consumer.eq(consumer),
                            event_inbox::event_id.eq(&event.event_id),
                            event_inbox::processed_at.eq(now),
                        ))
                        .on_conflict_do_nothing()
                        .cached()
                        .execute(tx)
                        .await?;
                    if fresh == 0 {
                        applied.duplicates += 1;
                        continue;
                    }
                    if ordered {
                        let last: Option<i64> = event_positions::table
                            .find((consumer, &event.aggregate_id))
                            .select(event_positions::last_sequence)
                            .first(tx)
                            .await
                            .optional()?;
                        if last.is_some_and(|last| event.aggregate_sequence <= last) {
                            applied.stale += 1;
                            continue;
                        }
                        diesel::insert_into(event_positions::table)
                            .values((
                                event_positions::consumer.eq(consumer),
                                event_positions::aggregate_id.eq(&event.aggregate_id),
                                event_positions::last_sequence.eq(event.aggregate_sequence),
                            ))
                            .on_conflict((event_positions::consumer, event_positions::aggregate_id))
                            .do_update()
                            .set(event_positions::last_sequence.eq(event.aggregate_sequence))
                            .cached()
                            .execute(tx)
                            .await?;
                    }
                    let span = crate::telemetry::event_span(
                        consumer,
                        &event.r#type,
                        &event.event_id,
                        &event.traceparent,
                    );
                    handler
                        .handle(Conn::from(&mut *tx), event)
                        .instrument(span)
                        .await?;
                    applied.applied += 1;
                    handled.push(event);
                }
                if !acked.is_empty() {
                    queue::remove_in(Conn::from(&mut *tx), acked).await?;
                }
                Ok((applied, handled))
            })
            .await?
        });
        handler.committed(&handled);
        self.count(&applied, events);
        Ok(applied)
    }

    fn count(&self, applied: &Applied, events: &[Event]) {
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        metrics::counter!("events_processed_total", "consumer" => self.name)
            .increment(n(applied.applied));
        metrics::counter!("events_duplicates_skipped_total", "consumer" => self.name)
            .increment(n(applied.duplicates + applied.stale));
        #[allow(clippy::cast_precision_loss)] // a histogram
        metrics::histogram!("events_batch_size", "consumer" => self.name)
            .record(events.len() as f64);
        if let Some(at) = events
            .iter()
            .filter_map(|e| e.occur_time.as_ref())
            .filter_map(contracts::timestamp::to_datetime)
            .max()
        {
            let lag = (self.clock.now() - at).as_seconds_f64().max(0.0);
            metrics::gauge!("events_lag_seconds", "consumer" => self.name).set(lag);
        }
    }

    /// Records that the consumer gave up on an event, for admins to see
    /// and redrive.
    pub async fn dead_letter(
        &self,
        event_id: &str,
        envelope: &[u8],
        deliveries: i32,
        reason: &str,
    ) -> Result<(), DbError> {
        metrics::counter!("events_dead_lettered_total", "consumer" => self.name).increment(1);
        tracing::error!(
            consumer = self.name,
            event_id,
            deliveries,
            reason,
            "event dead-lettered"
        );
        queue::bury(
            &self.db,
            self.name,
            event_id,
            envelope,
            deliveries,
            reason,
            self.clock.now(),
        )
        .await
    }

    /// Drains this consumer's queue table for as long as it runs: woken by
    /// `wake` (the local bus delivered) or every poll interval (a redrive).
    pub async fn run_local(self, wake: Arc<Notify>) {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
        let mut last_prune: Option<tokio::time::Instant> = None;
        loop {
            if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                last_prune = Some(tokio::time::Instant::now());
                if let Err(error) = self.prune_inbox().await {
                    tracing::warn!(consumer = self.name, %error, "cannot prune the inbox");
                }
            }
            match self.drain_once().await {
                Ok(Drained::Applied) => backoff.reset(),
                // A failing event is retried after a pause, as a broker
                // would redeliver it, not in a tight loop.
                Ok(Drained::SomeFailed) => tokio::time::sleep(backoff.next()).await,
                Ok(Drained::Empty) => {
                    backoff.reset();
                    let _ = tokio::time::timeout(self.settings.poll, wake.notified()).await;
                }
                Err(error) => {
                    let wait = backoff.next();
                    tracing::warn!(consumer = self.name, %error, "cannot apply events; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Forgets applied event ids older than the inbox retention; returns
    /// how many.
    pub async fn prune_inbox(&self) -> Result<usize, DbError> {
        let keep = i64::try_from(self.settings.inbox_retention.as_micros()).unwrap_or(i64::MAX);
        let before = to_micros(self.clock.now()).saturating_sub(keep);
        let consumer = self.name;
        Ok(on_db!(&self.db, |conn| {
            diesel::delete(
                event_inbox::table
                    .filter(event_inbox::consumer.eq(consumer))
                    .filter(event_inbox::processed_at.lt(before)),
            )
            .execute(conn)
            .await?
        }))
    }

    /// Applies one batch from the queue table.
    pub async fn drain_once(&self) -> Result<Drained, HandlerError> {
        let batch = queue::ready(&self.db, self.name, i64::from(self.settings.batch)).await?;
        if batch.is_empty() {
            return Ok(Drained::Empty);
        }
        let (events, undecodable) = decode(&batch);
        for row in undecodable {
            self.dead_letter(
                &row.event_id,
                &row.envelope,
                row.deliveries + 1,
                "cannot decode the event",
            )
            .await?;
        }
        let decoded: Vec<Event> = events.iter().map(|(_, e)| e.clone()).collect();
        let ids: Vec<i64> = events.iter().map(|(row, _)| row.id).collect();
        match self.apply_and_ack(&decoded, &ids).await {
            Ok(_) => {}
            Err(error) if error.is_transient() => return Err(error),
            Err(_) => {
                self.one_by_one(&events).await?;
                return Ok(Drained::SomeFailed);
            }
        }
        Ok(Drained::Applied)
    }

    /// After a failed batch: each event alone, so only the bad one fails.
    async fn one_by_one(&self, events: &[(&Queued, Event)]) -> Result<(), HandlerError> {
        for (row, event) in events {
            match self
                .apply_and_ack(std::slice::from_ref(event), &[row.id])
                .await
            {
                Ok(_) => {}
                Err(error) if error.is_transient() => return Err(error),
                Err(error) => {
                    let reason = error.to_string();
                    let dead = queue::failed_delivery(
                        &self.db,
                        row.id,
                        row.deliveries,
                        self.settings.delivery_limit,
                        &reason,
                    )
                    .await?;
                    if dead {
                        metrics::counter!("events_dead_lettered_total", "consumer" => self.name)
                            .increment(1);
                        tracing::error!(consumer = self.name, event_id = %event.event_id, %reason, "event dead-lettered");
                    }
                }
            }
        }
        Ok(())
    }
}

/// How often the inbox is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What one look at the queue table came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Nothing was waiting.
    Empty,
    /// A batch was applied.
    Applied,
    /// A batch failed; its events were tried one by one.
    SomeFailed,
}

/// The rows that decode as events, and those that do not.
fn decode(rows: &[Queued]) -> (Vec<(&Queued, Event)>, Vec<&Queued>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for row in rows {
        match Event::decode(row.envelope.as_slice()) {
            Ok(event) => events.push((row, event)),
            Err(_) => bad.push(row),
        }
    }
    (events, bad)
}

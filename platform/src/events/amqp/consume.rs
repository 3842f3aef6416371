//! Consuming a consumer's queue on the broker: deliveries are gathered
//! into a batch (up to the prefetch, or what arrived within the batch
//! wait), applied in one transaction and acknowledged with one multiple
//! ack. A batch that fails for a passing reason is requeued and retried
//! after a pause; one that an event makes fail is retried an event at a
//! time, so only that event fails, and it is dead-lettered (into the
//! consumer's queue table, with the reason) once its deliveries reach the
//! limit. What the broker dead-lettered itself (a consumer that crashed on
//! a message each time) is moved from the dead queue into that table too,
//! where admins see and redrive dead letters from either transport.

use std::{convert::Infallible, time::Duration};

use contracts::events::Event;
use futures_util::StreamExt;
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::{
    Acker, Channel,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicQosOptions,
        BasicRejectOptions,
    },
    types::FieldTable,
};
use prost::Message;
use tokio::time::Instant;

use super::{
    AmqpError, Broker, answered, close_channel,
    headers::{death_reason, delivery_count, message_id},
};
use crate::events::{
    consumer::{Consumer, HandlerError},
    relay::Backoff,
};

/// Why a session with the broker ended; the consumer reconnects.
#[derive(Debug, thiserror::Error)]
enum ConsumeError {
    #[error(transparent)]
    Broker(#[from] AmqpError),
    #[error("the broker cancelled the consumer (was its queue deleted?)")]
    Cancelled,
}

impl From<lapin::Error> for ConsumeError {
    fn from(error: lapin::Error) -> Self {
        ConsumeError::Broker(error.into())
    }
}

/// What a batch came to.
enum Outcome {
    /// Everything was settled: go on at once.
    Settled,
    /// Something was requeued: pause before the next batch, as the local
    /// transport does, so a failing event is not retried in a tight loop.
    Requeued,
}

/// Consumes `consumer`'s queue for as long as it runs (a background task),
/// reconnecting with backoff whenever the broker goes away.
pub(crate) async fn run(consumer: Consumer, broker: Broker) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    loop {
        let error = match session(&consumer, &broker, &mut backoff).await {
            Ok(never) => match never {},
            Err(error) => error,
        };
        if matches!(error, ConsumeError::Cancelled) || is_not_found(&error) {
            // The queue went missing under a live connection: declare it
            // again rather than wait for the connection to drop.
            if let Err(error) = broker.redeclare().await {
                tracing::warn!(consumer = consumer.name, %error, "cannot declare the broker topology again");
            }
        }
        let wait = backoff.next();
        tracing::warn!(
            consumer = consumer.name,
            %error,
            retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "cannot consume events from the broker; they wait in its queue"
        );
        tokio::time::sleep(wait).await;
    }
}

/// Whether the broker said a queue does not exist (404 NOT_FOUND).
fn is_not_found(error: &ConsumeError) -> bool {
    let ConsumeError::Broker(AmqpError::Broker(error)) = error else {
        return false;
    };
    let lapin::ErrorKind::ProtocolError(error) = error.kind() else {
        return false;
    };
    matches!(error.kind(), AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND))
}

/// One connection's worth of consuming; ends only with an error.
async fn session(
    consumer: &Consumer,
    broker: &Broker,
    backoff: &mut Backoff,
) -> Result<Infallible, ConsumeError> {
    let channel = broker.channel().await?;
    let result = match broker.channel().await {
        Ok(dead_channel) => {
            let result = consume(consumer, broker, &channel, &dead_channel, backoff).await;
            close_channel(&dead_channel, "done").await;
            result
        }
        Err(error) => Err(error.into()),
    };
    // Closing the channel hands back whatever is still unacknowledged.
    close_channel(&channel, "done").await;
    result
}

async fn consume(
    consumer: &Consumer,
    broker: &Broker,
    channel: &Channel,
    dead_channel: &Channel,
    backoff: &mut Backoff,
) -> Result<Infallible, ConsumeError> {
    let settings = &consumer.settings;
    let queue = broker.config().queue(consumer.name);
    let dead_queue = broker.config().dead_queue(consumer.name);
    let qos = channel.basic_qos(settings.batch, BasicQosOptions::default());
    answered("set the prefetch", qos).await?;
    let tag = format!("{}-{}", consumer.name, uuid::Uuid::new_v4());
    let consume = channel.basic_consume(
        queue.as_str().into(),
        tag.into(),
        BasicConsumeOptions::default(),
        FieldTable::default(),
    );
    let mut deliveries = answered("start consuming", consume).await?;
    tracing::info!(consumer = consumer.name, %queue, "consuming events from the broker");
    backoff.reset();
    let mut pause = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
    let mut drained_at: Option<Instant> = None;
    loop {
        if drained_at.is_none_or(|at| at.elapsed() >= settings.poll) {
            drain_dead(consumer, broker, dead_channel, &dead_queue).await?;
            drained_at = Some(Instant::now());
        }
        let first = match tokio::time::timeout(settings.poll, deliveries.next()).await {
            Err(_) => continue,
            Ok(None) => return Err(ConsumeError::Cancelled),
            Ok(Some(delivery)) => delivery?,
        };
        let mut batch = vec![first];
        let deadline = Instant::now() + settings.batch_wait;
        while batch.len() < usize::from(settings.batch) {
            match tokio::time::timeout_at(deadline, deliveries.next()).await {
                Err(_) => break,
                Ok(None) => return Err(ConsumeError::Cancelled),
                Ok(Some(delivery)) => batch.push(delivery?),
            }
        }
        match apply(consumer, batch).await? {
            Outcome::Settled => pause.reset(),
            Outcome::Requeued => tokio::time::sleep(pause.next()).await,
        }
    }
}

/// Applies a batch of deliveries and settles each of them.
async fn apply(consumer: &Consumer, batch: Vec<Delivery>) -> Result<Outcome, ConsumeError> {
    let mut events = Vec::with_capacity(batch.len());
    let mut undecodable = Vec::new();
    for delivery in batch {
        match Event::decode(delivery.data.as_slice()) {
            Ok(event) => events.push((delivery, event)),
            Err(error) => undecodable.push((delivery, error)),
        }
    }
    for (i, (delivery, error)) in undecodable.iter().enumerate() {
        let event_id =
            message_id(delivery).unwrap_or_else(|| format!("undecodable-{}", uuid::Uuid::new_v4()));
        let reason = format!("cannot decode the event: {error}");
        let deliveries = delivery_count(delivery) + 1;
        if let Err(error) = consumer
            .dead_letter(&event_id, &delivery.data, deliveries, &reason)
            .await
        {
            tracing::warn!(consumer = consumer.name, %error, "cannot store a dead letter; requeued");
            let mut rest = ackers(&undecodable[i..]);
            rest.extend(ackers(&events));
            requeue(rest).await?;
            return Ok(Outcome::Requeued);
        }
        ack(&delivery.acker, false).await?;
    }
    let Some((last, _)) = events.last() else {
        return Ok(Outcome::Settled);
    };
    let decoded: Vec<Event> = events.iter().map(|(_, event)| event.clone()).collect();
    match consumer.apply_batch(&decoded).await {
        Ok(_) => {
            // One ack for the whole batch: everything up to the last.
            ack(&last.acker, true).await?;
            Ok(Outcome::Settled)
        }
        Err(HandlerError::Transient(reason)) => {
            tracing::warn!(consumer = consumer.name, %reason, "cannot apply events; requeued");
            requeue(ackers(&events)).await?;
            Ok(Outcome::Requeued)
        }
        Err(HandlerError::Rejected(_)) => one_by_one(consumer, &events).await,
    }
}

/// After a batch failed: each event alone, so only the bad one fails; it
/// is requeued, or dead-lettered once its deliveries reach the limit.
async fn one_by_one(
    consumer: &Consumer,
    events: &[(Delivery, Event)],
) -> Result<Outcome, ConsumeError> {
    let limit = consumer.settings.delivery_limit;
    let mut outcome = Outcome::Settled;
    for (i, (delivery, event)) in events.iter().enumerate() {
        let reason = match consumer.apply_batch(std::slice::from_ref(event)).await {
            Ok(_) => {
                ack(&delivery.acker, false).await?;
                continue;
            }
            Err(HandlerError::Transient(reason)) => {
                tracing::warn!(consumer = consumer.name, %reason, "cannot apply events; requeued");
                requeue(ackers(&events[i..])).await?;
                return Ok(Outcome::Requeued);
            }
            Err(HandlerError::Rejected(reason)) => reason,
        };
        let deliveries = delivery_count(delivery) + 1;
        if deliveries < limit {
            tracing::warn!(consumer = consumer.name, event_id = %event.event_id, deliveries, %reason, "event rejected; requeued");
            retry_rejected(&delivery.acker).await?;
            outcome = Outcome::Requeued;
            continue;
        }
        if let Err(error) = consumer
            .dead_letter(&event.event_id, &delivery.data, deliveries, &reason)
            .await
        {
            tracing::warn!(consumer = consumer.name, %error, "cannot store a dead letter; requeued");
            requeue(ackers(&events[i..])).await?;
            return Ok(Outcome::Requeued);
        }
        ack(&delivery.acker, false).await?;
    }
    Ok(outcome)
}

/// Moves what the broker dead-lettered on its own into the queue table.
async fn drain_dead(
    consumer: &Consumer,
    broker: &Broker,
    channel: &Channel,
    queue: &str,
) -> Result<(), ConsumeError> {
    loop {
        let get = channel.basic_get(queue.into(), BasicGetOptions::default());
        let Some(message) = answered("get a dead letter", get).await? else {
            return Ok(());
        };
        let delivery = &message.delivery;
        let event_id = message_id(delivery)
            .or_else(|| {
                Event::decode(delivery.data.as_slice())
                    .ok()
                    .map(|e| e.event_id)
            })
            .unwrap_or_else(|| format!("undecodable-{}", uuid::Uuid::new_v4()));
        let reason = death_reason(delivery);
        // The count may not survive dead-lettering; the broker gave up
        // past its limit.
        let deliveries = match delivery_count(delivery) {
            0 => broker.config().delivery_limit.saturating_add(1),
            counted => counted,
        };
        if let Err(error) = consumer
            .dead_letter(&event_id, &delivery.data, deliveries, &reason)
            .await
        {
            // It stays in the dead queue until the database is back.
            tracing::warn!(consumer = consumer.name, %error, "cannot store a dead letter");
            requeue(vec![delivery.acker.clone()]).await?;
            return Ok(());
        }
        ack(&delivery.acker, false).await?;
    }
}

async fn ack(acker: &Acker, multiple: bool) -> Result<(), ConsumeError> {
    if answered("acknowledge", acker.ack(BasicAckOptions { multiple })).await? {
        Ok(())
    } else {
        Err(AmqpError::ChannelClosed.into())
    }
}

/// The ackers of `deliveries` (each paired with what it decoded to).
fn ackers<T>(deliveries: &[(Delivery, T)]) -> Vec<Acker> {
    deliveries.iter().map(|(d, _)| d.acker.clone()).collect()
}

/// Hands back an event the handler rejected, for another try: with
/// basic.reject, which counts as a failed delivery (`x-delivery-count`) on
/// every RabbitMQ version, so the limit is reached and the event
/// dead-lettered. (Since RabbitMQ 4.3, basic.nack hands a message back
/// without counting it: a poison event requeued that way would come back
/// for ever, at the head of an ordered queue.)
async fn retry_rejected(acker: &Acker) -> Result<(), ConsumeError> {
    let options = BasicRejectOptions { requeue: true };
    if answered("requeue", acker.reject(options)).await? {
        Ok(())
    } else {
        Err(AmqpError::ChannelClosed.into())
    }
}

/// Hands deliveries back to the queue, in order, for a passing failure
/// (the database is down): with basic.nack, which RabbitMQ 4.3 and later
/// do not count as a failed delivery, so an outage does not spend the
/// events' delivery limit (older versions count it).
async fn requeue(ackers: Vec<Acker>) -> Result<(), ConsumeError> {
    let options = BasicNackOptions {
        multiple: false,
        requeue: true,
    };
    for acker in ackers {
        if !answered("requeue", acker.nack(options)).await? {
            return Err(AmqpError::ChannelClosed.into());
        }
    }
    Ok(())
}

//! Publishing a relay batch to the broker: every row in order on one
//! confirm-mode channel, persistent and mandatory, then the confirms
//! awaited in order. What counts is the confirmed prefix: the relay marks
//! exactly those rows published (or dead, for an event a consumer should
//! have received but no queue took) and retries the rest.

use std::time::Duration;

use lapin::{
    BasicProperties, Channel, Confirmation,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::ShortString,
};

use super::{AmqpError, Broker, answered};
use crate::events::outbox::Outgoing;

/// How long the relay waits for one confirm before it gives up on the
/// batch's remainder (the broker or the network is stuck; it retries).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// Persistent: written to disk by the broker before it confirms.
const PERSISTENT: u8 = 2;

/// What became of a batch.
#[derive(Debug, Default)]
pub(crate) struct Published {
    /// How many rows, from the first, the broker confirmed.
    pub confirmed: usize,
    /// Positions in that prefix of events returned as unroutable although
    /// a consumer subscribes to their type, with why.
    pub dead: Vec<(usize, String)>,
    /// Why the rest was not confirmed.
    pub failure: Option<AmqpError>,
}

impl Broker {
    /// Publishes `batch` in order and reports what the broker confirmed.
    pub(crate) async fn publish(&self, batch: &[Outgoing]) -> Published {
        let mut published = Published::default();
        let channel = match self.publisher().await {
            Ok(channel) => channel,
            Err(error) => {
                published.failure = Some(error);
                return published;
            }
        };
        let exchange = ShortString::from(self.config().exchange.as_str());
        let mandatory = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let mut confirms = Vec::with_capacity(batch.len());
        let mut send_error = None;
        for row in batch {
            let properties = BasicProperties::default()
                .with_delivery_mode(PERSISTENT)
                .with_message_id(row.event_id.as_str().into())
                .with_content_type("application/x-protobuf".into())
                .with_type(row.event_type.as_str().into());
            let publish = channel.basic_publish(
                exchange.clone(),
                row.event_type.as_str().into(),
                mandatory,
                &row.envelope,
                properties,
            );
            // Bounded: a broker under a resource alarm blocks publishers.
            match answered("publish", publish).await {
                Ok(confirm) => confirms.push(confirm),
                Err(error) => {
                    send_error = Some(error);
                    break;
                }
            }
        }
        for (row, confirm) in batch.iter().zip(confirms) {
            let returned = match tokio::time::timeout(CONFIRM_TIMEOUT, confirm).await {
                Ok(Ok(Confirmation::Ack(returned))) => returned,
                Ok(Ok(Confirmation::Nack(_))) => {
                    published.failure = Some(AmqpError::Nacked {
                        event_id: row.event_id.clone(),
                    });
                    break;
                }
                Ok(Ok(Confirmation::NotRequested)) | Err(_) => {
                    published.failure = Some(AmqpError::Unconfirmed {
                        event_id: row.event_id.clone(),
                    });
                    break;
                }
                Ok(Err(error)) => {
                    published.failure = Some(error.into());
                    break;
                }
            };
            if let Some(returned) = returned {
                // Unroutable: with the topology declared at connection,
                // that means nobody subscribes (fine, it is published), or
                // a queue that should exist is gone (the event is dead
                // until an admin redrives it).
                if self.subscribed(&row.event_type) {
                    published.dead.push((
                        published.confirmed,
                        format!(
                            "returned by the broker as unroutable ({} {}) although a consumer subscribes to {}",
                            returned.reply_code, returned.reply_text, row.event_type
                        ),
                    ));
                }
            }
            published.confirmed += 1;
        }
        if published.failure.is_none() {
            published.failure = send_error;
        }
        if !published.dead.is_empty() {
            // So that the events after these find their queue again.
            if let Err(error) = self.redeclare().await {
                tracing::warn!(%error, "cannot declare the broker topology again");
            }
        }
        if published.failure.is_some() {
            // The channel may be half broken; the next batch opens another.
            *self.inner.publisher.lock().await = None;
        }
        published
    }

    /// The relay's confirm-mode channel, opened if there is none alive.
    async fn publisher(&self) -> Result<Channel, AmqpError> {
        let mut current = self.inner.publisher.lock().await;
        if let Some(channel) = current.as_ref()
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        let channel = self.channel().await?;
        let confirm = channel.confirm_select(ConfirmSelectOptions::default());
        answered("turn on publisher confirms", confirm).await?;
        *current = Some(channel.clone());
        Ok(channel)
    }
}

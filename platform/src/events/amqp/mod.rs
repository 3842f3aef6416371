//! The RabbitMQ transport: [`AmqpConfig`] (where the broker is and how its
//! names are spelt), the [`Broker`] handle services share (one lazily
//! opened connection, opened again after it drops), which declares the
//! topology ([`declare`]) each time a connection opens, before anything is
//! published or consumed on it. Publishing a relay batch lives in
//! `publish`, consuming a queue in `consume`, reading a delivery's headers
//! in `headers`.

mod consume;
mod declare;
mod headers;
mod publish;

use std::{future::Future, sync::Arc, time::Duration};

use lapin::{
    Channel, Connection, ConnectionProperties,
    options::{ExchangeDeleteOptions, QueueDeleteOptions},
    types::{LongString, ShortString},
};
use tokio::sync::Mutex;

pub(crate) use consume::run as consume;
pub use declare::declare;

use super::topology::{SUBSCRIPTIONS, Subscription, matches};
use crate::db::redact;

/// How long opening a connection may take before the attempt counts as
/// failed (an unreachable host would otherwise hang the caller).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the broker may take to answer one call (a declaration, a
/// channel opened or closed, an ack handed over). lapin waits forever by
/// itself, and a broker that stops answering without closing the socket
/// (a stuck node, a half-open network path, a blocked connection) would
/// otherwise hold the relay, a consumer or a shutdown for good.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The broker's answer to `call`, or [`AmqpError::NoAnswer`] naming `what`
/// when none came within [`ANSWER_TIMEOUT`].
pub(crate) async fn answered<T>(
    what: &'static str,
    call: impl Future<Output = Result<T, lapin::Error>>,
) -> Result<T, AmqpError> {
    match tokio::time::timeout(ANSWER_TIMEOUT, call).await {
        Ok(answer) => answer.map_err(AmqpError::from),
        Err(_) => Err(AmqpError::NoAnswer { what }),
    }
}

/// Closes `channel`, handing back what it holds unacknowledged; a broker
/// that does not answer is not waited for (the channel is dropped).
pub(crate) async fn close_channel(channel: &Channel, reason: &str) {
    let _ = answered(
        "close a channel",
        channel.close(200, ShortString::from(reason)),
    )
    .await;
}

/// Where the broker is and how the shop's names are spelt on it.
#[derive(Clone)]
pub struct AmqpConfig {
    /// `amqp://USER:PASSWORD@HOST:PORT/VHOST` (or `amqps://`); it carries a
    /// password, so it is only ever shown redacted.
    pub url: String,
    /// The topic exchange every event is published to, keyed by its type.
    pub exchange: String,
    /// Put before every queue name, so several shops (or tests) can share
    /// one broker.
    pub namespace: String,
    /// Deliveries after which the broker itself dead-letters a message
    /// (`x-delivery-limit`): the backstop for a consumer that crashes on
    /// it every time. Consumers give up earlier, at their own limit, with
    /// the reason. Fixed when a queue is created; changing it later needs
    /// the queue deleted (RabbitMQ refuses a declaration that differs).
    pub delivery_limit: i32,
}

impl AmqpConfig {
    /// The shop's names on the broker at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            exchange: "shop.events".to_owned(),
            namespace: String::new(),
            delivery_limit: 20,
        }
    }

    /// The queue of `consumer`.
    pub fn queue(&self, consumer: &str) -> String {
        format!("{}{consumer}", self.namespace)
    }

    /// Where the broker puts what `consumer`'s queue dead-letters.
    pub fn dead_queue(&self, consumer: &str) -> String {
        format!("{}{consumer}.dead", self.namespace)
    }

    /// The exchange the consumers' queues dead-letter to.
    pub fn dead_exchange(&self) -> String {
        format!("{}.dead", self.exchange)
    }
}

impl std::fmt::Debug for AmqpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("url", &redact(&self.url))
            .field("exchange", &self.exchange)
            .field("namespace", &self.namespace)
            .field("delivery_limit", &self.delivery_limit)
            .finish()
    }
}

/// Why the broker could not be used; whatever was under way is retried.
#[derive(Debug, thiserror::Error)]
pub enum AmqpError {
    #[error("cannot connect to the broker at {broker}: {reason}")]
    Connect { broker: String, reason: String },
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker refused event {event_id} (nack)")]
    Nacked { event_id: String },
    #[error("the broker did not confirm event {event_id}")]
    Unconfirmed { event_id: String },
    #[error("the broker closed the channel")]
    ChannelClosed,
    #[error("the broker did not answer in time ({what})")]
    NoAnswer { what: &'static str },
}

/// A RabbitMQ broker, shared by a service's relay and consumers. Cheap to
/// clone (clones share the connection); it connects on first use and again
/// whenever the connection has dropped, so a broker restart delays events
/// but stops nothing.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    config: AmqpConfig,
    subscriptions: Vec<Subscription>,
    connection: Mutex<Option<Arc<Connection>>>,
    /// The relay's channel, in confirm mode.
    publisher: Mutex<Option<Channel>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Broker").field(&self.inner.config).finish()
    }
}

impl Broker {
    /// The broker `config` names, with the shop's [`SUBSCRIPTIONS`].
    pub fn new(config: AmqpConfig) -> Self {
        Self::with_subscriptions(config, SUBSCRIPTIONS.to_vec())
    }

    /// The broker `config` names, with `subscriptions` instead (tests).
    pub fn with_subscriptions(config: AmqpConfig, subscriptions: Vec<Subscription>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                subscriptions,
                connection: Mutex::new(None),
                publisher: Mutex::new(None),
            }),
        }
    }

    pub fn config(&self) -> &AmqpConfig {
        &self.inner.config
    }

    pub fn subscriptions(&self) -> &[Subscription] {
        &self.inner.subscriptions
    }

    /// Whether some consumer is bound to events of `event_type`.
    fn subscribed(&self, event_type: &str) -> bool {
        self.inner
            .subscriptions
            .iter()
            .any(|s| s.bindings.iter().any(|b| matches(b, event_type)))
    }

    /// Connects (declaring the topology) unless connected already.
    pub async fn connect(&self) -> Result<(), AmqpError> {
        self.connection().await.map(drop)
    }

    /// Declares the topology again on the live connection: after a queue
    /// went missing under it (deleted by hand), which a connection that
    /// stayed up would otherwise never notice.
    pub async fn redeclare(&self) -> Result<(), AmqpError> {
        let channel = self.channel().await?;
        let declared = answered(
            "declare the topology",
            declare(&channel, &self.inner.config, &self.inner.subscriptions),
        )
        .await;
        close_channel(&channel, "topology declared").await;
        declared
    }

    /// A new channel; connects first if there is no live connection.
    pub(crate) async fn channel(&self) -> Result<Channel, AmqpError> {
        let connection = self.connection().await?;
        match answered("open a channel", connection.create_channel()).await {
            Ok(channel) => Ok(channel),
            Err(error) => {
                // A connection that cannot open a channel is of no use:
                // the next caller opens a new one.
                let mut current = self.inner.connection.lock().await;
                if current
                    .as_ref()
                    .is_some_and(|c| Arc::ptr_eq(c, &connection))
                {
                    *current = None;
                }
                Err(error)
            }
        }
    }

    async fn connection(&self) -> Result<Arc<Connection>, AmqpError> {
        let mut current = self.inner.connection.lock().await;
        if let Some(connection) = current.as_ref()
            && connection.status().connected()
        {
            return Ok(connection.clone());
        }
        let config = &self.inner.config;
        let connection = self.open().await?;
        let declared = async {
            let channel = answered("open a channel", connection.create_channel()).await?;
            let declared = answered(
                "declare the topology",
                declare(&channel, config, &self.inner.subscriptions),
            )
            .await;
            // The channel only served the declarations.
            close_channel(&channel, "topology declared").await;
            declared
        }
        .await;
        if let Err(error) = declared {
            close_connection(&connection, "topology not declared").await;
            return Err(error);
        }
        tracing::info!(
            broker = %redact(&config.url),
            exchange = %config.exchange,
            "connected to the broker; topology declared"
        );
        let connection = Arc::new(connection);
        *current = Some(connection.clone());
        Ok(connection)
    }

    /// A new connection, nothing declared on it.
    async fn open(&self) -> Result<Connection, AmqpError> {
        let url = &self.inner.config.url;
        let failed = |reason: String| AmqpError::Connect {
            broker: redact(url),
            reason,
        };
        let properties =
            ConnectionProperties::default().with_connection_name(LongString::from("shop"));
        tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(url, properties))
            .await
            .map_err(|_| failed("timed out".to_owned()))?
            .map_err(|e| failed(e.to_string()))
    }

    /// Deletes what [`declare`] made: the exchanges and every queue, with
    /// the messages in them. For tests and teardown, never on a running shop.
    pub async fn delete_topology(&self) -> Result<(), AmqpError> {
        // A connection of its own: declaring first could be refused (a
        // queue made with other arguments is exactly what may need deleting).
        let connection = self.open().await?;
        let deleted = self.delete_on(&connection).await;
        close_connection(&connection, "topology deleted").await;
        deleted
    }

    async fn delete_on(&self, connection: &Connection) -> Result<(), AmqpError> {
        let channel = answered("open a channel", connection.create_channel()).await?;
        let config = &self.inner.config;
        for subscription in &self.inner.subscriptions {
            for queue in [
                config.queue(subscription.consumer),
                config.dead_queue(subscription.consumer),
            ] {
                let delete = channel.queue_delete(queue.into(), QueueDeleteOptions::default());
                answered("delete a queue", delete).await?;
            }
        }
        for exchange in [config.exchange.clone(), config.dead_exchange()] {
            let delete = channel.exchange_delete(exchange.into(), ExchangeDeleteOptions::default());
            answered("delete an exchange", delete).await?;
        }
        close_channel(&channel, "topology deleted").await;
        Ok(())
    }

    /// Closes the connection (the next use opens a new one).
    pub async fn disconnect(&self) {
        *self.inner.publisher.lock().await = None;
        if let Some(connection) = self.inner.connection.lock().await.take() {
            close_connection(&connection, "closing").await;
        }
    }
}

/// Closes `connection`, not waiting for a broker that does not answer.
async fn close_connection(connection: &Connection, reason: &str) {
    let _ = answered(
        "close the connection",
        connection.close(200, ShortString::from(reason)),
    )
    .await;
}

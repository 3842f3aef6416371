//! Events between services: the transactional outbox a producer writes in
//! its own transactions ([`outbox::append`]), the relay that publishes it
//! ([`relay`]), the transports (RabbitMQ, [`amqp`], or the local bus when
//! no broker is configured), the consumers that apply events idempotently in batches
//! ([`consumer`]), with their queue and dead letters ([`queue`]), and who
//! listens to what ([`topology`]). The contract is `shop.events.v1.Event`.

pub mod admin;
pub mod amqp;
pub mod consumer;
pub mod local;
pub mod outbox;
pub mod queue;
pub mod relay;
pub mod store;
pub mod topology;

use std::sync::Arc;

pub use amqp::{AmqpConfig, Broker};
pub use consumer::{Applied, Consumer, ConsumerSettings, Drained, Handler, HandlerError};
pub use local::LocalBus;
pub use outbox::{NewEvent, append};
pub use relay::RelaySettings;
pub use store::Conn;
pub use topology::types;

use crate::{clock::Clock, db::Db, service::Background};

/// How a service's events travel.
#[derive(Debug, Clone, Default)]
pub enum Transport {
    /// Nowhere yet: events wait in the outbox (a service run alone with no
    /// broker configured).
    #[default]
    Off,
    /// Through the database, to the consumers in this process.
    Local(LocalBus),
    /// Through RabbitMQ.
    Amqp(Broker),
}

impl Transport {
    /// A short name for logs.
    pub fn describe(&self) -> &'static str {
        match self {
            Transport::Off => "off (events wait in the outbox)",
            Transport::Local(_) => "local (through the database)",
            Transport::Amqp(_) => "amqp (through RabbitMQ)",
        }
    }
}

/// A service's event settings: the transport and how the loops pace
/// themselves.
#[derive(Debug, Clone, Default)]
pub struct EventsConfig {
    pub transport: Transport,
    pub relay: RelaySettings,
    pub consumer: ConsumerSettings,
}

/// Starts the relay of `service` (publishing its outbox) in `background`,
/// unless the transport is off.
pub fn start_relay(
    background: &mut Background,
    service: &'static str,
    db: &Db,
    config: &EventsConfig,
    clock: &Clock,
) {
    if matches!(config.transport, Transport::Off) {
        tracing::warn!(
            service,
            "no event transport configured: events wait in the outbox"
        );
        return;
    }
    background.spawn(
        "event relay",
        relay::run(
            service,
            db.clone(),
            config.transport.clone(),
            clock.clone(),
            config.relay.clone(),
        ),
    );
}

/// Starts the consumer `name` of `handler` in `background`: attached to the
/// transport (on the broker, consuming its queue), and draining its queue
/// table (local deliveries and redriven dead letters).
pub fn start_consumer(
    background: &mut Background,
    name: &'static str,
    db: &Db,
    handler: Arc<dyn Handler>,
    config: &EventsConfig,
    clock: &Clock,
) {
    let consumer = Consumer {
        name,
        db: db.clone(),
        handler,
        clock: clock.clone(),
        settings: config.consumer.clone(),
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    match &config.transport {
        Transport::Off => {}
        Transport::Local(bus) => bus.attach(name, db.clone(), wake.clone()),
        Transport::Amqp(broker) => {
            if broker.subscriptions().iter().any(|s| s.consumer == name) {
                background.spawn(
                    "event consumer (broker)",
                    amqp::consume(consumer.clone(), broker.clone()),
                );
            } else {
                tracing::error!(
                    consumer = name,
                    "the topology has no queue for this consumer: it only applies redriven dead letters"
                );
            }
        }
    }
    background.spawn("event consumer", consumer.run_local(wake));
}

/// The current span's W3C trace context, to store with an event.
fn current_traceparent() -> String {
    let mut headers = http::HeaderMap::new();
    crate::telemetry::inject_trace_context(&mut headers);
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

//! The broker's topology, declared from [`declare`] alone: the exchanges,
//! and per consumer its queue, bindings and dead queue, derived from the
//! subscriptions (the shop's [`SUBSCRIPTIONS`](crate::events::topology::SUBSCRIPTIONS)).

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
};

use super::AmqpConfig;
use crate::events::topology::Subscription;

/// Declares the topology `subscriptions` call for: the topic exchange;
/// per consumer a durable quorum queue bound with each of its bindings,
/// consumed by one replica at a time (single active consumer, so an
/// aggregate's events are applied in order), dead-lettering after
/// `delivery_limit` deliveries to the dead-letter exchange, keyed by the
/// consumer's name; and the consumer's dead queue there. Declaring is
/// idempotent, so every service runs it at every connection, producers
/// too: no event is published before the queues that should hold it exist.
/// A binding removed from the list stays on the broker until removed by hand.
pub async fn declare(
    channel: &Channel,
    config: &AmqpConfig,
    subscriptions: &[Subscription],
) -> Result<(), lapin::Error> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    let dead_exchange = config.dead_exchange();
    channel
        .exchange_declare(
            config.exchange.as_str().into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            dead_exchange.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await?;
    let queue_options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let text = |s: &str| AMQPValue::LongString(LongString::from(s));
    for subscription in subscriptions {
        let consumer = subscription.consumer;
        let queue = config.queue(consumer);
        let mut arguments = FieldTable::default();
        arguments
            .insert("x-queue-type".into(), text("quorum"))
            .insert("x-single-active-consumer".into(), AMQPValue::Boolean(true))
            .insert(
                "x-delivery-limit".into(),
                AMQPValue::LongInt(config.delivery_limit),
            )
            .insert("x-dead-letter-exchange".into(), text(&dead_exchange))
            .insert("x-dead-letter-routing-key".into(), text(consumer));
        channel
            .queue_declare(queue.as_str().into(), queue_options, arguments)
            .await?;
        for binding in subscription.bindings {
            channel
                .queue_bind(
                    queue.as_str().into(),
                    config.exchange.as_str().into(),
                    (*binding).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        let dead = config.dead_queue(consumer);
        let mut arguments = FieldTable::default();
        arguments.insert("x-queue-type".into(), text("quorum"));
        channel
            .queue_declare(dead.as_str().into(), queue_options, arguments)
            .await?;
        channel
            .queue_bind(
                dead.as_str().into(),
                dead_exchange.as_str().into(),
                consumer.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

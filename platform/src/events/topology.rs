//! Who listens to what, in one place: the event types, and each consumer
//! with the types it is bound to. The broker's topology (the exchange, one
//! quorum queue per consumer with its bindings and dead-letter queue) and
//! the local transport's routing are both derived from this list at every
//! start, so no event is published before the queue that should hold it
//! exists. A new consumer is one entry here.

/// The event types (also the routing keys).
pub mod types {
    pub const ORDER_PLACED: &str = "orders.order.placed";
    pub const ORDER_CONFIRMED: &str = "orders.order.confirmed";
    pub const ORDER_FAILED: &str = "orders.order.failed";
    pub const ORDER_CANCELLED: &str = "orders.order.cancelled";
    pub const ORDER_SHIPPED: &str = "orders.order.shipped";
    pub const ORDER_DELIVERED: &str = "orders.order.delivered";
    pub const PAYMENT_CAPTURED: &str = "payments.payment.captured";
    pub const PAYMENT_REFUNDED: &str = "payments.payment.refunded";
    pub const PRODUCT_CREATED: &str = "catalog.product.created";
    pub const PRODUCT_UPDATED: &str = "catalog.product.updated";
    pub const PRODUCT_DELETED: &str = "catalog.product.deleted";
    pub const STOCK_LOW: &str = "catalog.stock.low";
    pub const USER_REGISTERED: &str = "accounts.user.registered";
    pub const ACCOUNT_EMAIL_REQUESTED: &str = "accounts.account.email_requested";
    pub const SHIPMENT_CREATED: &str = "fulfilment.shipment.created";
    pub const SHIPMENT_PACKED: &str = "fulfilment.shipment.packed";
    pub const SHIPMENT_SHIPPED: &str = "fulfilment.shipment.shipped";
    pub const SHIPMENT_DELIVERED: &str = "fulfilment.shipment.delivered";
    pub const SHIPMENT_CANCELLED: &str = "fulfilment.shipment.cancelled";
}

/// A consumer (one queue) and the event types it receives.
#[derive(Debug, Clone, Copy)]
pub struct Subscription {
    /// The consumer's name, also its queue's.
    pub consumer: &'static str,
    /// Event types, or patterns in the broker's topic syntax (`orders.order.*`).
    pub bindings: &'static [&'static str],
}

/// Every consumer in the shop.
pub const SUBSCRIPTIONS: &[Subscription] = &[
    Subscription {
        consumer: "notifications",
        bindings: &[
            "orders.order.*",
            "payments.payment.refunded",
            types::USER_REGISTERED,
            types::ACCOUNT_EMAIL_REQUESTED,
        ],
    },
    Subscription {
        consumer: "cart",
        bindings: &[
            types::PRODUCT_CREATED,
            types::PRODUCT_UPDATED,
            types::PRODUCT_DELETED,
            // How the orders placed from carts end.
            types::ORDER_CONFIRMED,
            types::ORDER_FAILED,
            types::ORDER_CANCELLED,
        ],
    },
    Subscription {
        consumer: "fulfilment",
        bindings: &[
            // A confirmed order is shipped; a cancelled one is not.
            types::ORDER_CONFIRMED,
            types::ORDER_CANCELLED,
        ],
    },
    Subscription {
        consumer: "orders",
        bindings: &[
            // An order follows its parcel: SHIPPED, then DELIVERED; a
            // shipment cancelled (by CancelOrder) finishes the order's
            // cancellation even if orders stopped half-way.
            types::SHIPMENT_SHIPPED,
            types::SHIPMENT_DELIVERED,
            types::SHIPMENT_CANCELLED,
        ],
    },
];

/// The consumers an event of `event_type` goes to.
pub fn subscribers(event_type: &str) -> impl Iterator<Item = &'static Subscription> + '_ {
    SUBSCRIPTIONS
        .iter()
        .filter(move |s| s.bindings.iter().any(|b| matches(b, event_type)))
}

/// The subscription of `consumer`, if it is one.
pub fn subscription(consumer: &str) -> Option<&'static Subscription> {
    SUBSCRIPTIONS.iter().find(|s| s.consumer == consumer)
}

/// Whether a topic `pattern` matches `key` as RabbitMQ matches them: words
/// separated by dots, `*` one word, `#` zero or more.
pub fn matches(pattern: &str, key: &str) -> bool {
    fn go(pattern: &[&str], key: &[&str]) -> bool {
        match (pattern.split_first(), key.split_first()) {
            (None, None) => true,
            (Some((&"#", rest)), _) => {
                go(rest, key) || key.split_first().is_some_and(|(_, tail)| go(pattern, tail))
            }
            (Some((&"*", rest)), Some((_, tail))) => go(rest, tail),
            (Some((word, rest)), Some((first, tail))) => word == first && go(rest, tail),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = key.split('.').collect();
    go(&pattern, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_match_as_the_broker_does() {
        assert!(matches("orders.order.*", "orders.order.placed"));
        assert!(!matches("orders.order.*", "orders.order.placed.late"));
        assert!(!matches("orders.order.*", "orders.order"));
        assert!(matches("orders.#", "orders.order.placed"));
        assert!(matches("#", "anything.at.all"));
        assert!(matches("#.low", "catalog.stock.low"));
        assert!(matches("catalog.stock.low", "catalog.stock.low"));
        assert!(!matches("catalog.stock.low", "catalog.stock.lower"));
    }

    #[test]
    fn every_binding_matches_a_known_event_type() {
        let known = [
            types::ORDER_PLACED,
            types::ORDER_CONFIRMED,
            types::ORDER_FAILED,
            types::ORDER_CANCELLED,
            types::PAYMENT_CAPTURED,
            types::PAYMENT_REFUNDED,
            types::PRODUCT_CREATED,
            types::PRODUCT_UPDATED,
            types::PRODUCT_DELETED,
            types::STOCK_LOW,
            types::USER_REGISTERED,
            types::ACCOUNT_EMAIL_REQUESTED,
            types::SHIPMENT_CREATED,
            types::SHIPMENT_PACKED,
            types::SHIPMENT_SHIPPED,
            types::SHIPMENT_DELIVERED,
            types::SHIPMENT_CANCELLED,
        ];
        for subscription in SUBSCRIPTIONS {
            for binding in subscription.bindings {
                assert!(
                    known.iter().any(|t| matches(binding, t)),
                    "{}: {binding} matches no event type",
                    subscription.consumer
                );
            }
        }
    }
}

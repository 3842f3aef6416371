//! The events orders publishes: `orders.order.placed` when an order is
//! saved, then `confirmed`, `failed`, `cancelled`, `shipped` or `delivered`
//! when it reaches that status, each carrying the whole order. The store writes them in the
//! transaction of the change (the outbox); the statuses in between are
//! the saga's business and publish nothing.

use contracts::{
    events::{OrderChanged, event::Payload},
    orders as proto,
};
use platform::events::{NewEvent, types};

use crate::domain::{Order, OrderStatus};

/// The event for `order` having just reached its status, if that status
/// is one others hear about.
pub fn for_status(order: &Order) -> Option<NewEvent> {
    let event_type = match order.status {
        OrderStatus::Pending => types::ORDER_PLACED,
        OrderStatus::Confirmed => types::ORDER_CONFIRMED,
        OrderStatus::Failed => types::ORDER_FAILED,
        OrderStatus::Cancelled => types::ORDER_CANCELLED,
        OrderStatus::Shipped => types::ORDER_SHIPPED,
        OrderStatus::Delivered => types::ORDER_DELIVERED,
        OrderStatus::StockReserved
        | OrderStatus::Paid
        | OrderStatus::Compensating
        | OrderStatus::Cancelling => return None,
    };
    Some(NewEvent {
        event_type,
        aggregate_id: order.id.to_string(),
        payload: Payload::Order(OrderChanged {
            order: Some(proto::Order::from(order)),
        }),
    })
}

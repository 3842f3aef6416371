//! The consumer `fulfilment`, applying each event inside the transaction
//! the platform opened for it (which also records it in the inbox, so a
//! redelivered event is applied once):
//! - `orders.order.confirmed` creates the order's shipment (once: a second
//!   event for the same order creates nothing more);
//! - `orders.order.cancelled` cancels it if it has not shipped (a backstop:
//!   the orders service cancels it first with CancelShipment, which also
//!   covers an order whose confirmed event has not arrived yet).
//!
//! The consumer is ordered (see `serve`), so an order's cancelled event is
//! never applied before its confirmed one.

use contracts::{
    events::{Event, event::Payload},
    orders::Order,
};
use futures_util::future::BoxFuture;
use platform::{
    clock::Clock,
    events::{Conn, Handler, HandlerError, types},
};

use crate::{
    domain::{CancelReason, Line, NewShipment, OrderId, UserId},
    error::Error,
    store::{self, Cancelled},
};

/// The consumer's name, also its queue's (see the platform's topology).
pub const CONSUMER: &str = "fulfilment";

/// Turns the orders' confirmations and cancellations into shipments.
pub struct EventHandler {
    clock: Clock,
}

impl EventHandler {
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }
}

/// The order an `orders.order.*` event carries.
fn order_of(event: &Event) -> Result<&Order, String> {
    match &event.payload {
        Some(Payload::Order(changed)) => changed
            .order
            .as_ref()
            .ok_or_else(|| "the event carries no order".to_owned()),
        _ => Err("the payload is not the one its type promises".into()),
    }
}

/// What a confirmed order asks to be shipped.
fn new_shipment(order: &Order) -> Result<NewShipment, String> {
    let order_id = OrderId::parse(&order.id).map_err(|e| format!("order id {e}"))?;
    let user_id = UserId::parse(&order.user_id).map_err(|e| format!("user id {e}"))?;
    if order.lines.is_empty() {
        return Err("the order has no lines".into());
    }
    let address = order
        .shipping_address
        .as_ref()
        .ok_or("the order has no shipping address")?;
    Ok(NewShipment {
        order_id,
        user_id,
        lines: order
            .lines
            .iter()
            .map(|l| Line {
                product_id: l.product_id.clone(),
                product_name: l.product_name.clone(),
                quantity: l.quantity,
            })
            .collect(),
        address: address.into(),
    })
}

impl Handler for EventHandler {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let malformed = |reason: String| {
                HandlerError::Rejected(format!("malformed {} event: {reason}", event.r#type))
            };
            let now = self.clock.now();
            match event.r#type.as_str() {
                types::ORDER_CONFIRMED => {
                    let new = order_of(event).and_then(new_shipment).map_err(malformed)?;
                    store::create(conn, new, now).await.map_err(handler_error)?;
                }
                types::ORDER_CANCELLED => {
                    let order = order_of(event).map_err(malformed)?;
                    let order_id = OrderId::parse(&order.id)
                        .map_err(|e| malformed(format!("order id {e}")))?;
                    let reason = CancelReason::parse(&order.cancel_reason)
                        .map_err(|e| malformed(format!("cancel reason {e}")))?;
                    let cancelled = store::cancel_order(conn, &order_id, &reason, now)
                        .await
                        .map_err(handler_error)?;
                    if let Cancelled::TooLate(status) = cancelled {
                        // Orders does not refuse cancelling an order whose
                        // parcel has left yet: the parcel goes on.
                        tracing::warn!(
                            order_id = %order_id,
                            status = status.as_str(),
                            "an order was cancelled after its shipment left; the shipment stays"
                        );
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }
}

/// A database failure is passing (retried); anything else is about the
/// event, and retrying will not mend it.
fn handler_error(error: Error) -> HandlerError {
    match error {
        Error::Db(db) => HandlerError::from(db),
        other => HandlerError::Rejected(other.to_string()),
    }
}

//! The consumer `cart`, applying each event inside the transaction the
//! platform opened for it (which also records it in the inbox, so a
//! redelivered event is applied once):
//! - `catalog.product.created`, `updated` and `deleted` keep the local copy
//!   of the catalog's products and mark the cart lines a price change or a
//!   deletion affects. So AddItem never calls the catalog, and the cart
//!   shows current prices and availability.
//! - `orders.order.confirmed`, `failed` and `cancelled` settle the checkout
//!   the order was placed for, if it was placed from a cart: the ordered
//!   lines leave the cart only once the order is confirmed.

use std::time::Duration;

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
    domain::{Product, checkout::Settlement},
    error::Error,
    store,
};

/// The consumer's name, also its queue's (see the platform's topology).
pub const CONSUMER: &str = "cart";

/// Applies the catalog's product events and the orders' outcomes.
pub struct EventHandler {
    clock: Clock,
    /// How long a cart is kept idle (a settled checkout changes the cart).
    idle_expiry: Duration,
}

impl EventHandler {
    pub fn new(clock: Clock, idle_expiry: Duration) -> Self {
        Self { clock, idle_expiry }
    }
}

/// The order an `orders.order.*` event describes and what it means for
/// the cart it may have been placed from; `None` for other events and for
/// outcomes the cart does not wait for (placed).
fn outcome_of(event: &Event) -> Result<Option<(&Order, Settlement)>, String> {
    let outcome = match event.r#type.as_str() {
        types::ORDER_CONFIRMED => Settlement::Confirmed,
        // Cancelled after it was confirmed, the checkout is settled already.
        types::ORDER_FAILED | types::ORDER_CANCELLED => Settlement::Failed,
        _ => return Ok(None),
    };
    match &event.payload {
        Some(Payload::Order(changed)) => {
            let order = changed.order.as_ref().ok_or("the event carries no order")?;
            Ok(Some((order, outcome)))
        }
        _ => Err("the payload is not the one its type promises".into()),
    }
}

/// The product an event describes; `None` for a type this consumer
/// ignores. A malformed event is an error that retrying will not mend.
fn product_of(event: &Event) -> Result<Option<Product>, String> {
    let event_type = event.r#type.as_str();
    match (event_type, &event.payload) {
        (types::PRODUCT_CREATED | types::PRODUCT_UPDATED, Some(Payload::Product(changed))) => {
            let product = changed
                .product
                .as_ref()
                .ok_or("the event carries no product")?;
            let price = product.price.as_ref().ok_or("the product has no price")?;
            if product.id.is_empty() {
                return Err("the product has no id".into());
            }
            Ok(Some(Product {
                id: product.id.clone(),
                name: product.name.clone(),
                price_minor: price.amount_minor,
                currency: price.currency_code.clone(),
                deleted: false,
            }))
        }
        (types::PRODUCT_DELETED, Some(Payload::ProductDeleted(deleted))) => {
            if deleted.product_id.is_empty() {
                return Err("the event names no product".into());
            }
            Ok(Some(Product {
                id: deleted.product_id.clone(),
                name: deleted.name.clone(),
                price_minor: 0,
                currency: String::new(),
                deleted: true,
            }))
        }
        (types::PRODUCT_CREATED | types::PRODUCT_UPDATED | types::PRODUCT_DELETED, _) => {
            Err("the payload is not the one its type promises".into())
        }
        _ => Ok(None),
    }
}

impl Handler for EventHandler {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let product = product_of(event).map_err(|reason| {
                HandlerError::Rejected(format!("malformed {} event: {reason}", event.r#type))
            })?;
            if let Some(product) = product {
                store::product_published(
                    conn,
                    &product,
                    event.aggregate_sequence,
                    self.clock.now(),
                )
                .await?;
                return Ok(());
            }
            let outcome = outcome_of(event).map_err(|reason| {
                HandlerError::Rejected(format!("malformed {} event: {reason}", event.r#type))
            })?;
            if let Some((order, outcome)) = outcome {
                // Orders not placed from a cart match no checkout.
                let now = self.clock.now();
                store::settle(
                    conn,
                    &order.request_id,
                    &order.id,
                    outcome,
                    now,
                    self.idle_expiry,
                )
                .await
                .map_err(handler_error)?;
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

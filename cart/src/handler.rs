//! The consumer `cart`: keeps the local copy of the catalog's products
//! from `catalog.product.created`, `updated` and `deleted`, inside the
//! transaction the platform opened for each event (which also records it
//! in the inbox), and marks the cart lines a price change or a deletion
//! affects. So AddItem never calls the catalog, and the cart shows current
//! prices and availability.

use contracts::events::{Event, event::Payload};
use futures_util::future::BoxFuture;
use platform::{
    clock::Clock,
    events::{Conn, Handler, HandlerError, types},
};

use crate::{domain::Product, store};

/// The consumer's name, also its queue's (see the platform's topology).
pub const CONSUMER: &str = "cart";

/// Applies the catalog's product events.
pub struct EventHandler {
    clock: Clock,
}

impl EventHandler {
    pub fn new(clock: Clock) -> Self {
        Self { clock }
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
            }
            Ok(())
        })
    }
}

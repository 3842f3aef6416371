//! The events the catalog publishes, written by the store in the
//! transaction of the change: `catalog.product.created`, `updated` (with
//! the previous price when it changed) and `deleted`, and
//! `catalog.stock.low` when a product's available units fall below the
//! threshold (once per crossing: a sale that starts below it says
//! nothing). All of a product's events share its id as aggregate.

use contracts::{
    catalog as proto,
    events::{ProductChanged, ProductDeleted, StockLow, event::Payload},
};
use platform::events::{NewEvent, types};

use crate::domain::Product;

/// A product was created.
pub fn created(product: &Product) -> NewEvent {
    changed(types::PRODUCT_CREATED, product, None)
}

/// A product was changed; `previous_price` when its price did.
pub fn updated(product: &Product, previous_price: Option<i64>) -> NewEvent {
    changed(types::PRODUCT_UPDATED, product, previous_price)
}

fn changed(event_type: &'static str, product: &Product, previous: Option<i64>) -> NewEvent {
    NewEvent {
        event_type,
        aggregate_id: product.id.to_string(),
        payload: Payload::Product(ProductChanged {
            // Without availability: it follows stock, which changes without
            // a product event, so a copy here would be stale at once and
            // would make the payload depend on the reservations that raced
            // the change. Consumers that need stock ask for it.
            product: Some(proto::Product {
                availability: None,
                ..proto::Product::from(product)
            }),
            previous_price_minor: previous,
        }),
    }
}

/// A product was deleted.
pub fn deleted(product: &Product) -> NewEvent {
    NewEvent {
        event_type: types::PRODUCT_DELETED,
        aggregate_id: product.id.to_string(),
        payload: Payload::ProductDeleted(ProductDeleted {
            product_id: product.id.to_string(),
            name: product.name.as_str().to_owned(),
        }),
    }
}

/// The event for a product's available units going from `before` to
/// `after`, if that crossed `threshold` downwards.
pub fn stock_low(product_id: &str, before: i64, after: i64, threshold: i64) -> Option<NewEvent> {
    (before >= threshold && after < threshold).then(|| NewEvent {
        event_type: types::STOCK_LOW,
        aggregate_id: product_id.to_owned(),
        payload: Payload::StockLow(StockLow {
            product_id: product_id.to_owned(),
            available: after,
            threshold,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::stock_low;

    #[test]
    fn stock_low_is_said_once_when_the_threshold_is_crossed_downwards() {
        assert!(stock_low("p", 6, 4, 5).is_some(), "crossed");
        assert!(
            stock_low("p", 5, 4, 5).is_some(),
            "from the threshold to below it"
        );
        assert!(stock_low("p", 4, 3, 5).is_none(), "already below");
        assert!(
            stock_low("p", 9, 5, 5).is_none(),
            "down to the threshold, not below"
        );
        assert!(stock_low("p", 3, 8, 5).is_none(), "going up");
    }
}

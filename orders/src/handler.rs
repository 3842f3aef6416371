//! The consumer `orders`, following each order's parcel from the
//! fulfilment service's shipment events, inside the transaction the
//! platform opened for the event (which also records it in the inbox, so a
//! redelivered event is applied once):
//! - `fulfilment.shipment.shipped`: CONFIRMED -> SHIPPED, with the carrier,
//!   tracking number and ship time;
//! - `.delivered`: CONFIRMED or SHIPPED -> DELIVERED (with the parcel's
//!   details, should the shipped event never have been applied);
//! - `.cancelled`: CONFIRMED -> CANCELLING, then the saga refunds and
//!   restocks: this finishes a CancelOrder that stopped between the
//!   shipment's cancellation and the order's.
//!
//! Never backwards: news an order is past (or was never concerned by)
//! changes nothing and is acknowledged, as is news of an unknown order.

use contracts::{
    events::{Event, event::Payload},
    fulfilment::Shipment as ShipmentMessage,
    timestamp,
};
use futures_util::future::BoxFuture;
use platform::events::{Conn, Handler, HandlerError, types};

use crate::{
    checkout::Checkout,
    domain::{OrderId, ParcelNews, Shipment},
    error::Error,
    notify::Notifier,
    store::{
        Store,
        parcel::{self, Followed},
    },
};

/// The consumer's name, also its queue's (see the platform's topology).
pub const CONSUMER: &str = "orders";

/// Moves orders along as their parcels move.
pub struct EventHandler {
    store: Store,
    checkout: Checkout,
    notifier: Notifier,
}

impl EventHandler {
    pub fn new(store: Store, checkout: Checkout, notifier: Notifier) -> Self {
        Self {
            store,
            checkout,
            notifier,
        }
    }
}

/// The shipment a `fulfilment.shipment.*` event carries.
fn shipment_of(event: &Event) -> Result<&ShipmentMessage, String> {
    match &event.payload {
        Some(Payload::Shipment(changed)) => changed
            .shipment
            .as_ref()
            .ok_or_else(|| "the event carries no shipment".to_owned()),
        _ => Err("the payload is not the one its type promises".into()),
    }
}

/// The parcel of a shipment that has left.
fn parcel_of(shipment: &ShipmentMessage) -> Result<Shipment, String> {
    let delivered_at = shipment
        .deliver_time
        .as_ref()
        .and_then(timestamp::to_datetime);
    let shipped_at = shipment
        .ship_time
        .as_ref()
        .and_then(timestamp::to_datetime)
        .or(delivered_at)
        .ok_or("the shipment has no ship time")?;
    if shipment.carrier.is_empty() || shipment.tracking_number.is_empty() {
        return Err("the shipment has no carrier or tracking number".into());
    }
    Ok(Shipment {
        shipment_id: shipment.id.clone(),
        carrier: shipment.carrier.clone(),
        tracking_number: shipment.tracking_number.clone(),
        shipped_at,
        delivered_at,
    })
}

/// The news an event brings, and of which order; `None` for other events.
fn news_of(event: &Event) -> Result<Option<(OrderId, ParcelNews)>, String> {
    let event_type = event.r#type.as_str();
    if !matches!(
        event_type,
        types::SHIPMENT_SHIPPED | types::SHIPMENT_DELIVERED | types::SHIPMENT_CANCELLED
    ) {
        return Ok(None);
    }
    let shipment = shipment_of(event)?;
    let order_id = OrderId::parse(&shipment.order_id).map_err(|e| format!("order id {e}"))?;
    let news = match event_type {
        types::SHIPMENT_SHIPPED => ParcelNews::Shipped(parcel_of(shipment)?),
        types::SHIPMENT_DELIVERED => {
            let parcel = parcel_of(shipment)?;
            if parcel.delivered_at.is_none() {
                return Err("the shipment has no delivery time".into());
            }
            ParcelNews::Delivered(parcel)
        }
        _ => ParcelNews::Cancelled {
            reason: shipment.cancel_reason.clone(),
        },
    };
    Ok(Some((order_id, news)))
}

impl Handler for EventHandler {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let Some((order_id, news)) = news_of(event).map_err(|reason| {
                HandlerError::Rejected(format!("malformed {} event: {reason}", event.r#type))
            })?
            else {
                return Ok(());
            };
            let now = self.store.clock().now();
            match parcel::follow(conn, &order_id, &news, now)
                .await
                .map_err(handler_error)?
            {
                Followed::Moved(order) => {
                    tracing::info!(%order_id, status = order.status.as_str(), "order follows its parcel");
                }
                Followed::Unchanged(status) => tracing::info!(
                    %order_id,
                    status = status.as_str(),
                    event = event.r#type.as_str(),
                    "parcel news that does not move the order; acknowledged"
                ),
                Followed::Unknown => tracing::warn!(
                    %order_id,
                    event = event.r#type.as_str(),
                    "parcel news of an unknown order; acknowledged"
                ),
            }
            Ok(())
        })
    }

    /// Now that the batch's changes are visible: wakes this process's
    /// watchers of the orders concerned, and drives those whose shipment
    /// was cancelled (a drive of an order at rest does nothing; should
    /// this process stop first, the recovery loop resumes the order).
    fn committed(&self, applied: &[&Event]) {
        for event in applied {
            let Ok(Some((order_id, news))) = news_of(event) else {
                continue;
            };
            self.notifier.changed(&order_id);
            if matches!(news, ParcelNews::Cancelled { .. }) {
                let checkout = self.checkout.clone();
                tokio::spawn(async move {
                    if let Err(error) = checkout.drive(&order_id).await {
                        tracing::warn!(%order_id, %error, "cancellation postponed; recovery will resume it");
                    }
                });
            }
        }
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

#[cfg(test)]
mod tests {
    use contracts::events::ShipmentChanged;

    use super::*;

    fn event(event_type: &str, shipment: ShipmentMessage) -> Event {
        Event {
            r#type: event_type.into(),
            payload: Some(Payload::Shipment(ShipmentChanged {
                shipment: Some(shipment),
            })),
            ..Default::default()
        }
    }

    fn left(carrier: &str) -> ShipmentMessage {
        ShipmentMessage {
            id: "s-1".into(),
            order_id: "0190a1b2-0000-7000-8000-000000000001".into(),
            carrier: carrier.into(),
            tracking_number: "1Z999".into(),
            ship_time: Some(timestamp::from_datetime(time::OffsetDateTime::UNIX_EPOCH)),
            ..Default::default()
        }
    }

    #[test]
    fn a_shipped_event_brings_the_parcel() {
        let (_, news) = news_of(&event(types::SHIPMENT_SHIPPED, left("DHL")))
            .expect("well formed")
            .expect("news");
        let ParcelNews::Shipped(parcel) = news else {
            panic!("expected shipped news, got {news:?}");
        };
        assert_eq!(
            (parcel.carrier.as_str(), parcel.delivered_at),
            ("DHL", None)
        );
    }

    #[test]
    fn a_parcel_without_a_carrier_or_a_delivery_time_is_malformed() {
        assert!(news_of(&event(types::SHIPMENT_SHIPPED, left(""))).is_err());
        assert!(news_of(&event(types::SHIPMENT_DELIVERED, left("DHL"))).is_err());
    }

    #[test]
    fn other_events_are_not_news() {
        let packed = event("fulfilment.shipment.packed", left("DHL"));
        assert_eq!(news_of(&packed), Ok(None));
    }
}

//! The events fulfilment publishes: `fulfilment.shipment.created` when a
//! confirmed order's shipment is made, then `packed`, `shipped`,
//! `delivered` or `cancelled` as it reaches that status, each carrying the
//! whole shipment. The store writes them in the transaction of the change
//! (the outbox).

use contracts::events::{ShipmentChanged, event::Payload};
use platform::events::{NewEvent, types};

use crate::domain::{Shipment, Status};

/// The event for `shipment` having just reached its status (PENDING: just
/// created).
pub fn for_status(shipment: &Shipment) -> NewEvent {
    let event_type = match shipment.status {
        Status::Pending => types::SHIPMENT_CREATED,
        Status::Packed => types::SHIPMENT_PACKED,
        Status::Shipped => types::SHIPMENT_SHIPPED,
        Status::Delivered => types::SHIPMENT_DELIVERED,
        Status::Cancelled => types::SHIPMENT_CANCELLED,
    };
    NewEvent {
        event_type,
        aggregate_id: shipment.id.to_string(),
        payload: Payload::Shipment(ShipmentChanged {
            shipment: Some(shipment.into()),
        }),
    }
}

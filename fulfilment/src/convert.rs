//! The contract's messages for the domain's values: a [`Shipment`] as
//! `shop.fulfilment.v1.Shipment` (what the API answers and what the
//! events carry), and the status enum both ways.

use contracts::{common, fulfilment as proto, timestamp};

use crate::domain::{Address, Shipment, Status};

impl From<Status> for proto::ShipmentStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pending => proto::ShipmentStatus::Pending,
            Status::Packed => proto::ShipmentStatus::Packed,
            Status::Shipped => proto::ShipmentStatus::Shipped,
            Status::Delivered => proto::ShipmentStatus::Delivered,
            Status::Cancelled => proto::ShipmentStatus::Cancelled,
        }
    }
}

/// The status filter of a listing: unspecified is any status.
pub fn status_filter(raw: i32) -> Result<Option<Status>, String> {
    match proto::ShipmentStatus::try_from(raw) {
        Ok(proto::ShipmentStatus::Unspecified) => Ok(None),
        Ok(proto::ShipmentStatus::Pending) => Ok(Some(Status::Pending)),
        Ok(proto::ShipmentStatus::Packed) => Ok(Some(Status::Packed)),
        Ok(proto::ShipmentStatus::Shipped) => Ok(Some(Status::Shipped)),
        Ok(proto::ShipmentStatus::Delivered) => Ok(Some(Status::Delivered)),
        Ok(proto::ShipmentStatus::Cancelled) => Ok(Some(Status::Cancelled)),
        Err(_) => Err("must be a ShipmentStatus".into()),
    }
}

impl From<&Address> for common::Address {
    fn from(a: &Address) -> Self {
        common::Address {
            recipient: a.recipient.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country_code: a.country_code.clone(),
        }
    }
}

impl From<&common::Address> for Address {
    fn from(a: &common::Address) -> Self {
        Address {
            recipient: a.recipient.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country_code: a.country_code.clone(),
        }
    }
}

impl From<&Shipment> for proto::Shipment {
    fn from(s: &Shipment) -> Self {
        proto::Shipment {
            id: s.id.to_string(),
            order_id: s.order_id.to_string(),
            user_id: s.user_id.to_string(),
            status: proto::ShipmentStatus::from(s.status).into(),
            lines: s
                .lines
                .iter()
                .map(|l| proto::ShipmentLine {
                    product_id: l.product_id.clone(),
                    product_name: l.product_name.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            address: Some((&s.address).into()),
            carrier: s
                .dispatch
                .as_ref()
                .map(|d| d.carrier.to_string())
                .unwrap_or_default(),
            tracking_number: s
                .dispatch
                .as_ref()
                .map(|d| d.tracking_number.to_string())
                .unwrap_or_default(),
            create_time: Some(timestamp::from_datetime(s.created_at)),
            pack_time: s.packed_at.map(timestamp::from_datetime),
            ship_time: s.shipped_at.map(timestamp::from_datetime),
            deliver_time: s.delivered_at.map(timestamp::from_datetime),
            cancel_time: s.cancelled_at.map(timestamp::from_datetime),
            update_time: Some(timestamp::from_datetime(s.updated_at)),
            cancel_reason: s.cancel_reason.clone(),
        }
    }
}

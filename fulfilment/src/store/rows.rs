//! A shipment as its row: the conversions both ways, and what a change
//! writes. Lines and address are stored as JSON (read and written whole).

use diesel::prelude::*;
use platform::clock::{from_micros, to_micros};

use super::shipments;
use crate::{
    domain::{Carrier, Dispatch, OrderId, Shipment, ShipmentId, Status, TrackingNumber, UserId},
    error::{Error, Result},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipments)]
pub(super) struct ShipmentRow {
    pub id: String,
    pub order_id: String,
    pub user_id: String,
    pub status: String,
    pub lines: String,
    pub address: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: i64,
    pub packed_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub updated_at: i64,
    pub cancel_reason: String,
    pub awaiting_order: bool,
}

/// What a change writes: everything that moves in a shipment's life.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = shipments, treat_none_as_null = true)]
pub(super) struct ChangeRow {
    pub status: &'static str,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub packed_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: String,
    pub updated_at: i64,
}

impl ChangeRow {
    pub fn of(s: &Shipment) -> Self {
        Self {
            status: s.status.as_str(),
            carrier: s.dispatch.as_ref().map(|d| d.carrier.to_string()),
            tracking_number: s.dispatch.as_ref().map(|d| d.tracking_number.to_string()),
            packed_at: s.packed_at.map(to_micros),
            shipped_at: s.shipped_at.map(to_micros),
            delivered_at: s.delivered_at.map(to_micros),
            cancelled_at: s.cancelled_at.map(to_micros),
            cancel_reason: s.cancel_reason.clone(),
            updated_at: to_micros(s.updated_at),
        }
    }
}

/// What an order's confirmed event writes into the shipment cancelled in
/// advance of it: what only the event knows.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = shipments)]
pub(super) struct ArrivedRow {
    pub user_id: String,
    pub lines: String,
    pub address: String,
    pub awaiting_order: bool,
    pub updated_at: i64,
}

impl ArrivedRow {
    /// What `s`, the shipment the event asks for, fills in.
    pub fn of(s: &Shipment) -> Result<Self, serde_json::Error> {
        Ok(Self {
            user_id: s.user_id.to_string(),
            lines: serde_json::to_string(&s.lines)?,
            address: serde_json::to_string(&s.address)?,
            awaiting_order: false,
            updated_at: to_micros(s.updated_at),
        })
    }
}

impl ShipmentRow {
    /// The row of a new shipment.
    pub fn new(s: &Shipment) -> Result<Self, serde_json::Error> {
        let change = ChangeRow::of(s);
        Ok(Self {
            id: s.id.to_string(),
            order_id: s.order_id.to_string(),
            user_id: s.user_id.to_string(),
            status: change.status.to_owned(),
            lines: serde_json::to_string(&s.lines)?,
            address: serde_json::to_string(&s.address)?,
            carrier: change.carrier,
            tracking_number: change.tracking_number,
            created_at: to_micros(s.created_at),
            packed_at: change.packed_at,
            shipped_at: change.shipped_at,
            delivered_at: change.delivered_at,
            cancelled_at: change.cancelled_at,
            updated_at: change.updated_at,
            cancel_reason: change.cancel_reason,
            awaiting_order: s.awaiting_order,
        })
    }
}

impl TryFrom<ShipmentRow> for Shipment {
    type Error = Error;

    fn try_from(row: ShipmentRow) -> Result<Self> {
        let id = &row.id;
        let corrupt = |what: &str| Error::Corrupt(format!("shipment {id}: {what}"));
        let dispatch = match (&row.carrier, &row.tracking_number) {
            (Some(carrier), Some(tracking)) => Some(Dispatch {
                carrier: Carrier::parse(carrier).map_err(|_| corrupt("carrier"))?,
                tracking_number: TrackingNumber::parse(tracking)
                    .map_err(|_| corrupt("tracking number"))?,
            }),
            (None, None) => None,
            _ => return Err(corrupt("carrier without tracking number")),
        };
        Ok(Shipment {
            id: ShipmentId::parse(&row.id).map_err(|_| corrupt("id"))?,
            order_id: OrderId::parse(&row.order_id).map_err(|_| corrupt("order id"))?,
            user_id: UserId::parse(&row.user_id).map_err(|_| corrupt("user id"))?,
            status: Status::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            lines: serde_json::from_str(&row.lines).map_err(|_| corrupt("lines"))?,
            address: serde_json::from_str(&row.address).map_err(|_| corrupt("address"))?,
            dispatch,
            created_at: from_micros(row.created_at),
            packed_at: row.packed_at.map(from_micros),
            shipped_at: row.shipped_at.map(from_micros),
            delivered_at: row.delivered_at.map(from_micros),
            cancelled_at: row.cancelled_at.map(from_micros),
            cancel_reason: row.cancel_reason,
            updated_at: from_micros(row.updated_at),
            awaiting_order: row.awaiting_order,
        })
    }
}

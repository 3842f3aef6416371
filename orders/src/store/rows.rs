//! Rows as diesel reads and writes them, and their conversion to and from
//! the domain.

use diesel::prelude::*;
use platform::clock::{from_micros, to_micros};

use super::schema::{order_events, order_lines, order_shipping, order_shortfalls, orders};
use crate::{
    domain::{
        Address, Currency, FailureReason, MethodType, Money, Order, OrderEvent, OrderId, OrderLine,
        OrderNumber, OrderStatus, PaymentId, ProductId, QuoteId, Shipment, ShippingChoice,
        Shortfall, UserId,
    },
    error::{Error, Result},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: String,
    pub user_id: String,
    pub request_id: String,
    pub fingerprint: String,
    pub status: String,
    pub currency: String,
    pub total_minor: i64,
    pub payment_method: String,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub payment_id: Option<String>,
    pub failure_reason: Option<String>,
    pub decline_code: Option<String>,
    pub cancel_reason: Option<String>,
    pub ship_recipient: String,
    pub ship_line1: String,
    pub ship_line2: String,
    pub ship_city: String,
    pub ship_region: String,
    pub ship_postal_code: String,
    pub ship_country_code: String,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub subtotal_minor: i64,
    pub shipment_id: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
    /// `None` only until an order an earlier version placed is numbered.
    pub number: Option<String>,
}

/// What a move along the saga (or the parcel's news) changes in an
/// order's row. NULLs are written as NULL, so the statement's text is
/// always the same.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = orders, treat_none_as_null = true)]
pub struct MoveRow {
    pub status: String,
    pub failure_reason: Option<String>,
    pub decline_code: Option<String>,
    pub payment_id: Option<String>,
    pub card_brand: Option<String>,
    pub cancel_reason: Option<String>,
    pub updated_at: i64,
    pub shipment_id: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

impl MoveRow {
    /// The columns a move to `order` (as it is after the move) writes.
    pub fn new(order: &Order) -> Self {
        let row = OrderRow::new(order, "");
        Self {
            status: row.status,
            failure_reason: row.failure_reason,
            decline_code: row.decline_code,
            payment_id: row.payment_id,
            card_brand: row.card_brand,
            cancel_reason: row.cancel_reason,
            updated_at: row.updated_at,
            shipment_id: row.shipment_id,
            carrier: row.carrier,
            tracking_number: row.tracking_number,
            shipped_at: row.shipped_at,
            delivered_at: row.delivered_at,
        }
    }
}

/// A parcel's columns, as orders and their events store them.
type ParcelColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

fn parcel_columns(shipment: Option<&Shipment>) -> ParcelColumns {
    match shipment {
        None => (None, None, None, None, None),
        Some(s) => (
            Some(s.shipment_id.clone()),
            Some(s.carrier.clone()),
            Some(s.tracking_number.clone()),
            Some(to_micros(s.shipped_at)),
            s.delivered_at.map(to_micros),
        ),
    }
}

/// The parcel the columns describe, if it has left.
fn parcel(columns: ParcelColumns) -> Option<Shipment> {
    let (shipment_id, carrier, tracking_number, shipped_at, delivered_at) = columns;
    Some(Shipment {
        shipment_id: shipment_id?,
        carrier: carrier?,
        tracking_number: tracking_number?,
        shipped_at: from_micros(shipped_at?),
        delivered_at: delivered_at.map(from_micros),
    })
}

impl OrderRow {
    pub fn new(order: &Order, fingerprint: &str) -> Self {
        let a = &order.address;
        let (shipment_id, carrier, tracking_number, shipped_at, delivered_at) =
            parcel_columns(order.shipment.as_ref());
        Self {
            id: order.id.to_string(),
            user_id: order.user_id.as_str().to_owned(),
            request_id: order.request_id.clone(),
            fingerprint: fingerprint.to_owned(),
            status: order.status.as_str().to_owned(),
            currency: order.total.currency().as_str().to_owned(),
            total_minor: order.total.minor(),
            payment_method: order.method.as_str().to_owned(),
            card_brand: order.card_brand.clone(),
            card_last4: order.card_last4.clone(),
            payment_id: order.payment_id.map(|id| id.to_string()),
            failure_reason: order.failure_reason.map(|r| r.as_str().to_owned()),
            decline_code: order.decline_code.clone(),
            cancel_reason: order.cancel_reason.clone(),
            ship_recipient: a.recipient.clone(),
            ship_line1: a.line1.clone(),
            ship_line2: a.line2.clone(),
            ship_city: a.city.clone(),
            ship_region: a.region.clone(),
            ship_postal_code: a.postal_code.clone(),
            ship_country_code: a.country_code.clone(),
            lease_owner: None,
            lease_until: 0,
            created_at: to_micros(order.created_at),
            updated_at: to_micros(order.updated_at),
            subtotal_minor: order.subtotal.minor(),
            shipment_id,
            carrier,
            tracking_number,
            shipped_at,
            delivered_at,
            number: order.number.as_ref().map(|n| n.as_str().to_owned()),
        }
    }

    pub fn into_order(
        self,
        lines: Vec<LineRow>,
        shipping: Option<ShippingRow>,
        shortfalls: Vec<ShortfallRow>,
    ) -> Result<Order> {
        let corrupt = |what: &str| Error::Corrupt(format!("order {}: {what}", self.id));
        let currency = Currency::parse(&self.currency).map_err(|_| corrupt("currency"))?;
        Ok(Order {
            id: OrderId::parse(&self.id).map_err(|_| corrupt("id"))?,
            number: match &self.number {
                Some(n) => Some(OrderNumber::parse(n).map_err(|_| corrupt("number"))?),
                None => None,
            },
            shortfalls: shortfalls
                .into_iter()
                .map(|row| {
                    Ok(Shortfall {
                        product_id: ProductId::parse(&row.product_id)
                            .map_err(|_| corrupt("shortfall product id"))?,
                        product_name: row.product_name,
                        requested: row.requested,
                        available: row.available,
                    })
                })
                .collect::<Result<_>>()?,
            user_id: UserId::parse(&self.user_id).map_err(|_| corrupt("user id"))?,
            payment_id: match &self.payment_id {
                Some(id) => Some(PaymentId::parse(id).map_err(|_| corrupt("payment id"))?),
                None => None,
            },
            status: OrderStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            method: MethodType::parse(&self.payment_method).ok_or_else(|| corrupt("method"))?,
            failure_reason: match &self.failure_reason {
                Some(r) => Some(FailureReason::parse(r).ok_or_else(|| corrupt("reason"))?),
                None => None,
            },
            lines: lines
                .into_iter()
                .map(|line| line.into_line(currency))
                .collect::<Result<_>>()?,
            address: Address {
                recipient: self.ship_recipient,
                line1: self.ship_line1,
                line2: self.ship_line2,
                city: self.ship_city,
                region: self.ship_region,
                postal_code: self.ship_postal_code,
                country_code: self.ship_country_code,
            },
            shipping_quote_id: match &shipping {
                Some(row) => Some(QuoteId::parse(&row.quote_id).map_err(|_| corrupt("quote id"))?),
                None => None,
            },
            shipping: shipping.map(|row| row.into_choice(currency)),
            shipment: parcel((
                self.shipment_id,
                self.carrier,
                self.tracking_number,
                self.shipped_at,
                self.delivered_at,
            )),
            request_id: self.request_id,
            subtotal: Money::new(currency, self.subtotal_minor),
            total: Money::new(currency, self.total_minor),
            card_brand: self.card_brand,
            card_last4: self.card_last4,
            decline_code: self.decline_code,
            cancel_reason: self.cancel_reason,
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_shipping)]
pub struct ShippingRow {
    pub order_id: String,
    pub quote_id: String,
    pub option_code: String,
    pub option_name: String,
    pub price_minor: i64,
    pub earliest_delivery: Option<i64>,
    pub latest_delivery: Option<i64>,
}

impl ShippingRow {
    /// The row of an order placed with a shipping option, if it was.
    pub fn of(order: &Order) -> Option<Self> {
        let (choice, quote_id) = (order.shipping.as_ref()?, order.shipping_quote_id?);
        Some(Self {
            order_id: order.id.to_string(),
            quote_id: quote_id.to_string(),
            option_code: choice.code.clone(),
            option_name: choice.name.clone(),
            price_minor: choice.price.minor(),
            earliest_delivery: choice.earliest_delivery.map(to_micros),
            latest_delivery: choice.latest_delivery.map(to_micros),
        })
    }

    /// The option, priced in the order's `currency` (checked at checkout).
    fn into_choice(self, currency: Currency) -> ShippingChoice {
        ShippingChoice {
            code: self.option_code,
            name: self.option_name,
            price: Money::new(currency, self.price_minor),
            earliest_delivery: self.earliest_delivery.map(from_micros),
            latest_delivery: self.latest_delivery.map(from_micros),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_shortfalls)]
pub struct ShortfallRow {
    pub order_id: String,
    pub product_id: String,
    pub product_name: String,
    pub requested: i64,
    pub available: i64,
}

impl ShortfallRow {
    /// The rows of order `order_id`'s `shortfalls`.
    pub fn of(order_id: &OrderId, shortfalls: &[Shortfall]) -> Vec<Self> {
        shortfalls
            .iter()
            .map(|s| Self {
                order_id: order_id.to_string(),
                product_id: s.product_id.to_string(),
                product_name: s.product_name.clone(),
                requested: s.requested,
                available: s.available,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_lines)]
pub struct LineRow {
    pub order_id: String,
    pub line_no: i32,
    pub product_id: String,
    pub product_name: String,
    pub unit_price_minor: i64,
    pub quantity: i64,
}

impl LineRow {
    /// The row of an order's `line_no`th line; an order has at most
    /// `MAX_LINES` lines, so a number past `i32` is a bug, not a wrap.
    pub fn new(order_id: &OrderId, line_no: usize, line: &OrderLine) -> Result<Self> {
        let line_no = i32::try_from(line_no).map_err(|_| {
            Error::Internal(format!("order {order_id}: line {line_no} out of range"))
        })?;
        Ok(Self {
            order_id: order_id.to_string(),
            line_no,
            product_id: line.product_id.to_string(),
            product_name: line.product_name.clone(),
            unit_price_minor: line.unit_price.minor(),
            quantity: line.quantity,
        })
    }

    /// The line of an order in `currency` (lines are priced in the order's).
    fn into_line(self, currency: Currency) -> Result<OrderLine> {
        let product_id = ProductId::parse(&self.product_id).map_err(|_| {
            Error::Corrupt(format!(
                "order {} line {}: product id",
                self.order_id, self.line_no
            ))
        })?;
        Ok(OrderLine {
            product_id,
            product_name: self.product_name,
            unit_price: Money::new(currency, self.unit_price_minor),
            quantity: self.quantity,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_events)]
pub struct EventRow {
    pub order_id: String,
    pub sequence: i64,
    pub status: String,
    pub failure_reason: Option<String>,
    pub decline_code: Option<String>,
    pub payment_id: Option<String>,
    pub card_brand: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_at: i64,
    pub shipment_id: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipped_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

impl EventRow {
    /// The event recording `order`'s current state as number `sequence`.
    pub fn of(order: &Order, sequence: i64) -> Self {
        let (shipment_id, carrier, tracking_number, shipped_at, delivered_at) =
            parcel_columns(order.shipment.as_ref());
        Self {
            shipment_id,
            carrier,
            tracking_number,
            shipped_at,
            delivered_at,
            order_id: order.id.to_string(),
            sequence,
            status: order.status.as_str().to_owned(),
            failure_reason: order.failure_reason.map(|r| r.as_str().to_owned()),
            decline_code: order.decline_code.clone(),
            payment_id: order.payment_id.map(|id| id.to_string()),
            card_brand: order.card_brand.clone(),
            cancel_reason: order.cancel_reason.clone(),
            created_at: to_micros(order.updated_at),
        }
    }

    pub fn into_event(self) -> Result<OrderEvent> {
        let corrupt = |what: &str| {
            Error::Corrupt(format!(
                "event {} of {}: {what}",
                self.sequence, self.order_id
            ))
        };
        Ok(OrderEvent {
            order_id: OrderId::parse(&self.order_id).map_err(|_| corrupt("order id"))?,
            payment_id: match &self.payment_id {
                Some(id) => Some(PaymentId::parse(id).map_err(|_| corrupt("payment id"))?),
                None => None,
            },
            status: OrderStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            failure_reason: match &self.failure_reason {
                Some(r) => Some(FailureReason::parse(r).ok_or_else(|| corrupt("reason"))?),
                None => None,
            },
            sequence: self.sequence,
            decline_code: self.decline_code,
            card_brand: self.card_brand,
            cancel_reason: self.cancel_reason,
            created_at: from_micros(self.created_at),
            shipment: parcel((
                self.shipment_id,
                self.carrier,
                self.tracking_number,
                self.shipped_at,
                self.delivered_at,
            )),
        })
    }
}

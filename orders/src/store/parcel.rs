//! Following an order's parcel inside the transaction the event consumer
//! opened: read the order, apply the news if its status allows, and write
//! the change, its event and what it publishes, all with the inbox record
//! of the fulfilment event (or not at all).

use platform::events::Conn;
use time::OffsetDateTime;

use super::orders::{load, write_move};
use crate::{
    domain::{Order, OrderId, OrderStatus, ParcelNews, shipping},
    error::Result,
};

/// What the news did to the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// The order moved; here it is now.
    Moved(Box<Order>),
    /// Nothing: the order is in this status, which the news does not move
    /// (past it already, or never concerned).
    Unchanged(OrderStatus),
    /// No such order here.
    Unknown,
}

/// Applies `news` about the parcel of order `order_id` on `conn`.
pub async fn follow(
    mut conn: Conn<'_>,
    order_id: &OrderId,
    news: &ParcelNews,
    now: OffsetDateTime,
) -> Result<Followed> {
    let Some((order, _)) = load(conn.reborrow(), &order_id.to_string()).await? else {
        return Ok(Followed::Unknown);
    };
    let Some(next) = shipping::followed(&order, news, now) else {
        return Ok(Followed::Unchanged(order.status));
    };
    // Read and written in one transaction: a conditional update on the
    // status read, so a concurrent CancelOrder cannot be overtaken.
    if write_move(conn, order.status, &next, &[], None).await? {
        Ok(Followed::Moved(Box::new(next)))
    } else {
        Ok(Followed::Unchanged(order.status))
    }
}

//! Shipment queries: created from a confirmed order (once per order),
//! read, listed oldest first, and changed by a conditional update on the
//! status the change was decided from, with the change's event in the
//! same transaction.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::to_micros,
    events::Conn,
    on_conn, on_db,
    paging::{Cursor, Page},
};
use time::OffsetDateTime;

use super::{
    Store,
    rows::{ArrivedRow, ChangeRow, ShipmentRow},
    shipments,
};
use crate::{
    domain::{
        CancelReason, Change, ListQuery, NewShipment, OrderId, Shipment, ShipmentId, Status,
        Transition, UserId,
    },
    error::{Error, Result},
    events,
};

/// How a shipment is looked up.
#[derive(Debug, Clone, Copy)]
enum Key<'a> {
    Id(&'a str),
    Order(&'a str),
}

async fn find(conn: Conn<'_>, key: Key<'_>) -> Result<Option<Shipment>> {
    let row: Option<ShipmentRow> = on_conn!(conn, |c| {
        let query = shipments::table
            .select(ShipmentRow::as_select())
            .into_boxed();
        let query = match key {
            Key::Id(id) => query.filter(shipments::id.eq(id)),
            Key::Order(order_id) => query.filter(shipments::order_id.eq(order_id)),
        };
        query.first(c).await.optional()?
    });
    row.map(Shipment::try_from).transpose()
}

/// Writes `next` over `current` if the shipment is still in the status
/// `current` was read in, with the event of the change; whether it was.
async fn write_change(
    conn: Conn<'_>,
    current: &Shipment,
    next: &Shipment,
) -> Result<bool, diesel::result::Error> {
    let id = current.id.to_string();
    let change = ChangeRow::of(next);
    let event = events::for_status(next);
    on_conn!(conn, |c| {
        let changed = diesel::update(
            shipments::table
                .filter(shipments::id.eq(&id))
                .filter(shipments::status.eq(current.status.as_str())),
        )
        .set(&change)
        .execute(c)
        .await?;
        if changed == 1 {
            platform::events::append(c.into(), event, next.updated_at).await?;
        }
        Ok(changed == 1)
    })
}

/// Creates the shipment of a confirmed order, with its `created` event, in
/// the consumer's transaction; `None` if the order has one already (a
/// duplicated event creates nothing more). An order cancelled before this
/// event arrived has a shipment waiting, CANCELLED: the event fills it in
/// and publishes it once, as `cancelled` (never created, then cancelled).
pub async fn create(
    conn: Conn<'_>,
    new: NewShipment,
    now: OffsetDateTime,
) -> Result<Option<Shipment>> {
    let order_key = new.order_id.to_string();
    let shipment = new.into_shipment(now);
    let encoding = |e: serde_json::Error| Error::Corrupt(format!("cannot encode a shipment: {e}"));
    let row = ShipmentRow::new(&shipment).map_err(encoding)?;
    let arrived = ArrivedRow::of(&shipment).map_err(encoding)?;
    let event = events::for_status(&shipment);
    on_conn!(conn, |c| {
        // On PostgreSQL, a CancelShipment inserting the waiting row at the
        // same time makes this insert wait for its commit (the unique
        // order_id), so the update below, a new statement under READ
        // COMMITTED, sees that row: one of the two always finds the other.
        let inserted = diesel::insert_into(shipments::table)
            .values(&row)
            .on_conflict(shipments::order_id)
            .do_nothing()
            .execute(c)
            .await?;
        if inserted == 1 {
            platform::events::append(c.into(), event, now).await?;
            return Ok(Some(shipment));
        }
        let filled = diesel::update(
            shipments::table
                .filter(shipments::order_id.eq(&order_key))
                .filter(shipments::awaiting_order.eq(true)),
        )
        .set(&arrived)
        .execute(c)
        .await?;
        if filled == 0 {
            return Ok(None);
        }
        let cancelled = find((&mut *c).into(), Key::Order(&order_key))
            .await?
            .ok_or_else(|| Error::Corrupt(format!("order {order_key}: its shipment vanished")))?;
        platform::events::append(c.into(), events::for_status(&cancelled), now).await?;
        Ok(Some(cancelled))
    })
}

/// What cancelling an order did to its shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// It was cancelled (and its event written).
    Now,
    /// It was cancelled already.
    Already,
    /// It is past cancelling (shipped or delivered): left as it is.
    TooLate(Status),
    /// The order has no shipment.
    NoShipment,
}

/// Cancels the shipment of the order `order_id`, if it has not shipped,
/// in the consumer's transaction.
pub async fn cancel_order(
    conn: Conn<'_>,
    order_id: &OrderId,
    reason: &CancelReason,
    now: OffsetDateTime,
) -> Result<Cancelled> {
    let key = order_id.to_string();
    let cancel = Transition::Cancel(reason.clone());
    on_conn!(conn, |c| {
        // An admin's change may win the race between the read and the
        // write (on PostgreSQL); decide again from what it left. A status
        // only moves forward, so this ends.
        loop {
            let Some(current) = find((&mut *c).into(), Key::Order(&key)).await? else {
                return Ok(Cancelled::NoShipment);
            };
            match current.apply(&cancel, now) {
                Err(refused) => return Ok(Cancelled::TooLate(refused.status)),
                Ok(Change::Unchanged) => return Ok(Cancelled::Already),
                Ok(Change::Changed(next)) => {
                    if write_change((&mut *c).into(), &current, &next).await? {
                        return Ok(Cancelled::Now);
                    }
                }
            }
        }
    })
}

impl Store {
    /// The shipment `id`, if there is one (and its order's confirmed event
    /// has arrived).
    pub async fn shipment(&self, id: &ShipmentId) -> Result<Option<Shipment>> {
        let key = id.to_string();
        let found = on_db!(&self.db, |conn| find(conn.into(), Key::Id(&key)).await?);
        Ok(found.filter(|s| !s.awaiting_order))
    }

    /// The shipment of the order `order_id`, if it has one yet.
    pub async fn shipment_of_order(&self, order_id: &OrderId) -> Result<Option<Shipment>> {
        let key = order_id.to_string();
        let found = on_db!(&self.db, |conn| {
            find(conn.into(), Key::Order(&key)).await?
        });
        Ok(found.filter(|s| !s.awaiting_order))
    }

    /// Cancels the shipment of the order `order_id` for `user_id` (the
    /// order's user, as the orders service names them), and returns it as
    /// it is then: cancelled now, or already. An order whose confirmed
    /// event has not arrived gets a shipment CANCELLED in advance, which
    /// the event fills in. Refused once the parcel has left.
    pub async fn cancel_shipment(
        &self,
        order_id: &OrderId,
        user_id: &UserId,
        reason: &CancelReason,
    ) -> Result<Shipment> {
        let now = self.clock.now();
        let key = order_id.to_string();
        let waiting = Shipment::cancelled_in_advance(*order_id, user_id.clone(), reason, now);
        let row = ShipmentRow::new(&waiting)
            .map_err(|e| Error::Corrupt(format!("cannot encode a shipment: {e}")))?;
        let cancel = Transition::Cancel(reason.clone());
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // The write comes first, so SQLite takes the write lock
                // before reading; on PostgreSQL a confirmed event inserting
                // at the same time makes it wait for that commit (the
                // unique order_id), so the read below sees the shipment.
                let inserted = diesel::insert_into(shipments::table)
                    .values(&row)
                    .on_conflict(shipments::order_id)
                    .do_nothing()
                    .execute(tx)
                    .await?;
                if inserted == 1 {
                    return Ok(waiting);
                }
                // An admin's change may win the race between the read and
                // the write (on PostgreSQL); decide again from what it
                // left. A status only moves forward, so this ends.
                loop {
                    let current = find((&mut *tx).into(), Key::Order(&key))
                        .await?
                        .ok_or_else(|| {
                            Error::Corrupt(format!("order {key}: its shipment vanished"))
                        })?;
                    match current.apply(&cancel, now)? {
                        Change::Unchanged => return Ok(current),
                        Change::Changed(next) => {
                            if write_change((&mut *tx).into(), &current, &next).await? {
                                return Ok(*next);
                            }
                        }
                    }
                }
            })
            .await
        })
    }

    /// Applies `transition` to the shipment `id` and returns it as it is
    /// then: changed, or as it was when it is there already (a retry).
    /// Concurrent callers change it once; each gets the shipment back.
    pub async fn transition(&self, id: &ShipmentId, transition: &Transition) -> Result<Shipment> {
        // Each lost race means the status moved forward, so this ends.
        loop {
            let current = self.shipment(id).await?.ok_or(Error::ShipmentNotFound)?;
            let next = match current.apply(transition, self.clock.now())? {
                Change::Unchanged => return Ok(current),
                Change::Changed(next) => *next,
            };
            // The write comes first in its transaction, so SQLite takes the
            // write lock (waiting for it) before reading anything.
            let written = on_db!(&self.db, |conn| {
                conn.transaction::<_, Error, _>(async |tx| {
                    Ok(write_change(tx.into(), &current, &next).await?)
                })
                .await?
            });
            if written {
                return Ok(next);
            }
        }
    }

    /// A page of shipments, oldest first.
    pub async fn list(&self, query: &ListQuery) -> Result<Page<Shipment>> {
        let limit = query.page_size.fetch();
        let user_id = query.user_id.as_ref().map(|u| u.as_str().to_owned());
        let status = query.status.map(Status::as_str);
        let after = query.after.clone();
        let rows: Vec<ShipmentRow> = on_db!(&self.db, |conn| {
            let mut select = shipments::table
                .select(ShipmentRow::as_select())
                .filter(shipments::awaiting_order.eq(false))
                .order((shipments::created_at.asc(), shipments::id.asc()))
                .limit(limit)
                .into_boxed();
            if let Some(user_id) = &user_id {
                select = select.filter(shipments::user_id.eq(user_id));
            }
            if let Some(status) = status {
                select = select.filter(shipments::status.eq(status));
            }
            if let Some(Cursor { at, id }) = &after {
                select = select.filter(
                    shipments::created_at
                        .gt(at)
                        .or(shipments::created_at.eq(at).and(shipments::id.gt(id))),
                );
            }
            select.load(conn).await?
        });
        Page::of(rows, query.page_size).try_map(Shipment::try_from)
    }

    /// Up to `limit` shipments still on their way that have sat in their
    /// status for `at_least`, longest first.
    pub async fn idle_for(&self, at_least: Duration, limit: i64) -> Result<Vec<Shipment>> {
        let waited = i64::try_from(at_least.as_micros()).unwrap_or(i64::MAX);
        let before = to_micros(self.clock.now()).saturating_sub(waited);
        let moving = [Status::Pending, Status::Packed, Status::Shipped].map(Status::as_str);
        let rows: Vec<ShipmentRow> = on_db!(&self.db, |conn| {
            shipments::table
                .filter(shipments::status.eq_any(moving))
                .filter(shipments::updated_at.le(before))
                .order((shipments::updated_at.asc(), shipments::id.asc()))
                .limit(limit)
                .select(ShipmentRow::as_select())
                .load(conn)
                .await?
        });
        rows.into_iter().map(Shipment::try_from).collect()
    }
}

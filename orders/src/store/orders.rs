//! Order queries: create (with lines and the first event), read, list,
//! move along the saga (status + event in one transaction), and the leases
//! that keep one driver per saga.

use diesel::{dsl::max, prelude::*};
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::to_micros,
    events::Conn,
    on_conn, on_db,
    paging::{Cursor, Page, PageSize},
    statements::CacheStatement,
};

use super::{
    Store,
    rows::{EventRow, LineRow, MoveRow, OrderRow, ShippingRow, ShortfallRow},
    schema::{order_events, order_lines, order_shipping, order_shortfalls, orders},
};
use crate::{
    domain::{
        Numbers, Order, OrderEvent, OrderId, OrderNumber, OrderSort, OrderStatus, Shortfall,
        Transition, UserId,
    },
    error::{Error, Result},
};

/// A page of a listing.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Only this user's orders; `None` for everyone's (admins).
    pub user_id: Option<UserId>,
    pub status: Option<OrderStatus>,
    /// Only the order with this number.
    pub number: Option<OrderNumber>,
    /// Leave out FAILED orders.
    pub hide_failed: bool,
    pub sort: OrderSort,
    pub page_size: PageSize,
    /// Continue after this order: its sort key (creation time or total)
    /// and id.
    pub after: Option<Cursor>,
}

/// Inserts `rows` into `table` on `tx` (a transaction's connection): on
/// PostgreSQL in one statement (one round trip, prepared once per number
/// of rows: an order has at most `MAX_LINES` lines); on SQLite, whose
/// async wrapper has no multi-row insert, one statement per row, which
/// costs no round trip there.
macro_rules! insert_rows {
    ($tx:expr, $table:expr, $rows:expr) => {
        match platform::events::Conn::from(&mut *$tx) {
            platform::events::Conn::Sqlite(c) => {
                for row in $rows {
                    diesel::insert_into($table)
                        .values(row)
                        .cached()
                        .execute(c)
                        .await?;
                }
            }
            platform::events::Conn::Postgres(c) => {
                diesel::insert_into($table)
                    .values($rows)
                    .cached()
                    .execute(c)
                    .await?;
            }
        }
    };
}

/// A driver's hold on an order's saga: whose, and until when (in
/// microseconds; 0 gives it up).
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until: i64,
}

/// How many orders [`Store::number_old_orders`] numbers per batch.
const NUMBERING_BATCH: i64 = 500;

/// How many numbers are drawn for one order before giving up: with 40
/// random bits, even the fifth is never needed unless the generator is
/// broken.
pub const NUMBER_ATTEMPTS: usize = 5;

impl Store {
    /// Saves a new order, its lines and its first event, leased to
    /// `lease` (the driver that placed it takes its first step without a
    /// claim of its own). A second order with the same user and request id
    /// fails with a unique violation.
    pub async fn insert_order(
        &self,
        order: &Order,
        fingerprint: &str,
        lease: Lease<'_>,
    ) -> Result<()> {
        let mut row = OrderRow::new(order, fingerprint);
        row.lease_owner = Some(lease.owner.to_owned());
        row.lease_until = lease.until;
        let lines: Vec<LineRow> = order
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| LineRow::new(&order.id, i, line))
            .collect::<Result<_>>()?;
        let shipping = ShippingRow::of(order);
        let event = EventRow::of(order, 1);
        let published = crate::events::for_status(order);
        let now = self.clock.now();
        // Every write is `.cached()`: each has a handful of SQL texts at
        // most (which optional columns are NULL, how many lines: an order
        // has at most `MAX_LINES`), so its prepared statement is reused.
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                diesel::insert_into(orders::table)
                    .values(&row)
                    .cached()
                    .execute(tx)
                    .await?;
                insert_rows!(tx, order_lines::table, &lines);
                if let Some(shipping) = &shipping {
                    diesel::insert_into(order_shipping::table)
                        .values(shipping)
                        .cached()
                        .execute(tx)
                        .await?;
                }
                diesel::insert_into(order_events::table)
                    .values(&event)
                    .cached()
                    .execute(tx)
                    .await?;
                if let Some(published) = published {
                    platform::events::append(tx.into(), published, now).await?;
                }
                Ok(())
            })
            .await
        })
    }

    /// An order by id.
    pub async fn order(&self, id: &OrderId) -> Result<Option<Order>> {
        Ok(self
            .order_row(&id.to_string())
            .await?
            .map(|(order, _)| order))
    }

    async fn order_row(&self, id: &str) -> Result<Option<(Order, String)>> {
        on_db!(&self.db, |conn| load(conn.into(), id).await)
    }

    /// The order a user placed with `request_id`, and its fingerprint.
    pub async fn order_by_request(
        &self,
        user_id: &UserId,
        request_id: &str,
    ) -> Result<Option<(Order, String)>> {
        let (user, request) = (user_id.as_str().to_owned(), request_id.to_owned());
        let id: Option<String> = on_db!(&self.db, |conn| {
            orders::table
                .filter(orders::user_id.eq(&user))
                .filter(orders::request_id.eq(&request))
                .select(orders::id)
                .first(conn)
                .await
                .optional()?
        });
        match id {
            Some(id) => self.order_row(&id).await,
            None => Ok(None),
        }
    }

    /// One page of orders in the query's order, and whether more follow.
    pub async fn list_orders(&self, query: &ListQuery) -> Result<Page<Order>> {
        let limit = query.page_size.fetch();
        let user = query.user_id.as_ref().map(|u| u.as_str().to_owned());
        let status = query.status.map(OrderStatus::as_str);
        let number = query.number.as_ref().map(|n| n.as_str().to_owned());
        let (hide_failed, sort) = (query.hide_failed, query.sort);
        let after = query.after.clone();
        let (rows, lines, shippings, shortfalls): (
            Vec<OrderRow>,
            Vec<LineRow>,
            Vec<ShippingRow>,
            Vec<ShortfallRow>,
        ) = on_db!(&self.db, |conn| {
            let mut select = orders::table
                .select(OrderRow::as_select())
                .limit(limit)
                .into_boxed();
            // Keyset paging: the cursor is the last order's sort key and
            // id, and the next page starts strictly after it.
            select = match sort {
                OrderSort::NewestFirst => {
                    select.order((orders::created_at.desc(), orders::id.desc()))
                }
                OrderSort::OldestFirst => {
                    select.order((orders::created_at.asc(), orders::id.asc()))
                }
                OrderSort::CheapestFirst => {
                    select.order((orders::total_minor.asc(), orders::id.asc()))
                }
                OrderSort::DearestFirst => {
                    select.order((orders::total_minor.desc(), orders::id.desc()))
                }
            };
            if let Some(Cursor { at, id }) = &after {
                select = match sort {
                    OrderSort::NewestFirst => select.filter(
                        orders::created_at
                            .lt(at)
                            .or(orders::created_at.eq(at).and(orders::id.lt(id))),
                    ),
                    OrderSort::OldestFirst => select.filter(
                        orders::created_at
                            .gt(at)
                            .or(orders::created_at.eq(at).and(orders::id.gt(id))),
                    ),
                    OrderSort::CheapestFirst => select.filter(
                        orders::total_minor
                            .gt(at)
                            .or(orders::total_minor.eq(at).and(orders::id.gt(id))),
                    ),
                    OrderSort::DearestFirst => select.filter(
                        orders::total_minor
                            .lt(at)
                            .or(orders::total_minor.eq(at).and(orders::id.lt(id))),
                    ),
                };
            }
            if let Some(user) = &user {
                select = select.filter(orders::user_id.eq(user));
            }
            if let Some(status) = status {
                select = select.filter(orders::status.eq(status));
            }
            if let Some(number) = &number {
                select = select.filter(orders::number.eq(number));
            }
            if hide_failed {
                select = select.filter(orders::status.ne(OrderStatus::Failed.as_str()));
            }
            let rows: Vec<OrderRow> = select.load(conn).await?;
            let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
            let lines = order_lines::table
                .filter(order_lines::order_id.eq_any(&ids))
                .order((order_lines::order_id, order_lines::line_no))
                .select(LineRow::as_select())
                .load(conn)
                .await?;
            let shippings = order_shipping::table
                .filter(order_shipping::order_id.eq_any(&ids))
                .select(ShippingRow::as_select())
                .load(conn)
                .await?;
            let shortfalls = order_shortfalls::table
                .filter(order_shortfalls::order_id.eq_any(&ids))
                .order((order_shortfalls::order_id, order_shortfalls::product_id))
                .select(ShortfallRow::as_select())
                .load(conn)
                .await?;
            (rows, lines, shippings, shortfalls)
        });
        Page::of(rows, query.page_size).try_map(|row| {
            let own = lines
                .iter()
                .filter(|l| l.order_id == row.id)
                .cloned()
                .collect();
            let shipping = shippings.iter().find(|s| s.order_id == row.id).cloned();
            let short = shortfalls
                .iter()
                .filter(|s| s.order_id == row.id)
                .cloned()
                .collect();
            row.into_order(own, shipping, short)
        })
    }

    /// Gives every order placed before orders had numbers its number, in
    /// batches (each order in its own short statement, so the table is
    /// never locked for long), and returns how many it numbered. Run when
    /// the service starts, before it answers; a number taken already is
    /// drawn again.
    pub async fn number_old_orders(&self, numbers: &Numbers) -> Result<u64> {
        let mut numbered = 0;
        loop {
            let ids: Vec<String> = on_db!(&self.db, |conn| {
                orders::table
                    .filter(orders::number.is_null())
                    .order(orders::id.asc())
                    .limit(NUMBERING_BATCH)
                    .select(orders::id)
                    .load(conn)
                    .await?
            });
            if ids.is_empty() {
                return Ok(numbered);
            }
            for id in &ids {
                if self.number_order(id, numbers).await? {
                    numbered += 1;
                }
            }
        }
    }

    /// Gives order `id` a number unless it has one; whether it did.
    async fn number_order(&self, id: &str, numbers: &Numbers) -> Result<bool> {
        for _ in 0..NUMBER_ATTEMPTS {
            let number = numbers.next().as_str().to_owned();
            let key = id.to_owned();
            let result: Result<usize, diesel::result::Error> = on_db!(&self.db, |conn| {
                diesel::update(
                    orders::table
                        .filter(orders::id.eq(&key))
                        .filter(orders::number.is_null()),
                )
                .set(orders::number.eq(&number))
                .execute(conn)
                .await
            });
            match result.map_err(Error::from) {
                Ok(changed) => return Ok(changed == 1),
                Err(e) if e.is_unique_violation() => {}
                Err(e) => return Err(e),
            }
        }
        Err(Error::Internal(format!(
            "no free order number for order {id} after {NUMBER_ATTEMPTS} attempts"
        )))
    }

    /// Applies `transition` to `current` and records the event, if the order
    /// is still in `current.status` (and, with a `lease`, still leased to
    /// its owner, whose lease then runs until `lease.until`). Returns the
    /// moved order, or `None` if someone else moved it first or took its
    /// lease.
    pub async fn advance(
        &self,
        current: &Order,
        transition: Transition,
        cancel_reason: Option<String>,
        lease: Option<Lease<'_>>,
    ) -> Result<Option<Order>> {
        let mut next = current.clone();
        next.status = transition.to;
        next.failure_reason = transition.failure_reason.or(current.failure_reason);
        next.decline_code = transition
            .decline_code
            .or_else(|| current.decline_code.clone());
        next.payment_id = transition.payment_id.or(current.payment_id);
        next.card_brand = transition.card_brand.or_else(|| current.card_brand.clone());
        next.cancel_reason = cancel_reason.or_else(|| current.cancel_reason.clone());
        next.updated_at = self.clock.now();
        // Recorded in the transaction of the failure they explain.
        let recorded = transition.shortfalls;
        if !recorded.is_empty() {
            next.shortfalls.clone_from(&recorded);
        }

        let moved = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                write_move(tx.into(), current.status, &next, &recorded, lease).await
            })
            .await?
        });
        Ok(moved.then_some(next))
    }

    /// An order's events after `sequence`, oldest first.
    pub async fn events_after(&self, order_id: &OrderId, sequence: i64) -> Result<Vec<OrderEvent>> {
        let key = order_id.to_string();
        let rows: Vec<EventRow> = on_db!(&self.db, |conn| {
            order_events::table
                .filter(order_events::order_id.eq(&key))
                .filter(order_events::sequence.gt(sequence))
                .order(order_events::sequence.asc())
                .select(EventRow::as_select())
                .load(conn)
                .await?
        });
        rows.into_iter().map(EventRow::into_event).collect()
    }

    /// Takes (or extends) the lease on driving an order's saga until
    /// `until`, unless another owner holds an unexpired lease or the order
    /// is at rest (nothing to drive: so a late renewal of a card's order,
    /// racing the move that brought it to rest, leaves no lease behind).
    pub async fn claim(&self, order_id: &OrderId, owner: &str, until: i64) -> Result<bool> {
        let key = order_id.to_string();
        let owner = owner.to_owned();
        let now = to_micros(self.clock.now());
        let in_progress = OrderStatus::all_in_progress();
        let claimed = on_db!(&self.db, |conn| {
            diesel::update(
                orders::table
                    .filter(orders::id.eq(&key))
                    .filter(orders::status.eq_any(&in_progress))
                    .filter(
                        orders::lease_until
                            .le(now)
                            .or(orders::lease_owner.eq(&owner)),
                    ),
            )
            .set((
                orders::lease_owner.eq(&owner),
                orders::lease_until.eq(until),
            ))
            .cached()
            .execute(conn)
            .await?
        });
        Ok(claimed == 1)
    }

    /// Gives up a lease this owner holds.
    pub async fn release_lease(&self, order_id: &OrderId, owner: &str) -> Result<()> {
        let key = order_id.to_string();
        let owner = owner.to_owned();
        on_db!(&self.db, |conn| {
            diesel::update(
                orders::table
                    .filter(orders::id.eq(&key))
                    .filter(orders::lease_owner.eq(&owner)),
            )
            .set(orders::lease_until.eq(0_i64))
            .cached()
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// Orders still in progress that nobody has moved since `untouched_since`
    /// and nobody but `owner` holds a lease on: the recovery loop's work
    /// list.
    pub async fn stalled_orders(
        &self,
        untouched_since: i64,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<OrderId>> {
        let now = to_micros(self.clock.now());
        let in_progress = OrderStatus::all_in_progress();
        let owner = owner.to_owned();
        let ids: Vec<String> = on_db!(&self.db, |conn| {
            orders::table
                .filter(orders::status.eq_any(&in_progress))
                .filter(orders::updated_at.le(untouched_since))
                .filter(
                    orders::lease_until
                        .le(now)
                        .or(orders::lease_owner.eq(&owner)),
                )
                .order(orders::updated_at.asc())
                .limit(limit)
                .select(orders::id)
                .load(conn)
                .await?
        });
        ids.iter()
            .map(|id| OrderId::parse(id).map_err(|_| Error::Corrupt(format!("order {id}: id"))))
            .collect()
    }
}

/// The order `id` with its fingerprint, read on `conn` (in the caller's
/// transaction, if any).
pub(super) async fn load(conn: Conn<'_>, id: &str) -> Result<Option<(Order, String)>> {
    type Found = (
        OrderRow,
        Vec<LineRow>,
        Option<ShippingRow>,
        Vec<ShortfallRow>,
    );
    let key = id.to_owned();
    let found: Option<Found> = on_conn!(conn, |c| {
        let row: Option<OrderRow> = orders::table
            .find(&key)
            .select(OrderRow::as_select())
            .first(c)
            .await
            .optional()?;
        match row {
            None => None,
            Some(row) => {
                let lines = order_lines::table
                    .filter(order_lines::order_id.eq(&key))
                    .order(order_lines::line_no.asc())
                    .select(LineRow::as_select())
                    .load(c)
                    .await?;
                let shipping = order_shipping::table
                    .find(&key)
                    .select(ShippingRow::as_select())
                    .first(c)
                    .await
                    .optional()?;
                let shortfalls = order_shortfalls::table
                    .filter(order_shortfalls::order_id.eq(&key))
                    .order(order_shortfalls::product_id.asc())
                    .select(ShortfallRow::as_select())
                    .load(c)
                    .await?;
                Some((row, lines, shipping, shortfalls))
            }
        }
    });
    found
        .map(|(row, lines, shipping, shortfalls)| {
            let fingerprint = row.fingerprint.clone();
            row.into_order(lines, shipping, shortfalls)
                .map(|order| (order, fingerprint))
        })
        .transpose()
}

/// Writes `next` (status, saga fields, parcel) and its event, the event
/// it publishes, and the `shortfalls` the move records, if the order is
/// still in `from` (and, with a `lease`, still leased to `lease.owner`,
/// which the same statement renews to `lease.until`, or gives up with 0);
/// on `conn`, inside the caller's transaction. Whether it moved.
pub(super) async fn write_move(
    conn: Conn<'_>,
    from: OrderStatus,
    next: &Order,
    shortfalls: &[Shortfall],
    lease: Option<Lease<'_>>,
) -> Result<bool> {
    let key = next.id.to_string();
    let changes = MoveRow::new(next);
    let event = EventRow::of(next, 0);
    let shortfall_rows = ShortfallRow::of(&next.id, shortfalls);
    let published = crate::events::for_status(next);
    let now = next.updated_at;
    on_conn!(conn, |tx| {
        let target = orders::table
            .filter(orders::id.eq(&key))
            .filter(orders::status.eq(from.as_str()));
        // Two SQL texts in all (with and without the lease), each prepared
        // once per connection.
        let changed = match lease {
            None => {
                diesel::update(target)
                    .set(&changes)
                    .cached()
                    .execute(tx)
                    .await?
            }
            Some(lease) => {
                diesel::update(target.filter(orders::lease_owner.eq(lease.owner)))
                    .set((&changes, orders::lease_until.eq(lease.until)))
                    .cached()
                    .execute(tx)
                    .await?
            }
        };
        if changed == 0 {
            return Ok(false);
        }
        // The event takes the next number in the same statement that
        // writes it (no read-back first). Gapless and unique: the update
        // above holds the order's row lock until commit (SQLite: the
        // database's write lock), every writer of an order's events takes
        // that lock first, and on PostgreSQL this statement's snapshot is
        // taken after the lock was granted, so it sees every event
        // committed before; the primary key would refuse a duplicate
        // anyway.
        let next_sequence = order_events::table
            .filter(order_events::order_id.eq(&key))
            .select(coalesce(max(order_events::sequence), 0_i64) + 1_i64)
            .single_value()
            .assume_not_null();
        diesel::insert_into(order_events::table)
            .values((
                order_events::order_id.eq(&event.order_id),
                order_events::sequence.eq(next_sequence),
                order_events::status.eq(&event.status),
                order_events::failure_reason.eq(&event.failure_reason),
                order_events::decline_code.eq(&event.decline_code),
                order_events::payment_id.eq(&event.payment_id),
                order_events::card_brand.eq(&event.card_brand),
                order_events::cancel_reason.eq(&event.cancel_reason),
                order_events::created_at.eq(event.created_at),
                order_events::shipment_id.eq(&event.shipment_id),
                order_events::carrier.eq(&event.carrier),
                order_events::tracking_number.eq(&event.tracking_number),
                order_events::shipped_at.eq(event.shipped_at),
                order_events::delivered_at.eq(event.delivered_at),
            ))
            .cached()
            .execute(tx)
            .await?;
        if !shortfall_rows.is_empty() {
            insert_rows!(tx, order_shortfalls::table, &shortfall_rows);
        }
        if let Some(published) = published {
            platform::events::append(tx.into(), published, now).await?;
        }
        Ok(true)
    })
}

diesel::define_sql_function! {
    /// The first of its arguments that is not NULL.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::BigInt>, y: diesel::sql_types::BigInt) -> diesel::sql_types::BigInt;
}

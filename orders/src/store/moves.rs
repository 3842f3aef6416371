//! Moving an order along its saga: the guarded update of its row and the
//! event that records the move, plus what the move publishes and the
//! shortfalls it records. On PostgreSQL the update and the event are one
//! statement (a move that writes nothing else needs no transaction of its
//! own: one round trip, one commit); on SQLite, two statements under the
//! database's write lock.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use platform::{
    db::{PgConn, SqliteConn},
    events::Conn,
    on_conn,
    statements::CacheStatement,
};

use super::{
    orders::Lease,
    rows::{EventRow, MoveRow, ShortfallRow},
    schema::{order_events, order_shortfalls},
};
use crate::{
    domain::{Order, OrderStatus, Shortfall},
    error::Result,
};

/// Whether a move to `next` recording `shortfalls` is a single statement on
/// PostgreSQL, so it needs no transaction of its own.
pub(super) fn is_one_statement(next: &Order, shortfalls: &[Shortfall]) -> bool {
    shortfalls.is_empty() && crate::events::for_status(next).is_none()
}

/// Writes `next` (status, saga fields, parcel) and its event, the event
/// it publishes, and the `shortfalls` the move records, if the order is
/// still in `from` (and, with a `lease`, still leased to `lease.owner`,
/// which the same statement renews to `lease.until`, or gives up with 0);
/// on `conn`, inside the caller's transaction (none is needed on
/// PostgreSQL when [`is_one_statement`]). Whether it moved.
pub(super) async fn write_move(
    mut conn: Conn<'_>,
    from: OrderStatus,
    next: &Order,
    shortfalls: &[Shortfall],
    lease: Option<Lease<'_>>,
) -> Result<bool> {
    let key = next.id.to_string();
    let changes = MoveRow::new(next);
    let moved = match conn.reborrow() {
        Conn::Postgres(c) => move_postgres(c, from, &changes, &key, lease).await?,
        Conn::Sqlite(c) => move_sqlite(c, from, &changes, next, lease).await?,
    };
    if !moved {
        return Ok(false);
    }
    let shortfall_rows = ShortfallRow::of(&next.id, shortfalls);
    if !shortfall_rows.is_empty() {
        on_conn!(conn.reborrow(), |tx| {
            insert_rows!(tx, order_shortfalls::table, &shortfall_rows);
        });
    }
    if let Some(published) = crate::events::for_status(next) {
        platform::events::append(conn, published, next.updated_at).await?;
    }
    Ok(true)
}

/// Binds a move's 16 parameters in the order both backends' statements
/// number them: the 12 changed columns, the order's id, the status it
/// moves from, and the lease's owner (NULL: no lease) and end.
macro_rules! bind_move {
    ($query:expr, $changes:expr, $order_id:expr, $from:expr, $lease:expr) => {{
        use diesel::sql_types::{BigInt, Nullable, Text};
        let (changes, lease): (&MoveRow, Option<Lease<'_>>) = ($changes, $lease);
        $query
            .bind::<Text, _>(&changes.status)
            .bind::<Nullable<Text>, _>(&changes.failure_reason)
            .bind::<Nullable<Text>, _>(&changes.decline_code)
            .bind::<Nullable<Text>, _>(&changes.payment_id)
            .bind::<Nullable<Text>, _>(&changes.card_brand)
            .bind::<Nullable<Text>, _>(&changes.cancel_reason)
            .bind::<BigInt, _>(changes.updated_at)
            .bind::<Nullable<Text>, _>(&changes.shipment_id)
            .bind::<Nullable<Text>, _>(&changes.carrier)
            .bind::<Nullable<Text>, _>(&changes.tracking_number)
            .bind::<Nullable<BigInt>, _>(changes.shipped_at)
            .bind::<Nullable<BigInt>, _>(changes.delivered_at)
            .bind::<Text, _>($order_id)
            .bind::<Text, _>($from.as_str())
            .bind::<Nullable<Text>, _>(lease.map(|l| l.owner))
            .bind::<BigInt, _>(lease.map_or(0, |l| l.until))
    }};
}

/// The move on PostgreSQL: the guarded update of the order's row (which
/// also numbers the event, from the row's counter, and with `lease` renews
/// or gives up the lease) and the insert of its event, which happens only
/// if the update matched. Whether it did.
///
/// A concurrent writer of the same order cannot come between the two: the
/// update waits for the row's lock and re-checks its guard on the row as
/// that writer left it (READ COMMITTED's re-check of an updated row), and
/// the event's number comes from that same row version, not from the
/// statement's snapshot (which a sub-select of the events would read, and
/// which was taken before the lock was granted).
async fn move_postgres(
    conn: &mut PgConn,
    from: OrderStatus,
    changes: &MoveRow,
    order_id: &str,
    lease: Option<Lease<'_>>,
) -> Result<bool> {
    // One SQL text with and without a lease (a NULL owner), so one
    // prepared statement per connection.
    let query = diesel::sql_query(
        "WITH moved AS (\
            UPDATE orders SET status = $1, failure_reason = $2, decline_code = $3, \
                payment_id = $4, card_brand = $5, cancel_reason = $6, updated_at = $7, \
                shipment_id = $8, carrier = $9, tracking_number = $10, shipped_at = $11, \
                delivered_at = $12, last_event = last_event + 1, \
                lease_until = CASE WHEN $15::text IS NULL THEN lease_until ELSE $16 END \
            WHERE id = $13 AND status = $14 AND ($15::text IS NULL OR lease_owner = $15) \
            RETURNING id, last_event) \
         INSERT INTO order_events (order_id, sequence, status, failure_reason, decline_code, \
             payment_id, card_brand, cancel_reason, created_at, shipment_id, carrier, \
             tracking_number, shipped_at, delivered_at) \
         SELECT id, last_event, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM moved",
    );
    let inserted = bind_move!(query, changes, order_id, from, lease)
        .cached()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// The move on SQLite: the guarded update, then the event numbered from
/// the counter the update just advanced (read in the same transaction,
/// under the database's write lock the update took).
async fn move_sqlite(
    conn: &mut SqliteConn,
    from: OrderStatus,
    changes: &MoveRow,
    next: &Order,
    lease: Option<Lease<'_>>,
) -> Result<bool> {
    use diesel::sql_types::{BigInt, Text};
    let key = next.id.to_string();
    let query = diesel::sql_query(
        "UPDATE orders SET status = ?1, failure_reason = ?2, decline_code = ?3, \
             payment_id = ?4, card_brand = ?5, cancel_reason = ?6, updated_at = ?7, \
             shipment_id = ?8, carrier = ?9, tracking_number = ?10, shipped_at = ?11, \
             delivered_at = ?12, last_event = last_event + 1, \
             lease_until = CASE WHEN ?15 IS NULL THEN lease_until ELSE ?16 END \
         WHERE id = ?13 AND status = ?14 AND (?15 IS NULL OR lease_owner = ?15)",
    );
    let changed = bind_move!(query, changes, &key, from, lease)
        .cached()
        .execute(&mut *conn)
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    let event = EventRow::of(next, 0);
    let sequence = diesel::dsl::sql::<BigInt>("(SELECT last_event FROM orders WHERE id = ")
        .bind::<Text, _>(key)
        .sql(")");
    diesel::insert_into(order_events::table)
        .values((
            order_events::order_id.eq(&event.order_id),
            order_events::sequence.eq(sequence),
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
        .execute(conn)
        .await?;
    Ok(true)
}

//! Placing an order: its row, lines, shipping option and first event, and
//! the `orders.order.placed` event it publishes, all or nothing. On
//! PostgreSQL the order's own rows are one statement and the published
//! event (the first of a new aggregate, so numbered 1 without a read)
//! another, in one transaction: four round trips with BEGIN and COMMIT
//! instead of eight. On SQLite, one statement per row under the
//! database's write lock, which costs no round trip there.

use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    db::PgConn,
    events::{Conn, NewEvent},
    on_db,
    statements::CacheStatement,
};

use super::{
    Store,
    orders::Lease,
    rows::{EventRow, LineRow, OrderRow, ShippingRow},
    schema::{order_events, order_lines, order_shipping, orders},
};
use crate::{
    domain::Order,
    error::{Error, Result},
};

/// What placing an order writes, as rows.
struct Placed {
    order: OrderRow,
    lines: Vec<LineRow>,
    shipping: Option<ShippingRow>,
    event: EventRow,
    published: Option<NewEvent>,
}

impl Store {
    /// Saves a new order, its lines and its first event, leased to
    /// `lease` (the driver that placed it takes its first step without a
    /// claim of its own), with the event it publishes. A second order with
    /// the same user and request id, or the same number, fails with a
    /// unique violation.
    pub async fn insert_order(
        &self,
        order: &Order,
        fingerprint: &str,
        lease: Lease<'_>,
    ) -> Result<()> {
        let mut row = OrderRow::new(order, fingerprint);
        row.lease_owner = Some(lease.owner.to_owned());
        row.lease_until = lease.until;
        let placed = Placed {
            order: row,
            lines: order
                .lines
                .iter()
                .enumerate()
                .map(|(i, line)| LineRow::new(&order.id, i, line))
                .collect::<Result<_>>()?,
            shipping: ShippingRow::of(order),
            event: EventRow::of(order, 1),
            published: crate::events::for_status(order),
        };
        let now = self.clock.now();
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                match Conn::from(&mut *tx) {
                    Conn::Postgres(c) => insert_postgres(c, &placed).await?,
                    Conn::Sqlite(c) => {
                        diesel::insert_into(orders::table)
                            .values(&placed.order)
                            .cached()
                            .execute(&mut *c)
                            .await?;
                        for line in &placed.lines {
                            diesel::insert_into(order_lines::table)
                                .values(line)
                                .cached()
                                .execute(&mut *c)
                                .await?;
                        }
                        if let Some(shipping) = &placed.shipping {
                            diesel::insert_into(order_shipping::table)
                                .values(shipping)
                                .cached()
                                .execute(&mut *c)
                                .await?;
                        }
                        diesel::insert_into(order_events::table)
                            .values(&placed.event)
                            .cached()
                            .execute(c)
                            .await?;
                    }
                }
                if let Some(published) = placed.published.clone() {
                    platform::events::append_first((&mut *tx).into(), published, now).await?;
                }
                Ok(())
            })
            .await
        })
    }
}

/// The order's own rows on PostgreSQL, one statement: the order (with its
/// lease), its lines (from arrays, one element per line), its shipping
/// option if it has one, and its first event, which records the row as
/// inserted (what `EventRow::of` makes of the order: the same columns).
async fn insert_postgres(conn: &mut PgConn, placed: &Placed) -> Result<()> {
    let (o, lines) = (&placed.order, &placed.lines);
    let shipping = placed.shipping.as_ref();
    diesel::sql_query(
        "WITH placed AS (\
            INSERT INTO orders (id, user_id, request_id, fingerprint, status, currency, \
                total_minor, payment_method, card_brand, card_last4, payment_id, \
                failure_reason, decline_code, cancel_reason, ship_recipient, ship_line1, \
                ship_line2, ship_city, ship_region, ship_postal_code, ship_country_code, \
                lease_owner, lease_until, created_at, updated_at, subtotal_minor, \
                shipment_id, carrier, tracking_number, shipped_at, delivered_at, number) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32) \
            RETURNING id, status, failure_reason, decline_code, payment_id, card_brand, \
                cancel_reason, updated_at, shipment_id, carrier, tracking_number, \
                shipped_at, delivered_at), \
         lines AS (\
            INSERT INTO order_lines (order_id, line_no, product_id, product_name, \
                unit_price_minor, quantity) \
            SELECT placed.id, l.line_no, l.product_id, l.product_name, l.unit_price_minor, \
                l.quantity \
            FROM placed, unnest($33::int4[], $34::text[], $35::text[], $36::int8[], \
                $37::int8[]) AS l(line_no, product_id, product_name, unit_price_minor, quantity)), \
         shipping AS (\
            INSERT INTO order_shipping (order_id, quote_id, option_code, option_name, \
                price_minor, earliest_delivery, latest_delivery) \
            SELECT id, $38, $39, $40, $41, $42, $43 FROM placed WHERE $38::text IS NOT NULL) \
         INSERT INTO order_events (order_id, sequence, status, failure_reason, decline_code, \
             payment_id, card_brand, cancel_reason, created_at, shipment_id, carrier, \
             tracking_number, shipped_at, delivered_at) \
         SELECT id, 1, status, failure_reason, decline_code, payment_id, card_brand, \
             cancel_reason, updated_at, shipment_id, carrier, tracking_number, shipped_at, \
             delivered_at \
         FROM placed",
    )
    .bind::<Text, _>(&o.id)
    .bind::<Text, _>(&o.user_id)
    .bind::<Text, _>(&o.request_id)
    .bind::<Text, _>(&o.fingerprint)
    .bind::<Text, _>(&o.status)
    .bind::<Text, _>(&o.currency)
    .bind::<BigInt, _>(o.total_minor)
    .bind::<Text, _>(&o.payment_method)
    .bind::<Nullable<Text>, _>(&o.card_brand)
    .bind::<Nullable<Text>, _>(&o.card_last4)
    .bind::<Nullable<Text>, _>(&o.payment_id)
    .bind::<Nullable<Text>, _>(&o.failure_reason)
    .bind::<Nullable<Text>, _>(&o.decline_code)
    .bind::<Nullable<Text>, _>(&o.cancel_reason)
    .bind::<Text, _>(&o.ship_recipient)
    .bind::<Text, _>(&o.ship_line1)
    .bind::<Text, _>(&o.ship_line2)
    .bind::<Text, _>(&o.ship_city)
    .bind::<Text, _>(&o.ship_region)
    .bind::<Text, _>(&o.ship_postal_code)
    .bind::<Text, _>(&o.ship_country_code)
    .bind::<Nullable<Text>, _>(&o.lease_owner)
    .bind::<BigInt, _>(o.lease_until)
    .bind::<BigInt, _>(o.created_at)
    .bind::<BigInt, _>(o.updated_at)
    .bind::<BigInt, _>(o.subtotal_minor)
    .bind::<Nullable<Text>, _>(&o.shipment_id)
    .bind::<Nullable<Text>, _>(&o.carrier)
    .bind::<Nullable<Text>, _>(&o.tracking_number)
    .bind::<Nullable<BigInt>, _>(o.shipped_at)
    .bind::<Nullable<BigInt>, _>(o.delivered_at)
    .bind::<Nullable<Text>, _>(&o.number)
    .bind::<Array<Integer>, _>(lines.iter().map(|l| l.line_no).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        lines
            .iter()
            .map(|l| l.product_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        lines
            .iter()
            .map(|l| l.product_name.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(lines.iter().map(|l| l.unit_price_minor).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(lines.iter().map(|l| l.quantity).collect::<Vec<_>>())
    .bind::<Nullable<Text>, _>(shipping.map(|s| s.quote_id.as_str()))
    .bind::<Text, _>(shipping.map_or("", |s| s.option_code.as_str()))
    .bind::<Text, _>(shipping.map_or("", |s| s.option_name.as_str()))
    .bind::<BigInt, _>(shipping.map_or(0, |s| s.price_minor))
    .bind::<Nullable<BigInt>, _>(shipping.and_then(|s| s.earliest_delivery))
    .bind::<Nullable<BigInt>, _>(shipping.and_then(|s| s.latest_delivery))
    .cached()
    .execute(conn)
    .await?;
    Ok(())
}

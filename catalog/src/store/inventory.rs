//! Stock and reservation queries. Each state change is a conditional
//! UPDATE whose WHERE clause states the precondition (enough units; the
//! reservation still held), so concurrent callers cannot both win, and
//! stock rows are always touched in product-id order so concurrent
//! reservations cannot deadlock on PostgreSQL.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{clock::to_micros, on_db, statements::CacheStatement};

use super::{
    Store,
    rows::{self, ReservationRow, StockRow},
    schema::{products, reservation_lines, reservations, stock, stock_adjustments},
};
use crate::{
    domain::{
        ProductId, Reason, Reservation, ReservationId, ReservationStatus, Stock, StockDelta,
        StockLines,
    },
    error::{Error, Result},
    events,
};

const HELD: &str = "held";
const COMMITTED: &str = "committed";
const RELEASED: &str = "released";

/// The lines of reservation `$id` as (product id, units), in product-id
/// order (the order stock rows are locked in), inside a connection or
/// transaction.
macro_rules! lines_of {
    ($conn:expr, $id:expr) => {{
        let lines: Vec<(String, i64)> = reservation_lines::table
            .filter(reservation_lines::reservation_id.eq($id))
            .order(reservation_lines::product_id.asc())
            .select((reservation_lines::product_id, reservation_lines::quantity))
            .load($conn)
            .await?;
        lines
    }};
}

/// Loads a reservation and its lines inside a connection or transaction.
macro_rules! load_reservation {
    ($conn:expr, $id:expr) => {{
        let row: Option<ReservationRow> = reservations::table
            .find($id)
            .select(ReservationRow::as_select())
            .first($conn)
            .await
            .optional()?;
        match row {
            None => None,
            Some(row) => Some(rows::reservation(row, lines_of!($conn, $id))?),
        }
    }};
}

/// Puts the units of `$lines` back: into `available`, and out of
/// `reserved` when `$was_held`.
macro_rules! restock {
    ($conn:expr, $lines:expr, $was_held:expr) => {{
        for (product_id, quantity) in $lines {
            let target = stock::table.filter(stock::product_id.eq(product_id));
            if $was_held {
                diesel::update(target)
                    .set((
                        stock::available.eq(stock::available + *quantity),
                        stock::reserved.eq(stock::reserved - *quantity),
                    ))
                    .cached()
                    .execute($conn)
                    .await?;
            } else {
                diesel::update(target)
                    .set(stock::available.eq(stock::available + *quantity))
                    .cached()
                    .execute($conn)
                    .await?;
            }
        }
    }};
}

impl Store {
    /// Reserves every line or none, keyed by the reservation id.
    pub async fn reserve(&self, id: &ReservationId, lines: &StockLines) -> Result<Reservation> {
        match self.try_reserve(id, lines).await {
            // A concurrent call with the same id inserted first: answer as
            // a repeat of that call.
            Err(e) if e.is_unique_violation() => self.existing_reservation(id, lines).await,
            other => other,
        }
    }

    async fn existing_reservation(
        &self,
        id: &ReservationId,
        lines: &StockLines,
    ) -> Result<Reservation> {
        let existing = self.reservation(id).await?;
        if existing.is_same_request(lines) {
            Ok(existing)
        } else {
            Err(Error::ReservationMismatch(id.as_str().to_owned()))
        }
    }

    async fn try_reserve(&self, id: &ReservationId, lines: &StockLines) -> Result<Reservation> {
        let now = self.clock.now();
        let key = id.as_str().to_owned();
        let wanted: Vec<(String, i64)> = lines
            .iter()
            .map(|l| (l.product_id.to_string(), l.quantity))
            .collect();
        let low_stock = self.low_stock;
        let row = ReservationRow {
            id: key.clone(),
            status: HELD.to_owned(),
            expires_at: to_micros(now + self.hold),
            created_at: to_micros(now),
            updated_at: to_micros(now),
        };

        // On the way that succeeds, one statement for the reservation and
        // two per line (its stock, its line), each prepared once per
        // connection; the reads that explain a refusal run only
        // when there is one to explain.
        let existing: Option<Reservation> = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // The id first: a repeat finds it taken (a concurrent
                // first call's insert is waited for, on PostgreSQL, until
                // it commits or rolls back) and answers with what that call
                // made, having touched no stock.
                let claimed = diesel::insert_into(reservations::table)
                    .values(&row)
                    .on_conflict_do_nothing()
                    .cached()
                    .execute(tx)
                    .await?;
                if claimed == 0 {
                    return match load_reservation!(tx, &key) {
                        Some(existing) => Ok(Some(existing)),
                        None => Err(Error::Corrupt(format!("reservation {key:?} vanished"))),
                    };
                }

                // The preconditions are in the WHERE clause: a row with
                // too few units, or of a product that does not exist (or
                // is deleted), is simply not updated. Rows are taken in
                // product-id order (the lines are sorted), so concurrent
                // reservations cannot deadlock.
                let mut refused = Vec::new();
                let mut low = Vec::new();
                for (product_id, quantity) in &wanted {
                    let on_sale = diesel::dsl::exists(
                        products::table
                            .filter(products::id.eq(product_id))
                            .filter(products::deleted.eq(false)),
                    );
                    let left: Option<i64> = diesel::update(
                        stock::table
                            .filter(stock::product_id.eq(product_id))
                            .filter(stock::available.ge(*quantity))
                            .filter(on_sale),
                    )
                    .set((
                        stock::available.eq(stock::available - *quantity),
                        stock::reserved.eq(stock::reserved + *quantity),
                    ))
                    .returning(stock::available)
                    .cached()
                    .get_result(tx)
                    .await
                    .optional()?;
                    match left {
                        None => refused.push(product_id.clone()),
                        Some(left) => low.extend(events::stock_low(
                            product_id,
                            left + quantity,
                            left,
                            low_stock,
                        )),
                    }
                }
                if !refused.is_empty() {
                    // Returning an error rolls back the reservation and the
                    // lines already taken. Why, read in the same
                    // transaction: products that are not for sale first
                    // (all of them: each was refused), else what is left of
                    // each short one, so the buyer is told what could still
                    // be had.
                    let found: Vec<String> = products::table
                        .filter(products::id.eq_any(&refused))
                        .filter(products::deleted.eq(false))
                        .select(products::id)
                        .load(tx)
                        .await?;
                    let missing: Vec<String> = refused
                        .iter()
                        .filter(|p| !found.contains(p))
                        .cloned()
                        .collect();
                    if !missing.is_empty() {
                        return Err(Error::ProductsNotFound(missing));
                    }
                    let mut short = Vec::with_capacity(refused.len());
                    for product_id in refused {
                        let available: Option<i64> = stock::table
                            .filter(stock::product_id.eq(&product_id))
                            .select(stock::available)
                            .first(tx)
                            .await
                            .optional()?;
                        short.push((product_id, available.unwrap_or(0).max(0)));
                    }
                    return Err(Error::OutOfStock(short));
                }

                for (product_id, quantity) in &wanted {
                    diesel::insert_into(reservation_lines::table)
                        .values((
                            reservation_lines::reservation_id.eq(&key),
                            reservation_lines::product_id.eq(product_id),
                            reservation_lines::quantity.eq(*quantity),
                        ))
                        .cached()
                        .execute(tx)
                        .await?;
                }
                for event in &low {
                    platform::events::append(tx.into(), event.clone(), now).await?;
                }
                Ok(None)
            })
            .await?
        });

        match existing {
            Some(existing) if existing.is_same_request(lines) => Ok(existing),
            Some(_) => Err(Error::ReservationMismatch(key)),
            None => Ok(Reservation {
                id: id.clone(),
                lines: lines.clone(),
                status: ReservationStatus::Held,
                expires_at: now + self.hold,
                created_at: now,
                updated_at: now,
            }),
        }
    }

    /// A reservation by id.
    pub async fn reservation(&self, id: &ReservationId) -> Result<Reservation> {
        let key = id.as_str().to_owned();
        let found: Option<Reservation> = on_db!(&self.db, |conn| load_reservation!(conn, &key));
        found.ok_or(Error::ReservationNotFound(key))
    }

    /// Returns a reservation's units to stock, whether held or committed.
    /// Releasing a released reservation changes nothing.
    pub async fn release(&self, id: &ReservationId) -> Result<Reservation> {
        self.release_if(id, None).await?;
        self.reservation(id).await
    }

    /// Releases `id` if it is held (and, with `expired_by`, expired by then)
    /// or committed. Returns the products it restocked if this call
    /// released it.
    async fn release_if(
        &self,
        id: &ReservationId,
        expired_by: Option<i64>,
    ) -> Result<Option<Vec<String>>> {
        let key = id.as_str().to_owned();
        let now = to_micros(self.clock.now());
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // Exactly one releaser can move the row out of each state.
                let held = reservations::table
                    .filter(reservations::id.eq(&key))
                    .filter(reservations::status.eq(HELD))
                    .filter(reservations::expires_at.le(expired_by.unwrap_or(i64::MAX)));
                let was_held = diesel::update(held)
                    .set((
                        reservations::status.eq(RELEASED),
                        reservations::updated_at.eq(now),
                    ))
                    .execute(tx)
                    .await?
                    == 1;
                let was_committed = !was_held
                    && expired_by.is_none()
                    && diesel::update(
                        reservations::table
                            .filter(reservations::id.eq(&key))
                            .filter(reservations::status.eq(COMMITTED)),
                    )
                    .set((
                        reservations::status.eq(RELEASED),
                        reservations::updated_at.eq(now),
                    ))
                    .execute(tx)
                    .await?
                        == 1;
                if !was_held && !was_committed {
                    return Ok(None);
                }
                let lines = lines_of!(tx, &key);
                restock!(tx, lines.iter().map(|(p, q)| (p, q)), was_held);
                Ok(Some(
                    lines.into_iter().map(|(product, _)| product).collect(),
                ))
            })
            .await
        })
    }

    /// Marks a held, unexpired reservation as sold. Committing a committed
    /// reservation changes nothing.
    pub async fn commit(&self, id: &ReservationId) -> Result<Reservation> {
        let key = id.as_str().to_owned();
        let now = to_micros(self.clock.now());
        // One transaction, and no read afterwards: the guarded UPDATE
        // returns the reservation row as committed, and its lines are read
        // in the same transaction (they never change once written).
        let committed: Option<(ReservationRow, Vec<(String, i64)>)> = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // Exactly one committer moves the row out of `held`.
                let row: Option<ReservationRow> = diesel::update(
                    reservations::table
                        .filter(reservations::id.eq(&key))
                        .filter(reservations::status.eq(HELD))
                        .filter(reservations::expires_at.gt(now)),
                )
                .set((
                    reservations::status.eq(COMMITTED),
                    reservations::updated_at.eq(now),
                ))
                .returning(ReservationRow::as_returning())
                .cached()
                .get_result(tx)
                .await
                .optional()?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let lines = lines_of!(tx, &key);
                for (product_id, quantity) in &lines {
                    diesel::update(stock::table.filter(stock::product_id.eq(product_id)))
                        .set(stock::reserved.eq(stock::reserved - *quantity))
                        .cached()
                        .execute(tx)
                        .await?;
                }
                Ok(Some((row, lines)))
            })
            .await?
        });
        if let Some((row, lines)) = committed {
            return rows::reservation(row, lines);
        }
        let reservation = self.reservation(id).await?;
        match reservation.status {
            ReservationStatus::Committed => Ok(reservation),
            ReservationStatus::Released => Err(Error::ReservationReleased(key)),
            ReservationStatus::Held => Err(Error::ReservationExpired(key)),
        }
    }

    /// Releases up to `limit` held reservations whose hold has expired,
    /// calling `restocked` with each product whose stock that changed (once
    /// the change is committed). Returns how many this call released
    /// (another replica may race it for the same rows; each is released
    /// once).
    pub async fn release_expired(
        &self,
        limit: i64,
        restocked: impl Fn(ProductId),
    ) -> Result<usize> {
        let now = to_micros(self.clock.now());
        let due: Vec<String> = on_db!(&self.db, |conn| {
            reservations::table
                .filter(reservations::status.eq(HELD))
                .filter(reservations::expires_at.le(now))
                .order(reservations::expires_at.asc())
                .limit(limit)
                .select(reservations::id)
                .load(conn)
                .await?
        });
        let mut released = 0;
        for key in due {
            let id = ReservationId::parse(&key)
                .map_err(|_| Error::Corrupt(format!("reservation id {key:?}")))?;
            if let Some(products) = self.release_if(&id, Some(now)).await? {
                released += 1;
                for product in products {
                    restocked(
                        ProductId::parse(&product)
                            .map_err(|_| Error::Corrupt(format!("reservation line {product:?}")))?,
                    );
                }
            }
        }
        Ok(released)
    }

    /// Stock levels of a product that exists and is not deleted.
    pub async fn stock(&self, id: ProductId) -> Result<Stock> {
        let key = id.to_string();
        let row: Option<StockRow> = on_db!(&self.db, |conn| {
            stock::table
                .inner_join(products::table)
                .filter(stock::product_id.eq(&key))
                .filter(products::deleted.eq(false))
                .select(StockRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.ok_or(Error::ProductNotFound(key))?.try_into()
    }

    /// Adds `delta` units (or removes them) unless stock would go negative,
    /// and records who did it and why.
    pub async fn adjust_stock(
        &self,
        id: ProductId,
        delta: StockDelta,
        reason: &Reason,
        actor: &str,
    ) -> Result<Stock> {
        self.stock(id).await?;
        let key = id.to_string();
        let units = delta.units();
        let (low_stock, now) = (self.low_stock, self.clock.now());
        let audit = (
            stock_adjustments::id.eq(uuid::Uuid::now_v7().to_string()),
            stock_adjustments::product_id.eq(key.clone()),
            stock_adjustments::delta.eq(units),
            stock_adjustments::reason.eq(reason.as_str().to_owned()),
            stock_adjustments::actor.eq(actor.to_owned()),
            stock_adjustments::created_at.eq(to_micros(self.clock.now())),
        );
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                let left: Option<i64> = diesel::update(
                    stock::table
                        .filter(stock::product_id.eq(&key))
                        .filter(stock::available.ge(-units)),
                )
                .set(stock::available.eq(stock::available + units))
                .returning(stock::available)
                .get_result(tx)
                .await
                .optional()?;
                let Some(left) = left else {
                    return Err(Error::InsufficientStock(key.clone()));
                };
                if let Some(event) = events::stock_low(&key, left - units, left, low_stock) {
                    platform::events::append(tx.into(), event, now).await?;
                }
                diesel::insert_into(stock_adjustments::table)
                    .values(audit.clone())
                    .execute(tx)
                    .await?;
                Ok(())
            })
            .await
        })?;
        self.stock(id).await
    }
}

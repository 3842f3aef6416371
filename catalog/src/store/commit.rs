//! Committing a reservation (CommitReservation): the held, unexpired
//! reservation is marked sold and its units leave `reserved`. On
//! PostgreSQL that is one statement, so one round trip and no transaction
//! of its own; on SQLite, a transaction of three statements under the
//! database's write lock.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::to_micros,
    db::{PgConn, SqliteConn},
    events::Conn,
    on_db,
    statements::CacheStatement,
};

use super::{
    Store,
    inventory::{COMMITTED, HELD},
    rows::{self, ReservationRow},
    schema::{reservation_lines, reservations, stock},
};
use crate::{
    domain::{Reservation, ReservationId, ReservationStatus},
    error::{Error, Result},
};

/// A reservation as committed and its lines: the reservation row, then
/// its `(product id, quantity)` lines.
type Committed = (ReservationRow, Vec<(String, i64)>);

impl Store {
    /// Marks a held, unexpired reservation as sold. Committing a committed
    /// reservation changes nothing.
    pub async fn commit(&self, id: &ReservationId) -> Result<Reservation> {
        let key = id.as_str();
        let now = to_micros(self.clock.now());
        let committed: Option<Committed> = on_db!(&self.db, |conn| {
            match Conn::from(conn) {
                Conn::Postgres(c) => commit_postgres(c, key, now).await?,
                Conn::Sqlite(c) => commit_sqlite(c, key, now).await?,
            }
        });
        if let Some((row, lines)) = committed {
            return rows::reservation(row, lines);
        }
        // Not held, or expired: say which, or answer a repeat.
        let reservation = self.reservation(id).await?;
        match reservation.status {
            ReservationStatus::Committed => Ok(reservation),
            ReservationStatus::Released => Err(Error::ReservationReleased(key.to_owned())),
            ReservationStatus::Held => Err(Error::ReservationExpired(key.to_owned())),
        }
    }
}

/// One line of the PostgreSQL statement's answer: the committed
/// reservation's row, repeated, with one of its lines.
#[derive(QueryableByName)]
struct CommittedLine {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    expires_at: i64,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = BigInt)]
    updated_at: i64,
    #[diesel(sql_type = Text)]
    product_id: String,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
}

/// The commit on PostgreSQL, one statement: the guarded update of the
/// reservation (exactly one committer moves it out of `held`: a concurrent
/// one waits for the row's lock, then finds it no longer held), its lines,
/// and their stock rows, locked in product-id order (as a reservation
/// takes them, so the two cannot deadlock) before `reserved` is lowered on
/// each. Under READ COMMITTED the update of a stock row another
/// transaction changed meanwhile is applied to that newer version. `None`
/// if the reservation was not held and unexpired.
async fn commit_postgres(conn: &mut PgConn, key: &str, now: i64) -> Result<Option<Committed>> {
    let found: Vec<CommittedLine> = diesel::sql_query(
        "WITH committed AS (\
            UPDATE reservations SET status = $3, updated_at = $2 \
            WHERE id = $1 AND status = $4 AND expires_at > $2 \
            RETURNING id, status, expires_at, created_at, updated_at), \
         lines AS (\
            SELECT l.product_id, l.quantity FROM reservation_lines l \
            JOIN committed c ON l.reservation_id = c.id), \
         locked AS (\
            SELECT s.product_id FROM stock s \
            WHERE s.product_id IN (SELECT product_id FROM lines) \
            ORDER BY s.product_id FOR UPDATE OF s), \
         moved AS (\
            UPDATE stock SET reserved = stock.reserved - l.quantity \
            FROM lines l JOIN locked k ON k.product_id = l.product_id \
            WHERE stock.product_id = l.product_id) \
         SELECT c.id, c.status, c.expires_at, c.created_at, c.updated_at, \
             l.product_id, l.quantity \
         FROM committed c CROSS JOIN lines l ORDER BY l.product_id",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(now)
    .bind::<Text, _>(COMMITTED)
    .bind::<Text, _>(HELD)
    .cached()
    .load(conn)
    .await?;
    let Some(first) = found.as_slice().first() else {
        return Ok(None);
    };
    let row = ReservationRow {
        id: first.id.clone(),
        status: first.status.clone(),
        expires_at: first.expires_at,
        created_at: first.created_at,
        updated_at: first.updated_at,
    };
    let lines = found
        .into_iter()
        .map(|line| (line.product_id, line.quantity))
        .collect();
    Ok(Some((row, lines)))
}

/// The commit on SQLite: the guarded update returns the reservation as
/// committed, then its lines (they never change once written) and their
/// stock, in one transaction, with no read afterwards.
async fn commit_sqlite(conn: &mut SqliteConn, key: &str, now: i64) -> Result<Option<Committed>> {
    conn.transaction::<_, Error, _>(async |tx| {
        let row: Option<ReservationRow> = diesel::update(
            reservations::table
                .filter(reservations::id.eq(key))
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
        let lines: Vec<(String, i64)> = reservation_lines::table
            .filter(reservation_lines::reservation_id.eq(key))
            .order(reservation_lines::product_id.asc())
            .select((reservation_lines::product_id, reservation_lines::quantity))
            .load(tx)
            .await?;
        for (product_id, quantity) in &lines {
            diesel::update(stock::table.filter(stock::product_id.eq(product_id)))
                .set(stock::reserved.eq(stock::reserved - *quantity))
                .cached()
                .execute(tx)
                .await?;
        }
        Ok(Some((row, lines)))
    })
    .await
}

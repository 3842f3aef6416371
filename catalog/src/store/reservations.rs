//! Reading a product's reservations for admins (ListReservations): one
//! page of reservations, then all their lines in one more query.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use platform::{
    on_db,
    paging::{Cursor, Page},
};

use super::{
    Store,
    rows::{self, ReservationRow},
    schema::{products, reservation_lines, reservations},
};
use crate::{
    domain::{Reservation, ReservationQuery, ReservationStatus},
    error::{Error, Result},
};

impl Store {
    /// One page of the reservations with a line for the query's product,
    /// newest first (ties by id), each with all its lines. NOT_FOUND for an
    /// id that never named a product; a deleted product's reservations are
    /// still listed (they are its history).
    pub async fn product_reservations(
        &self,
        query: &ReservationQuery,
    ) -> Result<Page<Reservation>> {
        let product = query.product.to_string();
        let status = query.status.map(ReservationStatus::as_str);
        let after = query.after.clone();
        let limit = query.page_size.fetch();
        let (known, found): (i64, Vec<ReservationRow>) = on_db!(&self.db, |conn| {
            let known: i64 = products::table
                .filter(products::id.eq(&product))
                .count()
                .get_result(conn)
                .await?;
            let mut select = reservations::table
                .inner_join(reservation_lines::table)
                .filter(reservation_lines::product_id.eq(&product))
                .select(ReservationRow::as_select())
                .order((reservations::created_at.desc(), reservations::id.desc()))
                .limit(limit)
                .into_boxed();
            if let Some(status) = status {
                select = select.filter(reservations::status.eq(status));
            }
            if let Some(Cursor { at, id }) = &after {
                select = select.filter(
                    reservations::created_at
                        .lt(at)
                        .or(reservations::created_at.eq(at).and(reservations::id.lt(id))),
                );
            }
            (known, select.load(conn).await?)
        });
        if known == 0 {
            return Err(Error::ProductNotFound(product));
        }
        let page = Page::of(found, query.page_size);
        let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
        let lines: Vec<(String, String, i64)> = on_db!(&self.db, |conn| {
            reservation_lines::table
                .filter(reservation_lines::reservation_id.eq_any(&ids))
                .order((
                    reservation_lines::reservation_id.asc(),
                    reservation_lines::product_id.asc(),
                ))
                .select((
                    reservation_lines::reservation_id,
                    reservation_lines::product_id,
                    reservation_lines::quantity,
                ))
                .load(conn)
                .await?
        });
        page.try_map(|row| {
            let own = lines
                .iter()
                .filter(|(reservation, _, _)| *reservation == row.id)
                .map(|(_, product, quantity)| (product.clone(), *quantity))
                .collect();
            rows::reservation(row, own)
        })
    }
}

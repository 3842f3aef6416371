//! ListReservations (admins): a product's reservations, newest first, with
//! an optional status filter and page tokens.

use contracts::catalog as proto;
use platform::paging::{Cursor, PageSize, PageTokens};

use super::convert::Violations;
use crate::{
    domain::{ProductId, ReservationQuery, ReservationStatus},
    error::Error,
    store::Store,
};

/// The status filter: none for UNSPECIFIED, else the one named.
fn status(raw: i32) -> Result<Option<ReservationStatus>, String> {
    match proto::ReservationStatus::try_from(raw) {
        Ok(proto::ReservationStatus::Unspecified) => Ok(None),
        Ok(proto::ReservationStatus::Held) => Ok(Some(ReservationStatus::Held)),
        Ok(proto::ReservationStatus::Committed) => Ok(Some(ReservationStatus::Committed)),
        Ok(proto::ReservationStatus::Released) => Ok(Some(ReservationStatus::Released)),
        Err(_) => Err("is not a reservation status".into()),
    }
}

/// The answer to ListReservations.
pub async fn list(
    store: &Store,
    tokens: &PageTokens,
    request: &proto::ListReservationsRequest,
) -> Result<proto::ListReservationsResponse, Error> {
    let mut v = Violations::default();
    let product = v.check("product_id", ProductId::parse(&request.product_id));
    let status = v.check("status", status(request.status));
    let page_size = v.check("page_size", PageSize::new(request.page_size));
    // A page token is only good for the product and status it was issued for.
    let status_filter = request.status.to_string();
    let filters = [request.product_id.as_str(), status_filter.as_str()];
    let after = v.check("page_token", tokens.after(&request.page_token, &filters));
    let query = v.finish(|| {
        Some(ReservationQuery {
            product: product?,
            status: status?,
            page_size: page_size?,
            after: after?,
        })
    })?;

    let page = store.product_reservations(&query).await?;
    Ok(proto::ListReservationsResponse {
        next_page_token: tokens.next(&page, &filters, |last| {
            Cursor::of(last.created_at, last.id.as_str())
        }),
        reservations: page.items.iter().map(proto::Reservation::from).collect(),
    })
}

//! Stock and reservations: what a reservation asks for, and the lifecycle
//! held -> committed -> released (or held -> released on expiry).

use platform::paging::{Cursor, PageSize};
use time::OffsetDateTime;

use super::values::ProductId;

/// Most lines in one reservation.
pub const MAX_LINES: usize = 50;
/// Most units of one product in one reservation.
pub const MAX_QUANTITY: i64 = 1000;

platform::string_value!(
    /// A reservation's id, chosen by the caller (the order id): 1 to 64
    /// characters of letters, digits, `-` and `_`.
    pub ReservationId, platform::values::key
);

/// Units of one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockLine {
    pub product_id: ProductId,
    pub quantity: i64,
}

/// What is wrong with one line of a reservation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The list itself: empty or too long.
    Lines(String),
    /// Line `index`'s product id.
    ProductId(usize, String),
    /// Line `index`'s quantity.
    Quantity(usize, String),
}

/// The lines of a reservation: 1 to [`MAX_LINES`], distinct products, each
/// 1 to [`MAX_QUANTITY`] units, sorted by product id so that every
/// transaction touches stock rows in the same order (no deadlocks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLines(Vec<StockLine>);

impl StockLines {
    /// Validates raw `(product id, quantity)` pairs, reporting every bad line.
    pub fn parse<'a>(
        raw: impl ExactSizeIterator<Item = (&'a str, i64)>,
    ) -> Result<Self, Vec<LineError>> {
        let count = raw.len();
        if count == 0 {
            return Err(vec![LineError::Lines("must have at least one line".into())]);
        }
        if count > MAX_LINES {
            return Err(vec![LineError::Lines(format!(
                "must have at most {MAX_LINES} lines"
            ))]);
        }
        let mut errors = Vec::new();
        let mut lines: Vec<StockLine> = Vec::with_capacity(count);
        for (index, (product_id, quantity)) in raw.enumerate() {
            let product_id = match ProductId::parse(product_id) {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(LineError::ProductId(index, e));
                    None
                }
            };
            if !(1..=MAX_QUANTITY).contains(&quantity) {
                errors.push(LineError::Quantity(
                    index,
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
            if let Some(product_id) = product_id {
                if lines.iter().any(|l| l.product_id == product_id) {
                    errors.push(LineError::ProductId(
                        index,
                        "repeats a product of an earlier line".into(),
                    ));
                }
                lines.push(StockLine {
                    product_id,
                    quantity,
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        lines.sort_by_key(|l| l.product_id);
        Ok(Self(lines))
    }

    /// Lines already known to be valid (read back from the database).
    pub fn from_stored(mut lines: Vec<StockLine>) -> Self {
        lines.sort_by_key(|l| l.product_id);
        Self(lines)
    }

    pub fn iter(&self) -> impl Iterator<Item = &StockLine> {
        self.0.iter()
    }

    pub fn product_ids(&self) -> Vec<ProductId> {
        self.0.iter().map(|l| l.product_id).collect()
    }
}

platform::stored_enum!(
    /// Where a reservation is in its lifecycle.
    pub ReservationStatus {
        /// Units set aside until the hold expires.
        Held => "held",
        /// Units sold.
        Committed => "committed",
        /// Units back in stock.
        Released => "released",
    }
);

/// A reservation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: ReservationId,
    pub lines: StockLines,
    pub status: ReservationStatus,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Reservation {
    /// Whether a repeated request with `lines` is the same request (so it
    /// gets this reservation back) or a different one reusing the id.
    pub fn is_same_request(&self, lines: &StockLines) -> bool {
        &self.lines == lines
    }
}

/// A page of a product's reservations (ListReservations), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationQuery {
    pub product: ProductId,
    /// Only these; `None`: any status.
    pub status: Option<ReservationStatus>,
    pub page_size: PageSize,
    /// Continue after this reservation (its creation time and id).
    pub after: Option<Cursor>,
}

/// A product's stock levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock {
    pub product_id: ProductId,
    pub available: i64,
    pub reserved: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0190a1b2-0000-7000-8000-000000000001";
    const B: &str = "0190a1b2-0000-7000-8000-000000000002";

    #[test]
    fn lines_are_sorted_so_locks_are_taken_in_one_order() {
        let lines = StockLines::parse([(B, 1), (A, 2)].into_iter()).expect("valid");
        let ids: Vec<String> = lines.iter().map(|l| l.product_id.to_string()).collect();
        assert_eq!(ids, [A, B]);
    }

    #[test]
    fn the_same_lines_in_another_order_are_the_same_request() {
        let first = StockLines::parse([(A, 1), (B, 2)].into_iter()).expect("valid");
        let again = StockLines::parse([(B, 2), (A, 1)].into_iter()).expect("valid");
        assert_eq!(first, again);
    }

    #[test]
    fn every_bad_line_is_reported() {
        let errors =
            StockLines::parse([(A, 0), ("nope", 1), (A, 1)].into_iter()).expect_err("invalid");
        assert_eq!(
            errors,
            [
                LineError::Quantity(0, "must be between 1 and 1000".into()),
                LineError::ProductId(1, "must be a product id (a UUID)".into()),
                LineError::ProductId(2, "repeats a product of an earlier line".into()),
            ]
        );
    }

    #[test]
    fn empty_and_oversized_requests_are_refused() {
        assert!(StockLines::parse(std::iter::empty::<(&str, i64)>()).is_err());
        let ids: Vec<String> = (0..=MAX_LINES)
            .map(|i| format!("0190a1b2-0000-7000-8000-{i:012}"))
            .collect();
        assert!(StockLines::parse(ids.iter().map(|id| (id.as_str(), 1))).is_err());
    }

    #[test]
    fn reservation_ids_are_safe_keys() {
        assert!(ReservationId::parse("order_123-abc").is_ok());
        assert!(ReservationId::parse("").is_err());
        assert!(ReservationId::parse("a b").is_err());
        assert!(ReservationId::parse(&"x".repeat(65)).is_err());
    }
}

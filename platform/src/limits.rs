//! Bounds on how many items a request may carry in a repeated field.
//!
//! A repeated field is checked against its documented maximum before any
//! of its items is looked at: an oversized request costs one comparison and
//! gets one small INVALID_ARGUMENT, instead of a violation per bad item (an
//! answer that can outgrow what HTTP/2 allows in headers) or database work.

use crate::error::{FieldViolation, InvalidRequest};

/// `Ok` if `field` holds at most `max` items (`count`), else INVALID_ARGUMENT
/// naming the field and its maximum. Call it before validating the items.
pub fn at_most(field: &str, count: usize, max: usize) -> Result<(), InvalidRequest> {
    if count <= max {
        return Ok(());
    }
    Err(InvalidRequest(vec![FieldViolation::new(
        field,
        format!("must have at most {max} items, not {count}"),
    )]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maximum_itself_is_allowed() {
        assert_eq!(at_most("ids", 0, 100), Ok(()));
        assert_eq!(at_most("ids", 100, 100), Ok(()));
    }

    #[test]
    fn one_more_is_one_violation_naming_the_field_and_the_maximum() {
        let InvalidRequest(violations) = at_most("lines", 51, 50).expect_err("too many");
        assert_eq!(
            violations,
            [FieldViolation::new(
                "lines",
                "must have at most 50 items, not 51"
            )]
        );
    }
}

//! Checks of the parts a quote request and its check share: the parcel's
//! lines and its address, into the domain's values, every violation named
//! by its field. The address is checked by `platform::address`, as
//! CreateOrder checks the order's (trimmed texts of bounded length, an
//! upper-case country code), so a quote and its order compare equal after
//! the same normalisation.

use contracts::{common, fulfilment as proto};
use platform::error::Violations;

use crate::domain::{
    Address,
    quote::{MAX_LINES, MAX_QUANTITY, ProductId, QuoteLine},
};

/// The address at `field`, which is required.
pub fn address(
    v: &mut Violations,
    field: &str,
    address: Option<&common::Address>,
) -> Option<Address> {
    platform::address::required(v, field, address).map(Address::from)
}

/// The lines at `lines`: 1 to [`MAX_LINES`], distinct products,
/// quantities 1 to [`MAX_QUANTITY`]. Call [`too_many`] first.
pub fn lines(v: &mut Violations, lines: &[proto::ShippingLine]) -> Option<Vec<QuoteLine>> {
    if lines.is_empty() {
        v.add("lines", "must have at least one line");
    }
    let mut valid = Vec::with_capacity(lines.len());
    let mut all_valid = true;
    for (i, line) in lines.iter().enumerate() {
        let id = v.check(
            &format!("lines[{i}].product_id"),
            ProductId::parse(&line.product_id),
        );
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            v.add(
                format!("lines[{i}].quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            );
            all_valid = false;
        }
        let Some(id) = id else {
            all_valid = false;
            continue;
        };
        if valid.iter().any(|l: &QuoteLine| l.product_id == id) {
            v.add(
                format!("lines[{i}].product_id"),
                "repeats a product of an earlier line; add up the quantities instead",
            );
            all_valid = false;
        }
        valid.push(QuoteLine {
            product_id: id,
            quantity: line.quantity,
        });
    }
    all_valid.then_some(valid)
}

/// Too many lines is one violation, not one per line: checked before
/// anything else.
pub fn too_many(lines: &[proto::ShippingLine]) -> Result<(), platform::error::InvalidRequest> {
    platform::limits::at_most("lines", lines.len(), MAX_LINES)
}

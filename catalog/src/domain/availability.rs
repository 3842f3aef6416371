//! What a shopper sees of a product's stock: in stock, low (with the units
//! left) or out, from the units that can still be reserved.

/// Most available units that still count as low stock: at or below it a
/// product shows how many are left.
pub const LOW_STOCK_UNITS: i64 = 5;

/// Whether a product can be bought now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// More than [`LOW_STOCK_UNITS`] available.
    InStock,
    /// 1 to [`LOW_STOCK_UNITS`] available.
    LowStock { units_left: i64 },
    /// None available.
    OutOfStock,
}

impl Availability {
    /// The availability of a product with `available` units to reserve.
    pub fn of(available: i64) -> Self {
        match available {
            ..=0 => Self::OutOfStock,
            1..=LOW_STOCK_UNITS => Self::LowStock {
                units_left: available,
            },
            _ => Self::InStock,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_follows_the_units_left() {
        for (available, expected) in [
            (i64::MIN, Availability::OutOfStock),
            (-1, Availability::OutOfStock),
            (0, Availability::OutOfStock),
            (1, Availability::LowStock { units_left: 1 }),
            (4, Availability::LowStock { units_left: 4 }),
            (LOW_STOCK_UNITS, Availability::LowStock { units_left: 5 }),
            (LOW_STOCK_UNITS + 1, Availability::InStock),
            (1000, Availability::InStock),
            (i64::MAX, Availability::InStock),
        ] {
            assert_eq!(Availability::of(available), expected, "{available} units");
        }
    }
}

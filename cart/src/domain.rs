//! The cart's rules, pure: its limits, who owns a cart, what a write asks
//! for, and how a write or a merge changes a cart's lines. The store runs
//! them inside its transactions; nothing here knows tonic or diesel.

pub mod checkout;

use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The most lines a cart holds.
pub const MAX_LINES: usize = 50;
/// The most units of one product a line holds (and the least is 1).
pub const MAX_QUANTITY: i32 = 99;

platform::uuid_value!(
    /// A cart's id: random, issued by the server; for an anonymous cart it
    /// is also the capability to use it.
    pub CartId, "a cart id"
);

platform::uuid_value!(
    /// A product's id, as the catalog issued it.
    pub ProductId, "a product id"
);

impl CartId {
    /// A new, unguessable cart id (UUID v4: all random bits).
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

platform::string_value!(
    /// A client's request id: 1 to 64 letters, digits, '-' or '_'.
    pub RequestId, platform::values::key
);

/// Whose cart a call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A signed-in customer: their one cart.
    Customer(String),
    /// An anonymous caller: the cart whose id it holds, or none yet.
    Anonymous(Option<CartId>),
}

/// A quantity a client asked for: 1 to [`MAX_QUANTITY`].
pub fn quantity(raw: i32) -> std::result::Result<i32, String> {
    if (1..=MAX_QUANTITY).contains(&raw) {
        Ok(raw)
    } else {
        Err(format!("must be between 1 and {MAX_QUANTITY}"))
    }
}

/// A product as the catalog's events last described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub price_minor: i64,
    pub currency: String,
    pub deleted: bool,
}

/// One line of a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub product_id: String,
    /// The product's name, as last published (empty if unknown).
    pub product_name: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub currency: String,
    /// The price the customer saw before the catalog changed it.
    pub previous_price_minor: Option<i64>,
    /// The catalog deleted the product.
    pub unavailable: bool,
}

impl Line {
    fn of(product: &Product, quantity: i32) -> Self {
        Self {
            product_id: product.id.clone(),
            product_name: product.name.clone(),
            quantity,
            unit_price_minor: product.price_minor,
            currency: product.currency.clone(),
            previous_price_minor: None,
            unavailable: false,
        }
    }
}

/// A stored cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    pub id: CartId,
    pub user_id: Option<String>,
    /// Bumped by every change; the etag is made from it.
    pub version: i64,
    pub lines: Vec<Line>,
    pub updated_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// The etag of a cart at `version`.
pub fn etag(version: i64) -> String {
    format!("v{version}")
}

/// The version an etag names; `None` for anything that is not an etag
/// this service made (it matches no cart).
pub fn version_of(etag: &str) -> Option<i64> {
    etag.strip_prefix('v')?.parse().ok()
}

/// What a write asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add {
        product_id: ProductId,
        quantity: i32,
    },
    SetQuantity {
        product_id: ProductId,
        quantity: i32,
    },
    Remove {
        product_id: ProductId,
    },
    Clear,
}

impl Change {
    /// What a request id is remembered with: the same id with another
    /// fingerprint is a different request.
    pub fn fingerprint(&self) -> String {
        match self {
            Change::Add {
                product_id,
                quantity,
            } => format!("add {product_id} {quantity}"),
            Change::SetQuantity {
                product_id,
                quantity,
            } => format!("set {product_id} {quantity}"),
            Change::Remove { product_id } => format!("remove {product_id}"),
            Change::Clear => "clear".to_owned(),
        }
    }

    /// The product the change adds, which must be for sale.
    pub fn added_product(&self) -> Option<ProductId> {
        match self {
            Change::Add { product_id, .. } => Some(*product_id),
            _ => None,
        }
    }
}

/// A write, as the API validated it.
#[derive(Debug, Clone)]
pub struct Write {
    pub owner: Owner,
    /// The version the client read; `None` for an empty etag (creating the
    /// cart).
    pub expected: Option<i64>,
    pub request_id: RequestId,
    pub change: Change,
}

/// Applies `change` to `lines`; `product` is the product an Add adds (the
/// caller has checked it is for sale). Limits are refused, never clamped.
pub fn apply(lines: &mut Vec<Line>, change: &Change, product: Option<&Product>) -> Result<()> {
    let position = |lines: &[Line], id: &ProductId| {
        let id = id.to_string();
        lines.iter().position(|l| l.product_id == id)
    };
    match change {
        Change::Add {
            product_id,
            quantity,
        } => {
            let product = product.ok_or_else(|| Error::ProductNotFound(product_id.to_string()))?;
            if let Some(at) = position(lines, product_id) {
                let line = &mut lines[at];
                let total = line.quantity.saturating_add(*quantity);
                if total > MAX_QUANTITY {
                    return Err(Error::invalid(
                        "quantity",
                        format!("the line would hold {total}; a line holds at most {MAX_QUANTITY}"),
                    ));
                }
                // Changing the line acknowledges a changed price.
                *line = Line {
                    quantity: total,
                    ..Line::of(product, total)
                };
            } else {
                if lines.len() >= MAX_LINES {
                    return Err(Error::invalid(
                        "product_id",
                        format!("the cart already holds {MAX_LINES} lines, the most it may hold"),
                    ));
                }
                lines.push(Line::of(product, *quantity));
            }
        }
        Change::SetQuantity {
            product_id,
            quantity,
        } => {
            let at = position(lines, product_id)
                .ok_or_else(|| Error::LineNotFound(product_id.to_string()))?;
            let line = &mut lines[at];
            if line.unavailable {
                return Err(Error::ProductNotFound(product_id.to_string()));
            }
            line.quantity = *quantity;
            line.previous_price_minor = None;
        }
        Change::Remove { product_id } => {
            let at = position(lines, product_id)
                .ok_or_else(|| Error::LineNotFound(product_id.to_string()))?;
            lines.remove(at);
        }
        Change::Clear => lines.clear(),
    }
    Ok(())
}

/// What a merge could not keep as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Products whose added quantities exceeded [`MAX_QUANTITY`]: their
    /// line holds the most it may.
    pub capped: Vec<String>,
    /// Products left out: the cart already held [`MAX_LINES`] lines.
    pub dropped: Vec<String>,
}

/// Merges the lines of an anonymous cart (`from`) into a customer's
/// (`into`): quantities of the same product are added, within the limits;
/// what the limits refuse is reported, not hidden.
pub fn merge(into: &mut Vec<Line>, from: Vec<Line>) -> MergeReport {
    let mut report = MergeReport::default();
    for line in from {
        if let Some(mine) = into.iter_mut().find(|l| l.product_id == line.product_id) {
            let total = mine.quantity.saturating_add(line.quantity);
            if total > MAX_QUANTITY {
                report.capped.push(line.product_id.clone());
            }
            mine.quantity = total.min(MAX_QUANTITY);
        } else if into.len() >= MAX_LINES {
            report.dropped.push(line.product_id);
        } else {
            into.push(line);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(name: &str, price: i64) -> Product {
        Product {
            id: ProductId::generate().to_string(),
            name: name.into(),
            price_minor: price,
            currency: "USD".into(),
            deleted: false,
        }
    }

    fn add(product: &Product, quantity: i32) -> Change {
        Change::Add {
            product_id: ProductId::parse(&product.id).expect("a product id"),
            quantity,
        }
    }

    #[test]
    fn adding_a_product_twice_adds_to_its_line() {
        let mug = product("Mug", 1250);
        let mut lines = Vec::new();
        apply(&mut lines, &add(&mug, 2), Some(&mug)).expect("added");
        apply(&mut lines, &add(&mug, 3), Some(&mug)).expect("added again");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].quantity, 5);
    }

    #[test]
    fn a_line_never_holds_more_than_the_limit() {
        let mug = product("Mug", 1250);
        let mut lines = Vec::new();
        apply(&mut lines, &add(&mug, 90), Some(&mug)).expect("added");
        let refused = apply(&mut lines, &add(&mug, 10), Some(&mug));
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(v)) if v[0].field == "quantity"),
            "{refused:?}"
        );
        assert_eq!(lines[0].quantity, 90, "nothing was clamped");
    }

    #[test]
    fn a_cart_never_holds_more_than_the_limit_of_lines() {
        let mut lines = Vec::new();
        for i in 0..MAX_LINES {
            let p = product(&format!("P{i}"), 100);
            apply(&mut lines, &add(&p, 1), Some(&p)).expect("added");
        }
        let one_more = product("One more", 100);
        let refused = apply(&mut lines, &add(&one_more, 1), Some(&one_more));
        assert!(
            matches!(&refused, Err(Error::InvalidArgument(v)) if v[0].field == "product_id"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_merge_adds_quantities_and_reports_what_the_limits_refused() {
        let (mug, tea) = (product("Mug", 1250), product("Tea", 500));
        let mut mine = vec![Line::of(&mug, 60)];
        let theirs = vec![Line::of(&mug, 60), Line::of(&tea, 1)];
        let report = merge(&mut mine, theirs);
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0].quantity, MAX_QUANTITY);
        assert_eq!(report.capped, vec![mug.id.clone()]);
        assert!(report.dropped.is_empty());
    }

    #[test]
    fn etags_name_versions_and_nothing_else() {
        assert_eq!(version_of(&etag(7)), Some(7));
        assert_eq!(version_of("7"), None);
        assert_eq!(version_of(""), None);
    }
}

//! The rules of checking out a cart: what may be ordered, the order's
//! request id (one order per cart version), and how the order's outcome
//! changes the cart. Pure, like the rest of the domain.

use super::{Cart, CartId, Line};
use crate::error::{Error, Result};

/// A product and how many of it an order holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    pub product_id: String,
    pub quantity: i32,
}

/// A checkout: the order placed (or being placed) for a cart at a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The order's request id, derived from the cart and its version.
    pub request_id: String,
    pub cart_id: CartId,
    pub version: i64,
    /// Exactly what the cart held at that version.
    pub lines: Vec<Ordered>,
}

/// How an order placed from a cart ended, as far as the cart cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Confirmed: the ordered lines leave the cart.
    Confirmed,
    /// Failed, or cancelled before it was confirmed: the lines stay, and
    /// the cart moves to a new version so the next checkout is a new order.
    Failed,
}

impl Settlement {
    /// How the checkout's row records it.
    pub fn as_str(self) -> &'static str {
        match self {
            Settlement::Confirmed => "confirmed",
            Settlement::Failed => "failed",
        }
    }
}

/// The request id of the order for `cart` at `version`: the same for every
/// retry of that checkout, different for any other cart or version.
pub fn request_id(cart: CartId, version: i64) -> String {
    format!("cart-{cart}-{version}")
}

/// What checking out `cart` would order: refused for an empty cart, and
/// for a cart holding a product that can no longer be bought (naming them).
pub fn order_lines(cart: &Cart) -> Result<Vec<Ordered>> {
    if cart.lines.is_empty() {
        return Err(Error::CartEmpty);
    }
    let unavailable: Vec<String> = cart
        .lines
        .iter()
        .filter(|line| line.unavailable)
        .map(|line| line.product_id.clone())
        .collect();
    if !unavailable.is_empty() {
        return Err(Error::LinesUnavailable(unavailable));
    }
    Ok(cart
        .lines
        .iter()
        .map(|line| Ordered {
            product_id: line.product_id.clone(),
            quantity: line.quantity,
        })
        .collect())
}

/// Takes what was ordered out of `lines`: a line the customer added to
/// after checking out keeps the difference.
pub fn remove_ordered(lines: &mut Vec<Line>, ordered: &[Ordered]) {
    for item in ordered {
        if let Some(line) = lines.iter_mut().find(|l| l.product_id == item.product_id) {
            line.quantity = line.quantity.saturating_sub(item.quantity);
        }
    }
    lines.retain(|line| line.quantity > 0);
}

/// `lines` as stored with a checkout: `<product id>:<quantity>`, comma
/// separated (ids are UUIDs, so neither separator occurs in them).
pub fn encode(lines: &[Ordered]) -> String {
    lines
        .iter()
        .map(|l| format!("{}:{}", l.product_id, l.quantity))
        .collect::<Vec<_>>()
        .join(",")
}

/// The lines [`encode`] stored; `None` if the text is not what it writes.
pub fn decode(text: &str) -> Option<Vec<Ordered>> {
    text.split(',')
        .map(|item| {
            let (product_id, quantity) = item.split_once(':')?;
            Some(Ordered {
                product_id: product_id.to_owned(),
                quantity: quantity.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn line(product_id: &str, quantity: i32, unavailable: bool) -> Line {
        Line {
            product_id: product_id.to_owned(),
            product_name: String::new(),
            quantity,
            unit_price_minor: 100,
            currency: "USD".to_owned(),
            previous_price_minor: None,
            unavailable,
        }
    }

    fn cart(lines: Vec<Line>) -> Cart {
        Cart {
            id: CartId::random(),
            user_id: Some("u1".to_owned()),
            version: 3,
            lines,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            expires_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn one_request_id_per_cart_version() {
        let id = CartId::random();
        assert_eq!(request_id(id, 4), request_id(id, 4));
        assert_ne!(request_id(id, 4), request_id(id, 5));
        assert_ne!(request_id(id, 4), request_id(CartId::random(), 4));
        assert!(request_id(id, i64::MAX).len() <= 64, "orders' limit");
    }

    #[test]
    fn an_empty_cart_or_one_with_an_unavailable_line_is_not_ordered() {
        assert!(matches!(order_lines(&cart(vec![])), Err(Error::CartEmpty)));
        let refused = order_lines(&cart(vec![line("a", 1, false), line("b", 2, true)]));
        assert!(
            matches!(&refused, Err(Error::LinesUnavailable(ids)) if ids == &["b".to_owned()]),
            "{refused:?}"
        );
        let lines = order_lines(&cart(vec![line("a", 1, false)])).expect("orderable");
        assert_eq!(
            lines,
            vec![Ordered {
                product_id: "a".into(),
                quantity: 1
            }]
        );
    }

    #[test]
    fn what_was_ordered_leaves_the_cart_and_what_was_added_since_stays() {
        let mut lines = vec![
            line("a", 2, false),
            line("b", 5, false),
            line("c", 1, false),
        ];
        let ordered = [
            Ordered {
                product_id: "a".into(),
                quantity: 2,
            },
            Ordered {
                product_id: "b".into(),
                quantity: 3,
            },
            Ordered {
                product_id: "gone".into(),
                quantity: 1,
            },
        ];
        remove_ordered(&mut lines, &ordered);
        let left: Vec<(&str, i32)> = lines
            .iter()
            .map(|l| (l.product_id.as_str(), l.quantity))
            .collect();
        assert_eq!(left, vec![("b", 2), ("c", 1)]);
    }

    #[test]
    fn stored_lines_read_back_as_written() {
        let lines = vec![
            Ordered {
                product_id: "0190a0b0-0000-7000-8000-000000000001".into(),
                quantity: 2,
            },
            Ordered {
                product_id: "0190a0b0-0000-7000-8000-000000000002".into(),
                quantity: 99,
            },
        ];
        assert_eq!(decode(&encode(&lines)), Some(lines));
        assert_eq!(decode("x"), None);
        assert_eq!(decode("a:b"), None);
    }
}

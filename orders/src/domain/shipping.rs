//! Shipping: the quote and option a checkout names, the option as the
//! fulfilment service priced it, the parcel once it left, and which parcel
//! news moves an order where (never backwards).

use time::OffsetDateTime;

use super::{
    order::{Order, OrderStatus},
    values::Money,
};

platform::uuid_value!(
    /// A shipping quote's id, as the fulfilment service chose it: a UUID.
    pub QuoteId, "a shipping quote id"
);

/// Longest option code.
pub const MAX_OPTION_CODE: usize = 32;

platform::string_value!(
    /// A quote option's code, e.g. `standard`: 1 to 32 characters of
    /// lower-case letters, digits, `_` and `-`.
    pub OptionCode, |raw| {
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
        if raw.is_empty() {
            Err("is required: the code of one of the quote's options, e.g. standard".into())
        } else if raw.len() > MAX_OPTION_CODE || !raw.bytes().all(allowed) {
            Err(format!(
                "must be 1 to {MAX_OPTION_CODE} characters of a-z, 0-9, _ and -"
            ))
        } else {
            Ok(raw.to_owned())
        }
    }
);

/// The shipping option an order was placed with, as the quote priced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingChoice {
    pub code: String,
    pub name: String,
    pub price: Money,
    pub earliest_delivery: Option<OffsetDateTime>,
    pub latest_delivery: Option<OffsetDateTime>,
}

/// An order's parcel, as the fulfilment service reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub shipment_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
}

/// What the fulfilment service reported about an order's parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParcelNews {
    /// Handed to the carrier.
    Shipped(Shipment),
    /// Delivered (the shipment carries its ship time too).
    Delivered(Shipment),
    /// Cancelled, with the order's cancel reason.
    Cancelled { reason: String },
}

/// The status the news moves an order in `from` to; `None` when it changes
/// nothing: the order is past it (a late or repeated event) or in a status
/// the news does not apply to.
pub fn follow(from: OrderStatus, news: &ParcelNews) -> Option<OrderStatus> {
    use OrderStatus as S;
    match (news, from) {
        (ParcelNews::Shipped(_), S::Confirmed) => Some(S::Shipped),
        (ParcelNews::Delivered(_), S::Confirmed | S::Shipped) => Some(S::Delivered),
        // The saga then refunds and restocks, as for a CancelOrder.
        (ParcelNews::Cancelled { .. }, S::Confirmed) => Some(S::Cancelling),
        _ => None,
    }
}

/// `order` as the news leaves it at `now`, or `None` if it changes nothing.
pub fn followed(order: &Order, news: &ParcelNews, now: OffsetDateTime) -> Option<Order> {
    let status = follow(order.status, news)?;
    let mut next = order.clone();
    next.status = status;
    next.updated_at = now;
    match news {
        ParcelNews::Shipped(parcel) | ParcelNews::Delivered(parcel) => {
            next.shipment = Some(parcel.clone());
        }
        ParcelNews::Cancelled { reason } => {
            if !reason.is_empty() {
                next.cancel_reason = Some(reason.clone());
            }
        }
    }
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus as S;

    fn parcel() -> Shipment {
        Shipment {
            shipment_id: "s-1".into(),
            carrier: "DHL".into(),
            tracking_number: "JD0001".into(),
            shipped_at: OffsetDateTime::UNIX_EPOCH,
            delivered_at: None,
        }
    }

    #[test]
    fn option_codes_are_short_lower_case_words() {
        assert!(OptionCode::parse("standard").is_ok());
        assert!(OptionCode::parse("next_day-2").is_ok());
        assert!(OptionCode::parse("").is_err());
        assert!(OptionCode::parse("Express").is_err());
        assert!(OptionCode::parse("two words").is_err());
        assert!(OptionCode::parse(&"x".repeat(33)).is_err());
    }

    #[test]
    fn a_confirmed_order_ships_then_is_delivered() {
        let shipped = ParcelNews::Shipped(parcel());
        let delivered = ParcelNews::Delivered(parcel());
        assert_eq!(follow(S::Confirmed, &shipped), Some(S::Shipped));
        assert_eq!(follow(S::Shipped, &delivered), Some(S::Delivered));
        assert_eq!(follow(S::Confirmed, &delivered), Some(S::Delivered));
    }

    #[test]
    fn news_never_moves_an_order_backwards() {
        let shipped = ParcelNews::Shipped(parcel());
        let delivered = ParcelNews::Delivered(parcel());
        assert_eq!(follow(S::Shipped, &shipped), None);
        assert_eq!(follow(S::Delivered, &shipped), None);
        assert_eq!(follow(S::Delivered, &delivered), None);
        assert_eq!(follow(S::Cancelled, &shipped), None);
    }

    #[test]
    fn a_cancelled_shipment_cancels_only_a_confirmed_order() {
        let cancelled = ParcelNews::Cancelled {
            reason: "changed my mind".into(),
        };
        assert_eq!(follow(S::Confirmed, &cancelled), Some(S::Cancelling));
        for at_rest in [
            S::Cancelling,
            S::Cancelled,
            S::Shipped,
            S::Delivered,
            S::Pending,
        ] {
            assert_eq!(follow(at_rest, &cancelled), None);
        }
    }
}

//! The fulfilment service's values and rules, pure (no I/O, no tonic):
//! validated ids and texts, a shipment and what it holds, in [`life`] the
//! status machine every change goes through, in [`shipping`] the shipping
//! rules and the prices they give a parcel, and in [`quote`] a quote and
//! its check.

pub mod life;
pub mod quote;
pub mod shipping;

use platform::paging::{Cursor, PageSize};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use life::{Change, Status, Transition};

platform::uuid_value!(
    /// A shipment's id.
    pub ShipmentId, "a shipment id"
);

platform::uuid_value!(
    /// The id of the order a shipment ships.
    pub OrderId, "an order id"
);

platform::string_value!(
    /// The id of a user, as the gateway's tokens and the orders' events
    /// name them.
    pub UserId, platform::values::user_id
);

platform::string_value!(
    /// The carrier that takes a parcel: 1 to 64 characters.
    pub Carrier, |raw| platform::values::text(raw, 1, 64, false)
);

platform::string_value!(
    /// A carrier's tracking number: 1 to 64 letters, digits, '-' or ' '.
    pub TrackingNumber, tracking_number
);

platform::string_value!(
    /// Why a shipment was cancelled (its order's cancel reason): up to 200
    /// characters, possibly empty.
    pub CancelReason, |raw| platform::values::text(raw, 0, 200, false)
);

/// A tracking number as carriers print them; nothing else, so it can be
/// put in a URL or a label as it is.
fn tracking_number(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if value.chars().count() > 64 {
        return Err("must be at most 64 characters".into());
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
    {
        return Err("must contain only letters, digits, '-' and ' '".into());
    }
    Ok(value.to_owned())
}

/// One product in a shipment, as the order named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub product_id: String,
    pub product_name: String,
    pub quantity: i64,
}

/// Where a shipment goes, as the order gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub recipient: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country_code: String,
}

/// Checked by the one rule every service applies to addresses.
impl From<platform::address::PostalAddress> for Address {
    fn from(a: platform::address::PostalAddress) -> Self {
        Self {
            recipient: a.recipient,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country_code: a.country_code,
        }
    }
}

/// The carrier and tracking number a parcel left with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    pub carrier: Carrier,
    pub tracking_number: TrackingNumber,
}

/// What a confirmed order asks to be shipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShipment {
    pub order_id: OrderId,
    pub user_id: UserId,
    pub lines: Vec<Line>,
    pub address: Address,
}

impl NewShipment {
    /// The shipment it becomes, PENDING, created `now`.
    pub fn into_shipment(self, now: OffsetDateTime) -> Shipment {
        Shipment {
            id: ShipmentId::generate(),
            order_id: self.order_id,
            user_id: self.user_id,
            status: Status::Pending,
            lines: self.lines,
            address: self.address,
            dispatch: None,
            created_at: now,
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
            cancelled_at: None,
            cancel_reason: String::new(),
            updated_at: now,
            awaiting_order: false,
        }
    }
}

impl Shipment {
    /// The shipment of an order cancelled before its confirmed event
    /// arrived: CANCELLED from the start, with nothing known yet but the
    /// order, the user it was cancelled for, and why. The confirmed event
    /// fills in the rest (see `store::create`).
    pub fn cancelled_in_advance(
        order_id: OrderId,
        user_id: UserId,
        reason: &CancelReason,
        now: OffsetDateTime,
    ) -> Self {
        Shipment {
            id: ShipmentId::generate(),
            order_id,
            user_id,
            status: Status::Cancelled,
            lines: vec![],
            address: Address::default(),
            dispatch: None,
            created_at: now,
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
            cancelled_at: Some(now),
            cancel_reason: reason.to_string(),
            updated_at: now,
            awaiting_order: true,
        }
    }
}

/// One parcel: a confirmed order's lines, to its address, somewhere in its
/// life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: ShipmentId,
    pub order_id: OrderId,
    pub user_id: UserId,
    pub status: Status,
    pub lines: Vec<Line>,
    pub address: Address,
    /// Set once SHIPPED.
    pub dispatch: Option<Dispatch>,
    pub created_at: OffsetDateTime,
    pub packed_at: Option<OffsetDateTime>,
    pub shipped_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
    /// Why it was cancelled; empty unless CANCELLED.
    pub cancel_reason: String,
    pub updated_at: OffsetDateTime,
    /// Cancelled before its order's confirmed event arrived: only the
    /// cancellation is known, so it is nobody's shipment to read or list
    /// until the event fills it in.
    pub awaiting_order: bool,
}

/// A validated ListShipments request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub user_id: Option<UserId>,
    pub page_size: PageSize,
    pub after: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_are_letters_digits_dashes_and_spaces() {
        assert_eq!(
            TrackingNumber::parse(" 1Z 999-AA1 ").map(|t| t.to_string()),
            Ok("1Z 999-AA1".into())
        );
        assert!(TrackingNumber::parse("").is_err());
        assert!(TrackingNumber::parse("   ").is_err());
        assert!(TrackingNumber::parse("ABC/123").is_err());
        assert!(TrackingNumber::parse("<script>").is_err());
        assert!(TrackingNumber::parse(&"9".repeat(64)).is_ok());
        assert!(TrackingNumber::parse(&"9".repeat(65)).is_err());
    }

    #[test]
    fn carriers_are_one_to_sixty_four_characters() {
        assert!(Carrier::parse("DHL").is_ok());
        assert!(Carrier::parse("").is_err());
        assert!(Carrier::parse(&"x".repeat(64)).is_ok());
        assert!(Carrier::parse(&"x".repeat(65)).is_err());
    }
}

//! Orders as stored: status, failure reasons, lines, and status events.

use time::OffsetDateTime;

use super::values::{Address, Money};

/// Where an order is in checkout. Names match the contract's enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Saved; nothing reserved or charged yet.
    Pending,
    /// Stock reserved; not charged yet.
    StockReserved,
    /// Charged; reservation not yet committed.
    Paid,
    /// Checkout finished.
    Confirmed,
    /// Undoing steps after a failure.
    Compensating,
    /// Checkout failed; everything undone.
    Failed,
    /// Being cancelled: refunding and restocking.
    Cancelling,
    /// Cancelled; refunded and restocked.
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        Self::Pending,
        Self::StockReserved,
        Self::Paid,
        Self::Confirmed,
        Self::Compensating,
        Self::Failed,
        Self::Cancelling,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::StockReserved => "STOCK_RESERVED",
            Self::Paid => "PAID",
            Self::Confirmed => "CONFIRMED",
            Self::Compensating => "COMPENSATING",
            Self::Failed => "FAILED",
            Self::Cancelling => "CANCELLING",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == stored)
    }

    /// Whether the saga still has work to do on an order in this status.
    pub fn in_progress(self) -> bool {
        !matches!(self, Self::Confirmed | Self::Failed | Self::Cancelled)
    }

    /// The statuses the saga still has work to do in.
    pub fn all_in_progress() -> Vec<&'static str> {
        Self::ALL
            .into_iter()
            .filter(|s| s.in_progress())
            .map(Self::as_str)
            .collect()
    }
}

/// Why an order failed. Names match the contract's enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    OutOfStock,
    PaymentDeclined,
    ProductUnavailable,
    ReservationExpired,
    Internal,
    PaymentIncomplete,
}

impl FailureReason {
    const ALL: [FailureReason; 6] = [
        Self::OutOfStock,
        Self::PaymentDeclined,
        Self::ProductUnavailable,
        Self::ReservationExpired,
        Self::Internal,
        Self::PaymentIncomplete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutOfStock => "OUT_OF_STOCK",
            Self::PaymentDeclined => "PAYMENT_DECLINED",
            Self::ProductUnavailable => "PRODUCT_UNAVAILABLE",
            Self::ReservationExpired => "RESERVATION_EXPIRED",
            Self::Internal => "INTERNAL",
            Self::PaymentIncomplete => "PAYMENT_INCOMPLETE",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == stored)
    }
}

/// How the order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodType {
    Card,
    Wallet,
}

impl MethodType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Wallet => "wallet",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "card" => Some(Self::Card),
            "wallet" => Some(Self::Wallet),
            _ => None,
        }
    }
}

/// One product of an order, with its name and price as they were at checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product_id: String,
    pub product_name: String,
    pub unit_price: Money,
    pub quantity: i64,
}

impl OrderLine {
    /// Unit price times quantity; priced lines were checked not to overflow.
    pub fn total(&self) -> Money {
        let minor = self.unit_price.minor().saturating_mul(self.quantity);
        Money::new(*self.unit_price.currency(), minor)
    }
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub request_id: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub method: MethodType,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    /// Set once the order is charged (never for declined or free orders).
    pub payment_id: Option<String>,
    pub failure_reason: Option<FailureReason>,
    /// The payment's decline code (the contract's name without its prefix).
    pub decline_code: Option<String>,
    pub cancel_reason: Option<String>,
    pub address: Address,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Order {
    /// The order as it was right after `event` (lines, total and address
    /// never change; everything an event records is overlaid).
    pub fn as_of(&self, event: &OrderEvent) -> Order {
        Order {
            status: event.status,
            failure_reason: event.failure_reason,
            decline_code: event.decline_code.clone(),
            payment_id: event.payment_id.clone(),
            card_brand: event.card_brand.clone().or_else(|| self.card_brand.clone()),
            cancel_reason: event.cancel_reason.clone(),
            updated_at: event.created_at,
            ..self.clone()
        }
    }
}

/// A status change of an order, numbered 1, 2, ... per order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    pub order_id: String,
    pub sequence: i64,
    pub status: OrderStatus,
    pub failure_reason: Option<FailureReason>,
    pub decline_code: Option<String>,
    pub payment_id: Option<String>,
    pub card_brand: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_reasons_round_trip_through_storage() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        for reason in FailureReason::ALL {
            assert_eq!(FailureReason::parse(reason.as_str()), Some(reason));
        }
    }

    #[test]
    fn only_confirmed_failed_and_cancelled_orders_are_at_rest() {
        let at_rest: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| !s.in_progress())
            .collect();
        assert_eq!(
            at_rest,
            [
                OrderStatus::Confirmed,
                OrderStatus::Failed,
                OrderStatus::Cancelled
            ]
        );
    }
}

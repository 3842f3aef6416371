//! Orders as stored: status, failure reasons, lines, and status events.

use time::OffsetDateTime;

use super::{
    number::OrderNumber,
    shipping::{QuoteId, Shipment, ShippingChoice},
    values::{Address, Money, OrderId, PaymentId, ProductId, UserId},
};

platform::stored_enum!(
    /// Where an order is in checkout. Names match the contract's enum.
    pub OrderStatus {
        /// Saved; nothing reserved or charged yet.
        Pending => "PENDING",
        /// Stock reserved; not charged yet.
        StockReserved => "STOCK_RESERVED",
        /// Charged; reservation not yet committed.
        Paid => "PAID",
        /// Checkout finished.
        Confirmed => "CONFIRMED",
        /// Undoing steps after a failure.
        Compensating => "COMPENSATING",
        /// Checkout failed; everything undone.
        Failed => "FAILED",
        /// Being cancelled: refunding and restocking.
        Cancelling => "CANCELLING",
        /// Cancelled; refunded and restocked.
        Cancelled => "CANCELLED",
        /// Handed to the carrier; no longer cancellable.
        Shipped => "SHIPPED",
        /// Delivered.
        Delivered => "DELIVERED",
    }
);

impl OrderStatus {
    /// Whether the saga still has work to do on an order in this status.
    pub fn in_progress(self) -> bool {
        !matches!(
            self,
            Self::Confirmed | Self::Failed | Self::Cancelled | Self::Shipped | Self::Delivered
        )
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

platform::stored_enum!(
    /// Why an order failed. Names match the contract's enum.
    pub FailureReason {
        OutOfStock => "OUT_OF_STOCK",
        PaymentDeclined => "PAYMENT_DECLINED",
        ProductUnavailable => "PRODUCT_UNAVAILABLE",
        ReservationExpired => "RESERVATION_EXPIRED",
        Internal => "INTERNAL",
        PaymentIncomplete => "PAYMENT_INCOMPLETE",
    }
);

platform::stored_enum!(
    /// How the order is paid.
    pub MethodType {
        Card => "card",
        Wallet => "wallet",
    }
);

/// One product of an order, with its name and price as they were at checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product_id: ProductId,
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

/// The order of a listing of orders; ties are broken by id (in the same
/// direction), so every order has one place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderSort {
    /// By creation time, newest first.
    #[default]
    NewestFirst,
    OldestFirst,
    /// By total, smallest first.
    CheapestFirst,
    DearestFirst,
}

/// A product an order asked more of than the shop had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub product_id: ProductId,
    /// Its name when the order was placed.
    pub product_name: String,
    pub requested: i64,
    /// The units it had left, as the catalog said when refusing.
    pub available: i64,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    /// The number for people. `None` only for an order an earlier version
    /// placed that has not been given its number yet (see
    /// `Store::number_old_orders`).
    pub number: Option<OrderNumber>,
    pub user_id: UserId,
    pub request_id: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    /// The sum of the lines.
    pub subtotal: Money,
    /// What the customer pays: the subtotal plus the shipping price.
    pub total: Money,
    /// `None` for orders placed before shipping was charged.
    pub shipping: Option<ShippingChoice>,
    pub shipping_quote_id: Option<QuoteId>,
    /// Set once the parcel left (SHIPPED on).
    pub shipment: Option<Shipment>,
    pub method: MethodType,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    /// Set once the order is charged (never for declined or free orders).
    pub payment_id: Option<PaymentId>,
    pub failure_reason: Option<FailureReason>,
    /// The payment's decline code (the contract's name without its prefix).
    pub decline_code: Option<String>,
    pub cancel_reason: Option<String>,
    pub address: Address,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The short products of an order that failed OUT_OF_STOCK.
    pub shortfalls: Vec<Shortfall>,
}

impl Order {
    /// The order as it was right after `event` (lines, totals, shipping
    /// and address never change; everything an event records is overlaid).
    pub fn as_of(&self, event: &OrderEvent) -> Order {
        Order {
            status: event.status,
            failure_reason: event.failure_reason,
            decline_code: event.decline_code.clone(),
            payment_id: event.payment_id,
            card_brand: event.card_brand.clone().or_else(|| self.card_brand.clone()),
            cancel_reason: event.cancel_reason.clone(),
            shipment: event.shipment.clone(),
            updated_at: event.created_at,
            // Only the failure they explain shows them.
            shortfalls: if event.failure_reason == Some(FailureReason::OutOfStock) {
                self.shortfalls.clone()
            } else {
                Vec::new()
            },
            ..self.clone()
        }
    }
}

/// A status change of an order, numbered 1, 2, ... per order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    pub order_id: OrderId,
    pub sequence: i64,
    pub status: OrderStatus,
    pub failure_reason: Option<FailureReason>,
    pub decline_code: Option<String>,
    pub payment_id: Option<PaymentId>,
    pub card_brand: Option<String>,
    pub cancel_reason: Option<String>,
    /// The parcel as it was then (from SHIPPED on).
    pub shipment: Option<Shipment>,
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
    fn only_confirmed_failed_cancelled_shipped_and_delivered_orders_are_at_rest() {
        let at_rest: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| !s.in_progress())
            .collect();
        assert_eq!(
            at_rest,
            [
                OrderStatus::Confirmed,
                OrderStatus::Failed,
                OrderStatus::Cancelled,
                OrderStatus::Shipped,
                OrderStatus::Delivered
            ]
        );
    }
}

//! The orders service's rules, free of transport and storage: validated
//! checkout requests and their pricing, orders and their events, the
//! checkout saga as a pure state machine, and how an order follows its
//! parcel.
//!
//! Constructors return `Err(description)`; the API layer names the field.

pub mod checkout;
pub mod number;
pub mod order;
pub mod saga;
pub mod shipping;
pub mod values;

pub use checkout::{CheckoutRequest, PaymentChoice, Pricing, PricingError, ProductInfo};
pub use number::{Numbers, OrderNumber};
pub use order::{
    FailureReason, MethodType, Order, OrderEvent, OrderLine, OrderSort, OrderStatus, Shortfall,
};
pub use saga::{Outcome, Step, Transition};
pub use shipping::{OptionCode, ParcelNews, QuoteId, Shipment, ShippingChoice};
pub use values::*;

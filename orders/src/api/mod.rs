//! The gRPC face of the orders service: request decoding and validation,
//! ownership, and error mapping. Handlers call the checkout driver and the
//! store; nothing below this module knows about tonic.

mod convert;
pub mod orders;
mod status;
mod watch;

use contracts::orders::order_service_server::SERVICE_NAME as ORDERS;
use platform::auth::{Access, Grant, Policy, Role};

pub use orders::OrdersApi;

/// Fully qualified names of the services this crate serves.
pub const SERVICE_NAMES: [&str; 1] = [ORDERS];

/// Who may call which method: signed-in customers and admins, all of them;
/// ownership is checked per order in the handlers.
pub fn policy() -> Policy {
    let users = || Access::Only(vec![Grant::User(Role::Customer), Grant::User(Role::Admin)]);
    [
        "CreateOrder",
        "GetOrder",
        "ListOrders",
        "CancelOrder",
        "WatchOrder",
    ]
    .into_iter()
    .fold(Policy::new(), |policy, method| {
        policy.rule(ORDERS, method, users())
    })
}

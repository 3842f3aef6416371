//! The gRPC face of the payments service: request decoding and validation,
//! access rules, and error mapping. Handlers call the flows; nothing below
//! this module knows about tonic.

mod convert;
mod payments;
mod status;

use contracts::payments::payment_service_server::SERVICE_NAME as PAYMENTS;
use platform::auth::{Access, Grant, Policy, Role, issuer};

pub use payments::PaymentsApi;

/// Fully qualified names of the services this crate serves.
pub const SERVICE_NAMES: [&str; 1] = [PAYMENTS];

/// Who may call which payments method. Which rows a caller sees (customers:
/// only their own) is decided in the handlers.
pub fn policy() -> Policy {
    let orders = || Grant::Service(issuer::ORDERS.to_owned());
    let admin = || Grant::User(Role::Admin);
    let customer = || Grant::User(Role::Customer);
    // Moving money is internal: the orders service, and admins for support.
    let orders_or_admin = || Access::Only(vec![orders(), admin()]);
    let readers = || Access::Only(vec![orders(), admin(), customer()]);
    Policy::new()
        .rule(PAYMENTS, "Charge", orders_or_admin())
        .rule(PAYMENTS, "Refund", orders_or_admin())
        .rule(PAYMENTS, "VoidCharge", orders_or_admin())
        .rule(PAYMENTS, "GetPayment", readers())
        .rule(PAYMENTS, "ListPayments", readers())
        .rule(PAYMENTS, "GetWallet", readers())
        .rule(PAYMENTS, "TopUpWallet", Access::Only(vec![admin()]))
}

//! The public API: which services the gateway routes where, and the
//! per-method access table. A method not in the table (every internal one:
//! ReserveStock, Charge, ...) is never routed: UNIMPLEMENTED.

use contracts::{
    auth::auth_service_server::SERVICE_NAME as AUTH,
    catalog::{
        catalog_service_server::SERVICE_NAME as CATALOG,
        inventory_service_server::SERVICE_NAME as INVENTORY,
    },
    orders::order_service_server::SERVICE_NAME as ORDERS,
    payments::payment_service_server::SERVICE_NAME as PAYMENTS,
};
use platform::auth::{Access, Grant, Policy, Role};

/// The backend that serves a routed service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Catalog,
    Orders,
    Payments,
}

/// Services the gateway forwards, and to which backend.
pub const ROUTED: [(&str, Backend); 4] = [
    (CATALOG, Backend::Catalog),
    (INVENTORY, Backend::Catalog),
    (ORDERS, Backend::Orders),
    (PAYMENTS, Backend::Payments),
];

/// The services listed by the gateway's reflection: its public API.
pub const PUBLIC_SERVICES: [&str; 5] = [AUTH, CATALOG, INVENTORY, ORDERS, PAYMENTS];

/// The method that answers with a stream (its deadline rules differ).
pub const STREAMING: [&str; 1] = ["/shop.orders.v1.OrderService/WatchOrder"];

/// Who may call what through the gateway. The services check again.
pub fn policy() -> Policy {
    let public = || Access::Public;
    let signed_in = || Access::Only(vec![Grant::User(Role::Customer), Grant::User(Role::Admin)]);
    let admin = || Access::Only(vec![Grant::User(Role::Admin)]);
    Policy::new()
        .rule(AUTH, "Register", public())
        .rule(AUTH, "Login", public())
        .rule(AUTH, "WhoAmI", signed_in())
        .rule(CATALOG, "ListProducts", public())
        .rule(CATALOG, "GetProduct", public())
        .rule(CATALOG, "BatchGetProducts", public())
        .rule(CATALOG, "CreateProduct", admin())
        .rule(CATALOG, "UpdateProduct", admin())
        .rule(CATALOG, "DeleteProduct", admin())
        .rule(INVENTORY, "GetStock", admin())
        .rule(INVENTORY, "AdjustStock", admin())
        .rule(ORDERS, "CreateOrder", signed_in())
        .rule(ORDERS, "GetOrder", signed_in())
        .rule(ORDERS, "ListOrders", signed_in())
        .rule(ORDERS, "CancelOrder", signed_in())
        .rule(ORDERS, "WatchOrder", signed_in())
        .rule(PAYMENTS, "GetPayment", signed_in())
        .rule(PAYMENTS, "ListPayments", signed_in())
        .rule(PAYMENTS, "GetWallet", signed_in())
        .rule(PAYMENTS, "TopUpWallet", admin())
}

/// The service name of a gRPC path (`/pkg.Service/Method` -> `pkg.Service`).
pub fn service_of(path: &str) -> Option<&str> {
    path.strip_prefix('/')?
        .split_once('/')
        .map(|(service, _)| service)
}

/// Whether logging in or registering: these get the stricter rate limit.
pub fn is_sign_in(path: &str) -> bool {
    path == format!("/{AUTH}/Login") || path == format!("/{AUTH}/Register")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_methods_are_not_in_the_table() {
        let policy = policy();
        for internal in [
            "/shop.catalog.v1.InventoryService/ReserveStock",
            "/shop.catalog.v1.InventoryService/CommitReservation",
            "/shop.catalog.v1.InventoryService/ReleaseReservation",
            "/shop.payments.v1.PaymentService/Charge",
            "/shop.payments.v1.PaymentService/Refund",
        ] {
            assert!(
                policy.access(internal).is_none(),
                "{internal} must not be routed"
            );
        }
    }

    #[test]
    fn paths_name_their_service() {
        assert_eq!(
            service_of("/shop.orders.v1.OrderService/GetOrder"),
            Some("shop.orders.v1.OrderService")
        );
        assert_eq!(service_of("/"), None);
        assert_eq!(service_of("no-slash"), None);
    }
}

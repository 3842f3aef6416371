//! The public API: which services the gateway routes where, and the
//! per-method access table. A method not in the table (every internal one:
//! ReserveStock, Charge, ...) is never routed: UNIMPLEMENTED, with an
//! ErrorInfo saying why.

use contracts::{
    auth::auth_service_server::SERVICE_NAME as AUTH,
    cart::cart_service_server::SERVICE_NAME as CART,
    catalog::{
        catalog_service_server::SERVICE_NAME as CATALOG,
        inventory_service_server::SERVICE_NAME as INVENTORY,
    },
    fulfilment::fulfilment_service_server::SERVICE_NAME as FULFILMENT,
    notifications::notification_service_server::SERVICE_NAME as NOTIFICATIONS,
    orders::order_service_server::SERVICE_NAME as ORDERS,
    payments::payment_service_server::SERVICE_NAME as PAYMENTS,
};
use platform::{
    auth::{Access, Grant, Policy, Role},
    error::with_reason,
};
use tonic::{Code, Status};

/// Services the gateway forwards, and the backend (by name) that serves
/// each. A new backend is one line here plus its URL in the configuration
/// (`--backend NAME=URL`; see [`crate::Config::backends`]).
pub const ROUTED: &[(&str, &str)] = &[
    (CATALOG, "catalog"),
    (INVENTORY, "catalog"),
    (ORDERS, "orders"),
    (PAYMENTS, "payments"),
    (NOTIFICATIONS, "notifications"),
    (CART, "cart"),
    (FULFILMENT, "fulfilment"),
];

/// The backends the route table names, each once, in table order.
pub fn backends() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for (_, backend) in ROUTED {
        if !names.contains(backend) {
            names.push(backend);
        }
    }
    names
}

/// The services listed by the gateway's reflection and health: its own
/// accounts and every routed service (each has at least one method in the
/// access table; `reflection`'s tests hold the two lists equal).
pub fn public_services() -> Vec<&'static str> {
    std::iter::once(AUTH)
        .chain(ROUTED.iter().map(|(service, _)| *service))
        .collect()
}

/// Who may call what through the gateway. The services check again.
pub fn policy() -> Policy {
    let public = || Access::Public;
    let signed_in = || Access::Only(vec![Grant::User(Role::Customer), Grant::User(Role::Admin)]);
    let admin = || Access::Only(vec![Grant::User(Role::Admin)]);
    Policy::new()
        .rule(AUTH, "Register", public())
        .rule(AUTH, "Login", public())
        .rule(AUTH, "WhoAmI", signed_in())
        // A refresh token, or a token from an email, is the credential of
        // these: the caller may have no valid access token.
        .rule(AUTH, "RefreshSession", public())
        .rule(AUTH, "Logout", public())
        .rule(AUTH, "RequestPasswordReset", public())
        .rule(AUTH, "ResetPassword", public())
        .rule(AUTH, "VerifyEmail", public())
        .rule(AUTH, "ChangePassword", signed_in())
        .rule(AUTH, "ResendVerificationEmail", signed_in())
        .rule(AUTH, "UpdateProfile", signed_in())
        // A customer's own addresses: the handlers act on the token's
        // user only, so another user's address id is NOT_FOUND.
        .rule(AUTH, "ListAddresses", signed_in())
        .rule(AUTH, "CreateAddress", signed_in())
        .rule(AUTH, "UpdateAddress", signed_in())
        .rule(AUTH, "DeleteAddress", signed_in())
        .rule(AUTH, "SetDefaultAddress", signed_in())
        .rule(AUTH, "ListUsers", admin())
        .rule(AUTH, "GetUser", admin())
        .rule(AUTH, "BatchGetUsers", admin())
        .rule(AUTH, "SetUserRole", admin())
        .rule(CATALOG, "ListProducts", public())
        .rule(CATALOG, "GetProduct", public())
        .rule(CATALOG, "BatchGetProducts", public())
        .rule(CATALOG, "CreateProduct", admin())
        .rule(CATALOG, "UpdateProduct", admin())
        .rule(CATALOG, "DeleteProduct", admin())
        .rule(CATALOG, "ListCategories", public())
        // Images are public; browsers read them through /images/{id}.
        .rule(CATALOG, "GetImageContent", public())
        .rule(CATALOG, "AddProductImage", admin())
        .rule(CATALOG, "DeleteProductImage", admin())
        .rule(CATALOG, "ReorderProductImages", admin())
        .rule(INVENTORY, "GetStock", admin())
        .rule(INVENTORY, "AdjustStock", admin())
        .rule(INVENTORY, "ListReservations", admin())
        .rule(ORDERS, "CreateOrder", signed_in())
        .rule(ORDERS, "GetOrder", signed_in())
        .rule(ORDERS, "ListOrders", signed_in())
        .rule(ORDERS, "CancelOrder", signed_in())
        .rule(ORDERS, "WatchOrder", signed_in())
        .rule(PAYMENTS, "GetPayment", signed_in())
        .rule(PAYMENTS, "ListPayments", signed_in())
        .rule(PAYMENTS, "GetWallet", signed_in())
        .rule(PAYMENTS, "TopUpWallet", admin())
        .rule(NOTIFICATIONS, "ListNotifications", admin())
        // Carts are for anonymous shoppers too: the cart service decides
        // whose cart a call is about (the token's user when a token is
        // sent, else the anonymous cart whose unguessable id the call
        // names). Merging an anonymous cart and checking out need a
        // signed-in user (orders belong to users).
        .rule(CART, "GetCart", public())
        .rule(CART, "AddItem", public())
        .rule(CART, "SetQuantity", public())
        .rule(CART, "RemoveItem", public())
        .rule(CART, "ClearCart", public())
        .rule(CART, "MergeCart", signed_in())
        .rule(CART, "CheckoutCart", signed_in())
        // Customers read their own orders' shipments (the service checks
        // whose) and get shipping quotes; the warehouse's work is for
        // admins. CheckShippingQuote and CancelShipment are the orders
        // service's, never routed.
        .rule(FULFILMENT, "GetShipment", signed_in())
        .rule(FULFILMENT, "GetShippingQuote", signed_in())
        .rule(FULFILMENT, "ListShipments", admin())
        .rule(FULFILMENT, "PackShipment", admin())
        .rule(FULFILMENT, "ShipShipment", admin())
        .rule(FULFILMENT, "DeliverShipment", admin())
}

/// Methods the gateway serves to anyone besides its access table: health
/// and reflection.
pub const ALWAYS_SERVED: [&str; 4] = [
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// Whether the gateway serves `path`: routes it, or answers it itself.
pub fn is_served(policy: &Policy, path: &str) -> bool {
    policy.access(path).is_some() || ALWAYS_SERVED.contains(&path)
}

/// The answer to a call of a method the gateway does not serve:
/// UNIMPLEMENTED, with reason `NOT_ROUTED` for an internal method of the
/// contract and `UNIMPLEMENTED` for a method that exists nowhere. Only a
/// path of the contract is named back: anything else is the client's text.
pub fn not_served(path: &str) -> Status {
    if crate::reflection::is_contract_method(path) {
        with_reason(
            Code::Unimplemented,
            "NOT_ROUTED",
            format!("{path} is internal to the shop; the gateway does not route it"),
            [],
        )
    } else {
        with_reason(Code::Unimplemented, "UNIMPLEMENTED", "no such method", [])
    }
}

/// Whether a request is gRPC or grpc-web by its content type
/// (`application/grpc`, `application/grpc-web`, `application/grpc-web-text`,
/// each optionally with `+proto` or another format).
pub fn is_grpc<B>(request: &http::Request<B>) -> bool {
    let Some(content_type) = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some(subtype) = media_type.strip_prefix("application/") else {
        return false;
    };
    matches!(
        subtype.split('+').next(),
        Some("grpc" | "grpc-web" | "grpc-web-text")
    )
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
            "/shop.fulfilment.v1.FulfilmentService/CheckShippingQuote",
            "/shop.fulfilment.v1.FulfilmentService/CancelShipment",
        ] {
            assert!(
                policy.access(internal).is_none(),
                "{internal} must not be routed"
            );
        }
    }

    #[test]
    fn methods_not_served_say_why_without_echoing_the_callers_text() {
        let info = |status: &Status| {
            tonic_types::StatusExt::get_error_details(status)
                .error_info()
                .map(|i| (i.reason.clone(), i.domain.clone()))
        };
        let internal = not_served("/shop.catalog.v1.InventoryService/ReserveStock");
        assert_eq!(internal.code(), Code::Unimplemented);
        assert_eq!(info(&internal), Some(("NOT_ROUTED".into(), "shop".into())));

        let unknown = not_served("/evil.Service/<script>");
        assert_eq!(unknown.code(), Code::Unimplemented);
        assert_eq!(
            info(&unknown),
            Some(("UNIMPLEMENTED".into(), "shop".into()))
        );
        assert!(!unknown.message().contains("script"));
    }

    #[test]
    fn health_reflection_and_the_table_are_served_and_nothing_else() {
        let policy = policy();
        assert!(is_served(&policy, "/grpc.health.v1.Health/Check"));
        assert!(is_served(&policy, "/shop.auth.v1.AuthService/Login"));
        assert!(!is_served(&policy, "/grpc.health.v1.Health/Nope"));
        assert!(!is_served(
            &policy,
            "/shop.payments.v1.PaymentService/Charge"
        ));
    }

    #[test]
    fn grpc_is_known_by_its_content_type() {
        let with = |content_type: &str| {
            let request = http::Request::post("/x")
                .header("content-type", content_type)
                .body(())
                .expect("request");
            is_grpc(&request)
        };
        for grpc in [
            "application/grpc",
            "application/grpc+proto",
            "application/grpc-web",
            "application/grpc-web+proto",
            "application/grpc-web-text",
            "Application/gRPC-Web-Text+proto; charset=utf-8",
        ] {
            assert!(with(grpc), "{grpc}");
        }
        for other in [
            "application/json",
            "text/plain",
            "application/grpcx",
            "grpc",
            "",
        ] {
            assert!(!with(other), "{other}");
        }
        assert!(!is_grpc(
            &http::Request::get("/").body(()).expect("request")
        ));
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

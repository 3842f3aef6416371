//! The gRPC face of the catalog: request decoding and validation, access
//! rules, and error mapping. Handlers call the store; nothing below this
//! module knows about tonic.

mod catalog;
mod categories;
mod convert;
mod inventory;
mod reservations;
mod status;

use contracts::catalog::{
    catalog_service_server::SERVICE_NAME as CATALOG,
    inventory_service_server::SERVICE_NAME as INVENTORY,
};
use platform::auth::{Access, Grant, Policy, Role, issuer};

pub use catalog::CatalogApi;
pub use inventory::InventoryApi;

/// Fully qualified names of the services this crate serves.
pub const SERVICE_NAMES: [&str; 2] = [CATALOG, INVENTORY];

/// Who may call which catalog method.
pub fn policy() -> Policy {
    let admin = || Access::Only(vec![Grant::User(Role::Admin)]);
    // Inventory is internal: the orders service, and admins for operations.
    let orders_or_admin = || {
        Access::Only(vec![
            Grant::Service(issuer::ORDERS.to_owned()),
            Grant::User(Role::Admin),
        ])
    };
    Policy::new()
        .rule(CATALOG, "ListProducts", Access::Public)
        .rule(CATALOG, "GetProduct", Access::Public)
        .rule(CATALOG, "BatchGetProducts", Access::Public)
        .rule(CATALOG, "CreateProduct", admin())
        .rule(CATALOG, "UpdateProduct", admin())
        .rule(CATALOG, "DeleteProduct", admin())
        .rule(CATALOG, "ListCategories", Access::Public)
        .rule(CATALOG, "AddProductImage", admin())
        .rule(CATALOG, "DeleteProductImage", admin())
        .rule(CATALOG, "ReorderProductImages", admin())
        .rule(CATALOG, "GetImageContent", Access::Public)
        .rule(INVENTORY, "ReserveStock", orders_or_admin())
        .rule(INVENTORY, "ReleaseReservation", orders_or_admin())
        .rule(INVENTORY, "CommitReservation", orders_or_admin())
        .rule(INVENTORY, "GetStock", orders_or_admin())
        .rule(INVENTORY, "AdjustStock", admin())
        .rule(INVENTORY, "ListReservations", admin())
}

//! Who may call what: public reads, admin writes, and inventory only for
//! the orders service (and admins).

use contracts::catalog as proto;
use platform::{
    auth::{Role, issuer},
    testing::authorized,
};
use tonic::Code;

use crate::helpers::*;

fn create() -> proto::CreateProductRequest {
    proto::CreateProductRequest {
        product: Some(product("Mug", "kitchen", 900)),
        initial_stock: 1,
    }
}

#[tokio::test]
async fn writes_need_an_admin() {
    let app = TestApp::spawn().await;
    let mut catalog = app.catalog.clone();

    let anonymous = catalog.create_product(create()).await;
    assert_eq!(
        reason(&expect_code(anonymous, Code::Unauthenticated)),
        "TOKEN_MISSING"
    );

    let customer = catalog.create_product(app.as_customer(create())).await;
    expect_code(customer, Code::PermissionDenied);

    catalog
        .create_product(app.as_admin(create()))
        .await
        .expect("admins may create products");
}

#[tokio::test]
async fn tokens_from_strangers_or_with_forged_signatures_are_rejected() {
    let app = TestApp::spawn().await;
    let mut catalog = app.catalog.clone();

    let untrusted = catalog
        .create_product(authorized(create(), &app.auth.untrusted_token()))
        .await;
    assert_eq!(
        reason(&expect_code(untrusted, Code::Unauthenticated)),
        "TOKEN_UNTRUSTED_ISSUER"
    );

    let forged = catalog
        .create_product(authorized(create(), &app.auth.forged_token()))
        .await;
    assert_eq!(
        reason(&expect_code(forged, Code::Unauthenticated)),
        "TOKEN_INVALID"
    );

    let garbage = catalog
        .create_product(authorized(create(), "not-a-jwt"))
        .await;
    expect_code(garbage, Code::Unauthenticated);
}

#[tokio::test]
async fn reads_are_public() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Mug", 900, 1).await;
    app.catalog
        .clone()
        .get_product(proto::GetProductRequest { id: created.id })
        .await
        .expect("anyone may read");
}

#[tokio::test]
async fn a_customer_token_cannot_touch_inventory_but_the_orders_service_can() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 5).await;
    let request = || reserve_request("order-1", &[(&a.id, 1)]);

    let customer = app
        .inventory
        .clone()
        .reserve_stock(app.as_customer(request()))
        .await;
    expect_code(customer, Code::PermissionDenied);

    app.inventory
        .clone()
        .reserve_stock(app.as_orders(request()))
        .await
        .expect("the orders service may reserve");
}

#[tokio::test]
async fn a_service_token_is_not_an_admin_token() {
    let app = TestApp::spawn().await;
    // The orders service acting for an admin user still may not write the catalog.
    let token = app
        .auth
        .service_token(issuer::ORDERS, "admin-1", Role::Admin);
    let result = app
        .catalog
        .clone()
        .create_product(authorized(create(), &token))
        .await;
    expect_code(result, Code::PermissionDenied);

    let adjust = app
        .inventory
        .clone()
        .adjust_stock(authorized(
            proto::AdjustStockRequest {
                product_id: "0190a1b2-0000-7000-8000-000000000001".into(),
                delta: 1,
                reason: "x".into(),
            },
            &token,
        ))
        .await;
    expect_code(adjust, Code::PermissionDenied);
}

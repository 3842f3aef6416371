//! The gateway's access table, call by call: every routed method for an
//! anonymous caller, a customer and an admin; internal methods for everyone;
//! and another customer's order or saved address.

use bytes::{Buf, BufMut, Bytes};
use contracts::{auth as auth_proto, common as common_proto, orders as orders_proto};
use tonic::{
    Code, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
};

use crate::helpers::*;

/// Passes message bytes through untouched: any method can be called with
/// an empty (all defaults) request, which is all an access check needs.
#[derive(Default)]
struct RawCodec;

struct Raw;

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

/// The outcome of calling `path` with an empty request: its code, and
/// whether the gateway's access table (not the method itself) refused it.
async fn call_raw(shop: &TestShop, path: &str, token: Option<&str>) -> (Code, bool) {
    let mut grpc = tonic::client::Grpc::new(shop.channel.clone());
    grpc.ready().await.expect("channel ready");
    let path = path.parse().expect("path");
    let result = grpc.unary(call(Bytes::new(), token), path, RawCodec).await;
    let refused = match &result {
        Ok(_) => false,
        Err(status) => {
            let why = reason(status);
            status.code() == Code::Unimplemented
                || why.starts_with("TOKEN_")
                || why == "PERMISSION_DENIED"
        }
    };
    (code_of(&result), refused)
}

#[tokio::test]
async fn every_routed_method_admits_exactly_who_the_table_says() {
    let shop = TestShop::spawn().await;
    let (customer, _) = shop.register("customer@example.com").await;
    let admin = shop.admin().await;
    let policy = gateway::routes::policy();
    let mut paths: Vec<String> = policy.paths().map(str::to_owned).collect();
    paths.sort();

    for path in &paths {
        let access = policy.access(path).expect("ruled");
        let anonymous = call_raw(&shop, path, None).await;
        let as_customer = call_raw(&shop, path, Some(&customer)).await;
        let as_admin = call_raw(&shop, path, Some(&admin)).await;
        match access {
            platform::auth::Access::Public => {
                assert!(
                    !anonymous.1,
                    "{path}: anonymous refused with {:?}",
                    anonymous.0
                );
            }
            platform::auth::Access::Only(grants) => {
                assert_eq!(
                    anonymous,
                    (Code::Unauthenticated, true),
                    "{path}: anonymous"
                );
                let customers_allowed =
                    grants.contains(&platform::auth::Grant::User(platform::auth::Role::Customer));
                if customers_allowed {
                    assert!(
                        !as_customer.1,
                        "{path}: customer refused with {:?}",
                        as_customer.0
                    );
                } else {
                    assert_eq!(
                        as_customer,
                        (Code::PermissionDenied, true),
                        "{path}: customer"
                    );
                }
            }
        }
        assert!(!as_admin.1, "{path}: admin refused with {:?}", as_admin.0);
    }
}

#[tokio::test]
async fn internal_and_unknown_methods_are_never_reachable_from_outside() {
    let shop = TestShop::spawn().await;
    let admin = shop.admin().await;
    for path in [
        "/shop.catalog.v1.InventoryService/ReserveStock",
        "/shop.catalog.v1.InventoryService/ReleaseReservation",
        "/shop.catalog.v1.InventoryService/CommitReservation",
        "/shop.payments.v1.PaymentService/Charge",
        "/shop.payments.v1.PaymentService/Refund",
        "/shop.nothing.v1.Nowhere/Anything",
    ] {
        for token in [None, Some(admin.as_str())] {
            assert_eq!(
                call_raw(&shop, path, token).await,
                (Code::Unimplemented, true),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn a_service_token_presented_from_outside_is_not_a_user_token() {
    let shop = TestShop::spawn().await;
    let forged_service = shop.keys.service_token(
        platform::auth::issuer::ORDERS,
        "someone",
        platform::auth::Role::Admin,
    );
    let outcome = call_raw(
        &shop,
        "/shop.orders.v1.OrderService/ListOrders",
        Some(&forged_service),
    )
    .await;
    assert_eq!(outcome, (Code::PermissionDenied, true));
}

#[tokio::test]
async fn another_customers_order_is_not_found() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 900, 5).await;
    let (alice, _) = shop.register("alice@example.com").await;
    let (bob, _) = shop.register("bob@example.com").await;
    let order = shop
        .orders
        .clone()
        .create_order(call(
            shop.quoted_order(&alice, "a-1", &mug, 1).await,
            Some(&alice),
        ))
        .await
        .expect("order")
        .into_inner();

    let peek = shop
        .orders
        .clone()
        .get_order(call(
            orders_proto::GetOrderRequest {
                id: order.id.clone(),
            },
            Some(&bob),
        ))
        .await;
    assert_eq!(code_of(&peek), Code::NotFound);
    let own = shop
        .orders
        .clone()
        .get_order(call(
            orders_proto::GetOrderRequest { id: order.id },
            Some(&alice),
        ))
        .await;
    assert_eq!(code_of(&own), Code::Ok);
}

#[test]
fn the_address_methods_are_for_signed_in_users_alone() {
    let policy = gateway::routes::policy();
    let signed_in = platform::auth::Access::Only(vec![
        platform::auth::Grant::User(platform::auth::Role::Customer),
        platform::auth::Grant::User(platform::auth::Role::Admin),
    ]);
    for method in [
        "ListAddresses",
        "CreateAddress",
        "UpdateAddress",
        "DeleteAddress",
        "SetDefaultAddress",
    ] {
        let path = format!("/shop.auth.v1.AuthService/{method}");
        assert_eq!(policy.access(&path), Some(&signed_in), "{path}");
    }
}

#[tokio::test]
async fn another_customers_address_is_not_found() {
    let shop = TestShop::spawn().await;
    let (alice, _) = shop.register("alice@example.com").await;
    let (bob, _) = shop.register("bob@example.com").await;
    let saved = shop
        .auth
        .clone()
        .create_address(call(
            auth_proto::CreateAddressRequest {
                saved_address: Some(auth_proto::SavedAddress {
                    address: Some(common_proto::Address {
                        recipient: "Alice".into(),
                        line1: "1 Private Road".into(),
                        city: "Springfield".into(),
                        postal_code: "12345".into(),
                        country_code: "US".into(),
                        ..common_proto::Address::default()
                    }),
                    ..auth_proto::SavedAddress::default()
                }),
            },
            Some(&alice),
        ))
        .await
        .expect("saved")
        .into_inner();

    let peek = shop
        .auth
        .clone()
        .set_default_address(call(
            auth_proto::SetDefaultAddressRequest {
                id: saved.id.clone(),
            },
            Some(&bob),
        ))
        .await;
    assert_eq!(code_of(&peek), Code::NotFound);
    let bobs = shop
        .auth
        .clone()
        .list_addresses(call(auth_proto::ListAddressesRequest {}, Some(&bob)))
        .await
        .expect("listed")
        .into_inner();
    assert!(bobs.addresses.is_empty());
    let alices = shop
        .auth
        .clone()
        .list_addresses(call(auth_proto::ListAddressesRequest {}, Some(&alice)))
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(alices.addresses, [saved]);
}

//! The cart through the gateway: a customer registers and fills a cart
//! with products the catalog just created (they reach the cart service as
//! events), reads it back, and an anonymous shopper's cart is merged into
//! theirs at sign-in.

use contracts::cart::{
    self as proto, AddItemRequest, GetCartRequest, MergeCartRequest,
    cart_service_client::CartServiceClient,
};
use platform::testing::authorized;
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::helpers::TestShop;

fn add(cart_id: &str, etag: &str, product_id: &str, quantity: i32) -> AddItemRequest {
    AddItemRequest {
        cart_id: cart_id.into(),
        etag: etag.into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        product_id: product_id.into(),
        quantity,
    }
}

/// AddItem as `request` makes it, repeated while the product is not yet
/// known to the cart service (its created event is on the way), for up to
/// 10 seconds.
async fn added_once_known(
    cart: &mut CartServiceClient<Channel>,
    request: impl Fn() -> Request<AddItemRequest>,
) -> proto::Cart {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match cart.add_item(request()).await {
            Ok(response) => return response.into_inner(),
            Err(status) if status.code() == Code::NotFound => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the product never reached the cart service: {status:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(status) => panic!("AddItem failed: {status:?}"),
        }
    }
}

#[tokio::test]
async fn a_customer_fills_a_cart_through_the_gateway_and_merges_an_anonymous_one_at_sign_in() {
    let shop = TestShop::spawn().await;
    let (token, user_id) = shop.register("cart@example.com").await;
    let mug = shop.product("Cart Mug", 1250, 10).await;
    let tea = shop.product("Cart Tea", 499, 10).await;
    let mut cart = shop.cart.clone();

    // The catalog's events reach the cart service shortly after.
    let first = added_once_known(&mut cart, || authorized(add("", "", &mug, 2), &token)).await;
    assert_eq!(first.user_id, user_id);
    let anonymous = added_once_known(&mut cart, || Request::new(add("", "", &tea, 1))).await;
    assert!(anonymous.user_id.is_empty());

    let merged = cart
        .merge_cart(authorized(
            MergeCartRequest {
                anonymous_cart_id: anonymous.id.clone(),
            },
            &token,
        ))
        .await
        .expect("the anonymous cart is merged at sign-in")
        .into_inner()
        .cart
        .expect("the customer's cart");
    assert_eq!(merged.id, first.id);

    let read = cart
        .get_cart(authorized(GetCartRequest::default(), &token))
        .await
        .expect("the customer reads their cart")
        .into_inner();
    let quantities: Vec<(String, i32)> = read
        .lines
        .iter()
        .map(|l| (l.product_name.clone(), l.quantity))
        .collect();
    assert_eq!(
        quantities,
        [("Cart Mug".to_owned(), 2), ("Cart Tea".to_owned(), 1)]
    );
    let gone = cart
        .get_cart(Request::new(GetCartRequest {
            cart_id: anonymous.id,
        }))
        .await
        .expect_err("the anonymous cart is gone");
    assert_eq!(gone.code(), Code::NotFound);
}

//! The cart through the gateway: a customer registers and fills a cart
//! with products the catalog just created (they reach the cart service as
//! events), reads it back, and an anonymous shopper's cart is merged into
//! theirs at sign-in; checking out places one order per cart version, and
//! only a confirmed order empties the cart.

use contracts::{
    cart::{
        self as proto, AddItemRequest, GetCartRequest, MergeCartRequest,
        cart_service_client::CartServiceClient,
    },
    orders::{self as orders_proto, ListOrdersRequest, Order, OrderStatus},
};
use platform::testing::{address, authorized, card, info, wallet};
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

use crate::helpers::{TestShop, with_quote};

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

/// A cart of `user`'s holding `quantity` of the product `product_id`
/// (waiting for the product to reach the cart service).
async fn cart_holding(
    shop: &TestShop,
    token: &str,
    product_id: &str,
    quantity: i32,
) -> proto::Cart {
    let mut cart = shop.cart.clone();
    added_once_known(&mut cart, || {
        authorized(add("", "", product_id, quantity), token)
    })
    .await
}

/// A shipping quote for the customer's cart as it is, as the storefront
/// gets one before checking out: (quote id, cheapest option).
async fn quote(shop: &TestShop, token: &str) -> (String, String) {
    let lines = cart_of(shop, token)
        .await
        .lines
        .iter()
        .map(|line| orders_proto::LineItem {
            product_id: line.product_id.clone(),
            quantity: i64::from(line.quantity),
        })
        .collect();
    let quoted = with_quote(
        &shop.fulfilment,
        token,
        orders_proto::CreateOrderRequest {
            lines,
            shipping_address: Some(address()),
            ..Default::default()
        },
    )
    .await
    .expect("a shipping quote");
    (quoted.shipping_quote_id, quoted.shipping_option)
}

/// CheckoutCart of the customer's cart at `etag`, paying with
/// `card_number`, with `quote` (its id and the option chosen).
async fn checkout(
    shop: &TestShop,
    token: &str,
    etag: &str,
    card_number: &str,
    quote: &(String, String),
) -> Result<Order, tonic::Status> {
    let request = proto::CheckoutCartRequest {
        cart_id: String::new(),
        etag: etag.into(),
        payment_method: Some(card(card_number)),
        shipping_address: Some(address()),
        shipping_quote_id: quote.0.clone(),
        shipping_option: quote.1.clone(),
    };
    shop.cart
        .clone()
        .checkout_cart(authorized(request, token))
        .await
        .map(|response| response.into_inner().order.expect("an order"))
}

async fn cart_of(shop: &TestShop, token: &str) -> proto::Cart {
    shop.cart
        .clone()
        .get_cart(authorized(GetCartRequest::default(), token))
        .await
        .expect("the customer reads their cart")
        .into_inner()
}

async fn orders_of(shop: &TestShop, token: &str) -> Vec<Order> {
    shop.orders
        .clone()
        .list_orders(authorized(ListOrdersRequest::default(), token))
        .await
        .expect("the customer lists their orders")
        .into_inner()
        .orders
}

const APPROVED: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";

#[tokio::test]
async fn a_declined_payment_leaves_the_cart_whole_and_a_confirmed_order_empties_it_once() {
    let shop = TestShop::spawn().await;
    let (token, _) = shop.register("checkout@example.com").await;
    let mug = shop.product("Checkout Mug", 1250, 10).await;
    let cart = cart_holding(&shop, &token, &mug, 2).await;
    let quote = quote(&shop, &token).await;

    let declined = checkout(&shop, &token, &cart.etag, DECLINED, &quote)
        .await
        .expect("a declined payment is a failed order, not an error");
    assert_eq!(declined.status(), OrderStatus::Failed);
    let again = checkout(&shop, &token, &cart.etag, DECLINED, &quote)
        .await
        .expect("the same checkout again");
    assert_eq!(again.id, declined.id, "one order per cart version");

    let after_decline = cart_of(&shop, &token).await;
    assert_eq!(after_decline.lines.len(), 1);
    assert_eq!(after_decline.lines[0].quantity, 2, "the cart is whole");
    assert_ne!(
        after_decline.etag, cart.etag,
        "the next checkout is a new order"
    );

    let confirmed = checkout(&shop, &token, &after_decline.etag, APPROVED, &quote)
        .await
        .expect("checked out");
    assert_eq!(confirmed.status(), OrderStatus::Confirmed);
    assert_ne!(confirmed.id, declined.id);
    let emptied = cart_of(&shop, &token).await;
    assert!(emptied.lines.is_empty(), "{emptied:?}");

    // The orders' events (failed, confirmed) reach the cart too, and
    // change nothing more: the checkouts were settled by the answers.
    let outcomes: Vec<String> = platform::testing::outbox_events(shop.database_url("orders"))
        .await
        .into_iter()
        .filter(|e| e.r#type == "orders.order.failed" || e.r#type == "orders.order.confirmed")
        .map(|e| e.event_id)
        .collect();
    assert_eq!(outcomes.len(), 2);
    platform::testing::eventually("the cart applied the orders' outcomes", || async {
        for event_id in &outcomes {
            if !platform::testing::inbox_holds(shop.database_url("cart"), "cart", event_id).await {
                return false;
            }
        }
        true
    })
    .await;
    assert_eq!(cart_of(&shop, &token).await, emptied);
    let orders = orders_of(&shop, &token).await;
    assert_eq!(orders.len(), 2, "{orders:?}");
}

#[tokio::test]
async fn a_wallet_that_cannot_pay_is_told_as_orders_said_it_and_the_cart_stays_as_it_was() {
    let shop = TestShop::spawn().await;
    let (token, _) = shop.register("wallet@example.com").await;
    let mug = shop.product("Wallet Mug", 1250, 10).await;
    let cart = cart_holding(&shop, &token, &mug, 2).await;
    let quote = quote(&shop, &token).await;
    let request = proto::CheckoutCartRequest {
        cart_id: String::new(),
        etag: cart.etag.clone(),
        payment_method: Some(wallet()),
        shipping_address: Some(address()),
        shipping_quote_id: quote.0.clone(),
        shipping_option: quote.1.clone(),
    };

    let refused = shop
        .cart
        .clone()
        .checkout_cart(authorized(request, &token))
        .await
        .expect_err("an empty wallet cannot pay");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(crate::helpers::reason(&refused), "INSUFFICIENT_FUNDS");
    assert_eq!(info(&refused, "balance_minor"), "0");
    assert!(!info(&refused, "total_minor").is_empty(), "{refused:?}");

    let after = cart_of(&shop, &token).await;
    assert_eq!(after.etag, cart.etag, "the cart is as it was");
    assert_eq!(after.lines[0].quantity, 2);
    assert!(
        orders_of(&shop, &token).await.is_empty(),
        "no order, no failed attempt"
    );
}

#[tokio::test]
async fn the_same_checkout_sent_twenty_times_at_once_places_one_order() {
    let shop = TestShop::spawn().await;
    let (token, _) = shop.register("twenty@example.com").await;
    let mug = shop.product("Twenty Mug", 1250, 10).await;
    let cart = cart_holding(&shop, &token, &mug, 3).await;
    let quote = quote(&shop, &token).await;

    let attempts = (0..20).map(|_| checkout(&shop, &token, &cart.etag, APPROVED, &quote));
    let answers = futures_util::future::join_all(attempts).await;
    let ids: std::collections::HashSet<String> = answers
        .into_iter()
        .map(|answer| answer.expect("every attempt answers with the order").id)
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let orders = orders_of(&shop, &token).await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0].lines[0].quantity, 3);
    platform::testing::eventually("the order is confirmed and the cart emptied", || async {
        cart_of(&shop, &token).await.lines.is_empty()
    })
    .await;
}

#[tokio::test]
async fn checking_out_needs_a_signed_in_customer() {
    let shop = TestShop::spawn().await;
    let refused = shop
        .cart
        .clone()
        .checkout_cart(Request::new(proto::CheckoutCartRequest {
            etag: "v1".into(),
            ..Default::default()
        }))
        .await
        .expect_err("anonymous carts are merged before checking out");
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_checkout_missing_its_quote_and_address_names_every_field_in_one_answer() {
    let shop = TestShop::spawn().await;
    let (token, _) = shop.register("fields@example.com").await;
    let mug = shop.product("Fields Mug", 1250, 10).await;
    let cart = cart_holding(&shop, &token, &mug, 1).await;

    let refused = shop
        .cart
        .clone()
        .checkout_cart(authorized(
            proto::CheckoutCartRequest {
                etag: cart.etag.clone(),
                payment_method: Some(card("4242424242424242")),
                ..Default::default()
            },
            &token,
        ))
        .await
        .expect_err("nothing to ship to, no quote");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let fields: Vec<String> = refused
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|f| f.field.clone())
                .collect()
        })
        .unwrap_or_default();
    for field in ["shipping_address", "shipping_quote_id", "shipping_option"] {
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{field} in {fields:?}"
        );
    }

    // Nothing was placed: the same cart checks out once it is complete.
    let quote = quote(&shop, &token).await;
    let order = checkout(&shop, &token, &cart.etag, "4242424242424242", &quote)
        .await
        .expect("the completed checkout");
    assert_eq!(order.status(), OrderStatus::Confirmed);
}

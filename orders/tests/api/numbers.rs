//! Order numbers ("SH-4KQ7-9MZ2"): on every order, in every answer, event
//! and published event; a number taken already is drawn again; orders
//! placed before numbers get theirs when the service starts. And the
//! shopper's listing: by number, without failed attempts, in each order,
//! keyset-paged.

use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use contracts::{events::event::Payload, orders as proto};
use orders::domain::{Numbers, OrderNumber};
use tonic::Code;

use crate::helpers::*;

/// Whether `number` looks as the contract says: "SH-", then two groups of
/// four Crockford base32 characters.
fn is_a_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    number.len() == 12
        && number.starts_with("SH-")
        && bytes[7] == b'-'
        && number[3..]
            .chars()
            .filter(|c| *c != '-')
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c)))
}

/// Numbers handed out in the order given (tests make them collide).
fn numbers_in_order(numbers: &[&str]) -> Numbers {
    let queue: VecDeque<OrderNumber> = numbers
        .iter()
        .map(|n| OrderNumber::parse(n).expect("a number"))
        .collect();
    let queue = Arc::new(Mutex::new(queue));
    Numbers::from_fn(move || {
        queue
            .lock()
            .expect("the numbers")
            .pop_front()
            .expect("enough numbers for the test")
    })
}

#[tokio::test]
async fn every_order_has_a_number_in_every_answer_and_event() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;

    let first = shop.buy_one("alice", &mug).await;
    let second = shop
        .place("alice", order("r2", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("placed");
    assert!(is_a_number(&first.number), "{}", first.number);
    assert!(is_a_number(&second.number), "{}", second.number);
    assert_ne!(first.number, second.number);

    assert_eq!(
        shop.get("alice", &first.id).await.expect("get").number,
        first.number
    );
    let listed: HashSet<String> = shop
        .orders_of("alice")
        .await
        .into_iter()
        .map(|o| o.number)
        .collect();
    assert_eq!(
        listed,
        HashSet::from([first.number.clone(), second.number.clone()])
    );

    let mut events = shop
        .orders
        .clone()
        .watch_order(shop.as_user(
            "alice",
            proto::WatchOrderRequest {
                id: first.id.clone(),
                after_sequence: 0,
            },
        ))
        .await
        .expect("watch")
        .into_inner();
    // Placed, stock reserved, paid, confirmed (the stream then waits for
    // the parcel).
    for _ in 0..4 {
        let event = events.message().await.expect("stream").expect("an event");
        assert_eq!(event.order.expect("its order").number, first.number);
    }

    let published: Vec<proto::Order> = shop
        .order_events()
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            Some(Payload::Order(changed)) => changed.order,
            _ => None,
        })
        .filter(|o| o.id == first.id)
        .collect();
    assert!(!published.is_empty());
    assert!(published.iter().all(|o| o.number == first.number));
}

#[tokio::test]
async fn a_number_already_taken_is_drawn_again() {
    let shop = TestShop::spawn_with(|config| {
        // The fourth is drawn by the repeat below: a repeat is found by
        // its insert, which carries a number like any other.
        config.numbers = numbers_in_order(&[
            "SH-AAAA-AAAA",
            "SH-AAAA-AAAA",
            "SH-BBBB-BBBB",
            "SH-CCCC-CCCC",
        ]);
    })
    .await;
    let mug = shop.product("Mug", 1_800, 10).await;

    let first = shop.buy_one("alice", &mug).await;
    let second = shop.buy_one("bob", &mug).await;

    assert_eq!(first.number, "SH-AAAA-AAAA");
    assert_eq!(
        second.number, "SH-BBBB-BBBB",
        "the taken number was not kept"
    );
    assert_eq!(second.status(), proto::OrderStatus::Confirmed);
    // A repeat is still a repeat, not a collision.
    let again = shop.buy_one("bob", &mug).await;
    assert_eq!((again.id, again.number), (second.id, second.number));
}

#[tokio::test]
async fn orders_placed_before_numbers_get_theirs_when_the_service_starts() {
    let mut shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    let mut ids = Vec::new();
    for request in ["r1", "r2", "r3"] {
        let placed = shop
            .place("alice", order(request, &[(&mug, 1)], card(GOOD_CARD)))
            .await
            .expect("placed");
        ids.push(placed.id);
    }
    // As an earlier version left them.
    assert_eq!(shop.orders_sql("UPDATE orders SET number = NULL").await, 3);

    shop.stop_orders().await;
    shop.start_orders(|_| {}).await;

    let mut numbers = HashSet::new();
    for id in &ids {
        let order = shop.get("alice", id).await.expect("get");
        assert!(is_a_number(&order.number), "{}", order.number);
        numbers.insert(order.number);
    }
    assert_eq!(numbers.len(), 3, "each its own");

    // Another start keeps them.
    shop.stop_orders().await;
    shop.start_orders(|_| {}).await;
    for id in &ids {
        let order = shop.get("alice", id).await.expect("get");
        assert!(numbers.contains(&order.number));
    }
}

#[tokio::test]
async fn a_number_finds_its_order_however_it_is_typed_and_only_for_its_owner() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    let alices = shop.buy_one("alice", &mug).await;
    shop.place("alice", order("r2", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("placed");

    let typed = alices
        .number
        .trim_start_matches("SH-")
        .replace('-', "")
        .to_lowercase();
    for number in [alices.number.clone(), alices.number.to_lowercase(), typed] {
        let found = shop
            .list(
                "alice",
                proto::ListOrdersRequest {
                    number,
                    ..Default::default()
                },
            )
            .await
            .expect("list")
            .orders;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, alices.id);
    }

    let by_number = proto::ListOrdersRequest {
        number: alices.number.clone(),
        ..Default::default()
    };
    let bobs_view = shop.list("bob", by_number.clone()).await.expect("list");
    assert!(bobs_view.orders.is_empty(), "bob sees only his own");
    let admins_view = shop.list("admin", by_number).await.expect("list");
    assert_eq!(admins_view.orders.len(), 1);

    for garbage in ["SH-", "SH-1234-567U", "x".repeat(10_000).as_str(), "ü"] {
        let refused = expect_code(
            shop.list(
                "alice",
                proto::ListOrdersRequest {
                    number: garbage.to_owned(),
                    ..Default::default()
                },
            )
            .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&refused), ["number"]);
    }
}

#[tokio::test]
async fn failed_attempts_can_be_left_out() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 2).await;
    let confirmed = shop.buy_one("alice", &mug).await;
    let failed = shop
        .place("alice", order("r2", &[(&mug, 5)], card(GOOD_CARD)))
        .await
        .expect("placed");
    assert_eq!(failed.status(), proto::OrderStatus::Failed);

    let all = shop.orders_of("alice").await;
    assert_eq!(all.len(), 2);
    let kept = shop
        .list(
            "alice",
            proto::ListOrdersRequest {
                hide_failed: true,
                ..Default::default()
            },
        )
        .await
        .expect("list")
        .orders;
    assert_eq!(
        kept.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        [confirmed.id.as_str()]
    );
}

/// Every order of `user` in the listing's order, following the page tokens.
async fn every_order(
    shop: &TestShop,
    user: &str,
    order_by: &str,
    page_size: i32,
) -> Vec<proto::Order> {
    let (orders, _) = every_page(|token| async move {
        let page = shop
            .list(
                user,
                proto::ListOrdersRequest {
                    page_size,
                    page_token: token,
                    order_by: order_by.into(),
                    ..Default::default()
                },
            )
            .await
            .expect("a page");
        (page.orders, page.next_page_token)
    })
    .await;
    orders
}

#[tokio::test]
async fn every_order_is_listed_once_in_each_order_and_page_size() {
    let shop = TestShop::spawn().await;
    let cheap = shop.product("Pin", 500, 100).await;
    let dear = shop.product("Mug", 1_800, 100).await;
    // Seven orders of alice with repeated totals and repeated creation
    // times (ties are broken by id), and two of bob's.
    let mut alices = Vec::new();
    for (i, (product, quantity)) in [
        (&cheap, 1),
        (&dear, 1),
        (&cheap, 1),
        (&dear, 3),
        (&cheap, 2),
        (&cheap, 1),
        (&dear, 1),
    ]
    .into_iter()
    .enumerate()
    {
        if i % 2 == 0 {
            shop.clock.advance(Duration::from_secs(1));
        }
        let placed = shop
            .place(
                "alice",
                order(&format!("a{i}"), &[(product, quantity)], card(GOOD_CARD)),
            )
            .await
            .expect("placed");
        alices.push(placed);
    }
    for i in 0..2 {
        shop.place(
            "bob",
            order(&format!("b{i}"), &[(&dear, 1)], card(GOOD_CARD)),
        )
        .await
        .expect("placed");
    }

    let key = |o: &proto::Order, by: &str| -> (i64, String) {
        let time = o.create_time.expect("a time");
        let at = time.seconds * 1_000_000_000 + i64::from(time.nanos);
        match by {
            "total" | "total desc" => (minor(&o.total), o.id.clone()),
            _ => (at, o.id.clone()),
        }
    };
    for order_by in ["", "create_time desc", "create_time", "total", "total desc"] {
        let mut expected: Vec<(i64, String)> = alices.iter().map(|o| key(o, order_by)).collect();
        expected.sort();
        if order_by.is_empty() || order_by.ends_with("desc") {
            expected.reverse();
        }
        for page_size in [1, 3] {
            let listed = every_order(&shop, "alice", order_by, page_size).await;
            let got: Vec<(i64, String)> = listed.iter().map(|o| key(o, order_by)).collect();
            assert_eq!(
                got, expected,
                "order_by {order_by:?}, page size {page_size}"
            );
        }
    }
    assert_eq!(every_order(&shop, "admin", "total", 3).await.len(), 9);
}

#[tokio::test]
async fn a_page_token_is_bound_to_its_order_and_filters_and_bad_orders_are_refused() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    for i in 0..3 {
        shop.place(
            "alice",
            order(&format!("r{i}"), &[(&mug, 1)], card(GOOD_CARD)),
        )
        .await
        .expect("placed");
    }
    let first = shop
        .list(
            "alice",
            proto::ListOrdersRequest {
                page_size: 1,
                order_by: "total".into(),
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert!(!first.next_page_token.is_empty());
    for other in [
        proto::ListOrdersRequest {
            order_by: "total desc".into(),
            ..Default::default()
        },
        proto::ListOrdersRequest {
            order_by: "total".into(),
            hide_failed: true,
            ..Default::default()
        },
    ] {
        let refused = expect_code(
            shop.list(
                "alice",
                proto::ListOrdersRequest {
                    page_token: first.next_page_token.clone(),
                    ..other
                },
            )
            .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&refused), ["page_token"]);
    }

    for garbage in [
        "price",
        "total asc desc",
        "create_time; DROP TABLE orders",
        "id",
    ] {
        let refused = expect_code(
            shop.list(
                "alice",
                proto::ListOrdersRequest {
                    order_by: garbage.into(),
                    ..Default::default()
                },
            )
            .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&refused), ["order_by"]);
    }
}

//! CreateOrder is idempotent by request_id per user: repeats, concurrent or
//! not, get the first order and never start a second checkout.

use std::sync::Arc;

use contracts::orders as proto;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_repeated_request_returns_the_same_order_and_charges_once() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    let request = order("r1", &[(&mug, 1)], card(GOOD_CARD));

    let first = shop.place("alice", request.clone()).await.expect("first");
    let again = shop.place("alice", request).await.expect("repeat");

    assert_eq!(again.id, first.id);
    assert_eq!(again.status(), proto::OrderStatus::Confirmed);
    assert_eq!(shop.payments_of(&first.id).await.len(), 1);
    assert_eq!(shop.stock(&mug).await.available, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_repeats_make_one_order_and_one_charge() {
    let shop = Arc::new(TestShop::spawn().await);
    let mug = shop.product("Mug", 1_800, 10).await;
    // One request, quoted once, sent ten times at once (a client retrying).
    let request = shop
        .with_quote("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await;

    let results = concurrently(10, |_| {
        let shop = shop.clone();
        let request = request.clone();
        async move { shop.place("alice", request).await }
    })
    .await;

    let ids: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("every repeat succeeds").id)
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let order = shop.settled("alice", &ids[0]).await;
    assert_eq!(order.status(), proto::OrderStatus::Confirmed);
    assert_eq!(shop.payments_of(&order.id).await.len(), 1);
    shop.assert_consistent(&[(&mug, 10)], &[&order.id]).await;
}

#[tokio::test]
async fn reusing_a_request_id_for_another_order_is_refused() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    shop.place("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("first");

    let different = shop
        .place("alice", order("r1", &[(&mug, 2)], card(GOOD_CARD)))
        .await;
    let status = expect_code(different, Code::AlreadyExists);
    assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn request_ids_belong_to_their_user() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 1_800, 10).await;
    let alice = shop
        .place("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("alice");
    let bob = shop
        .place("bob", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("bob");
    assert_ne!(alice.id, bob.id);
}

//! Checkout against deliberately failing dependencies: a dead payments
//! service is called until its circuit breaker opens and then not at all
//! (orders wait, uncharged), retries stay within the retry budget, and a
//! payments service that never answers cannot hold a checkout past the
//! call timeout.

use std::time::Duration;

use contracts::orders::OrderStatus;
use orders::clients::RetryBudget;
use platform::testing::{Behaviour, FakeBackend};

use crate::helpers::*;

#[tokio::test]
async fn a_dead_payments_service_is_called_until_the_breaker_opens_then_orders_wait_uncharged() {
    let dead = FakeBackend::spawn(Behaviour::Unavailable).await;
    let shop = TestShop::spawn_with(|config| {
        config.payments_url = dead.url();
        config.breaker_failures = 3;
        config.retry_attempts = 1;
    })
    .await;
    let mug = shop.product("Mug", 1_000, 10).await;

    for i in 0..6 {
        let waiting = shop
            .place(
                "alice",
                order(&format!("r{i}"), &[(&mug, 1)], card(GOOD_CARD)),
            )
            .await
            .expect("placed");
        assert_eq!(waiting.status(), OrderStatus::StockReserved);
    }

    assert_eq!(
        dead.calls(),
        3,
        "checkouts after the breaker opened called payments"
    );
}

#[tokio::test]
async fn retries_of_a_failing_dependency_stay_within_the_retry_budget() {
    let dead = FakeBackend::spawn(Behaviour::Unavailable).await;
    let shop = TestShop::spawn_with(|config| {
        config.payments_url = dead.url();
        config.breaker_failures = 1_000;
        config.retry_attempts = 5;
        config.retry_backoff = Duration::from_millis(1);
        // One retry per two first attempts, no reserve.
        config.retry_budget = RetryBudget {
            share: 0.5,
            reserve_per_second: 0,
        };
    })
    .await;
    let mug = shop.product("Mug", 1_000, 10).await;

    for i in 0..6 {
        shop.place(
            "alice",
            order(&format!("r{i}"), &[(&mug, 1)], card(GOOD_CARD)),
        )
        .await
        .expect("placed");
    }

    // Without the budget: 6 charges x 5 attempts = 30 calls.
    let calls = dead.calls();
    assert!(calls > 6, "no retry at all: {calls}");
    assert!(calls <= 6 + 3, "retries beyond the budget: {calls}");
}

#[tokio::test]
async fn a_payments_service_that_never_answers_cannot_hold_a_checkout() {
    let stuck = FakeBackend::spawn(Behaviour::Hang).await;
    let shop = TestShop::spawn_with(|config| {
        config.payments_url = stuck.url();
        config.call_timeout = Duration::from_millis(200);
        config.retry_attempts = 1;
    })
    .await;
    let mug = shop.product("Mug", 1_000, 10).await;

    let waiting = shop
        .place("alice", order("r1", &[(&mug, 1)], card(GOOD_CARD)))
        .await
        .expect("placed, not stuck");

    assert_eq!(waiting.status(), OrderStatus::StockReserved);
    assert_eq!(stuck.calls(), 1);
}

//! The recovery loop: at start and then periodically, renews the leases of
//! orders whose cards this process holds (see `Checkout::keep_cards`), then
//! resumes orders that stopped mid-saga (a crash, a dependency that was
//! down) and that nobody else is driving, forward or backward as their
//! status dictates. Leases make it safe to run in every replica at once.

use std::time::Duration;

use platform::clock::to_micros;
use tokio::task::JoinSet;

use crate::{checkout::Checkout, store::Store};

/// Orders resumed per pass (driven concurrently); passes repeat every
/// interval.
const BATCH: i64 = 50;

/// Runs until the task is aborted.
pub async fn run(store: Store, checkout: Checkout, every: Duration, stale_after: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        checkout.keep_cards().await;
        recover(&store, &checkout, stale_after).await;
    }
}

/// One pass: drives every order untouched for `stale_after` whose lease
/// has run out or is this process's own.
pub async fn recover(store: &Store, checkout: &Checkout, stale_after: Duration) -> usize {
    let untouched_since = to_micros(store.clock().now() - stale_after);
    let stalled = match store
        .stalled_orders(untouched_since, checkout.owner(), BATCH)
        .await
    {
        Ok(ids) => ids,
        Err(error) => {
            tracing::warn!(%error, "cannot look for stalled orders; will retry");
            return 0;
        }
    };
    let mut drives = JoinSet::new();
    for order_id in stalled {
        let checkout = checkout.clone();
        drives.spawn(async move {
            let result = checkout.drive(&order_id).await;
            (order_id, result)
        });
    }
    let mut resumed = 0;
    while let Some(joined) = drives.join_next().await {
        match joined {
            Ok((order_id, Ok(order))) => {
                resumed += 1;
                tracing::info!(%order_id, status = order.status.as_str(), "resumed a stalled order");
            }
            Ok((order_id, Err(error))) => {
                tracing::warn!(%order_id, %error, "cannot resume order; will retry");
            }
            Err(error) => tracing::warn!(%error, "a recovery task failed"),
        }
    }
    resumed
}

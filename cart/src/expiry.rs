//! Deletes carts that nobody changed for the idle time, as a background
//! task of the service. Safe beside other replicas doing the same: a cart
//! is deleted by one conditional delete, and only while it is still
//! expired.

use std::time::Duration;

use crate::store::Store;

/// Carts deleted per batch; batches repeat until none are due.
const BATCH: i64 = 100;

/// Runs until the task is aborted, sweeping every `every`.
pub async fn run(store: Store, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sweep(&store).await;
    }
}

/// One sweep: deletes every cart expired by now.
pub async fn sweep(store: &Store) {
    loop {
        match store.delete_expired(BATCH).await {
            Ok(0) => return,
            Ok(deleted) => {
                tracing::info!(deleted, "deleted expired carts");
                if i64::try_from(deleted).is_ok_and(|deleted| deleted < BATCH) {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not delete expired carts; will retry");
                return;
            }
        }
    }
}

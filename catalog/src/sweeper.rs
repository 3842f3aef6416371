//! Releases reservations whose hold expired, so stock held by an abandoned
//! checkout goes back on sale. Safe beside other replicas doing the same:
//! each reservation is released by exactly one conditional update.

use std::time::Duration;

use crate::store::Store;

/// Reservations released per batch; batches repeat until none are due.
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

/// One sweep: releases everything due now.
pub async fn sweep(store: &Store) {
    loop {
        match store.release_expired(BATCH).await {
            Ok(0) => return,
            Ok(released) => {
                tracing::info!(released, "released expired reservations");
                if i64::try_from(released).is_ok_and(|released| released < BATCH) {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not release expired reservations; will retry");
                return;
            }
        }
    }
}

//! A periodic cleanup in batches, as a background task of a service (idle
//! carts deleted, expired reservations released, ...). Each batch is the
//! service's own conditional statement, so replicas sweeping at once never
//! do the same work twice; a sweep repeats batches until one comes back
//! short, and a failed batch waits for the next tick.

use std::{future::Future, time::Duration};

/// Rows handled per batch.
pub const BATCH: i64 = 100;

/// Runs `batch` every `every` until the task is aborted. `batch(limit)`
/// handles at most `limit` due rows and returns how many it handled;
/// `what` names them in the logs ("expired carts deleted").
pub async fn run<F, Fut, E>(what: &'static str, every: Duration, mut batch: F)
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<usize, E>>,
    E: std::fmt::Display,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sweep(what, &mut batch).await;
    }
}

/// One sweep: batches until everything due now is handled.
async fn sweep<F, Fut, E>(what: &'static str, batch: &mut F)
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<usize, E>>,
    E: std::fmt::Display,
{
    loop {
        match batch(BATCH).await {
            Ok(0) => return,
            Ok(done) => {
                tracing::info!(count = done, "{what}");
                if i64::try_from(done).is_ok_and(|done| done < BATCH) {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "sweep failed ({what}); will retry");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_sweep_repeats_full_batches_and_stops_at_a_short_one() {
        let due = Arc::new(Mutex::new(250_usize));
        let calls = Arc::new(Mutex::new(0));
        let (d, c) = (due.clone(), calls.clone());
        let task = tokio::spawn(run("rows", Duration::from_secs(60), move |limit| {
            let (d, c) = (d.clone(), c.clone());
            async move {
                *c.lock().expect("lock") += 1;
                let mut due = d.lock().expect("lock");
                let done = (*due).min(usize::try_from(limit).expect("a limit"));
                *due -= done;
                Ok::<_, String>(done)
            }
        }));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(*due.lock().expect("lock"), 0);
        assert_eq!(*calls.lock().expect("lock"), 3, "100, 100, then 50");
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_batch_waits_for_the_next_tick() {
        let calls = Arc::new(Mutex::new(0));
        let c = calls.clone();
        let task = tokio::spawn(run("rows", Duration::from_secs(60), move |_| {
            let c = c.clone();
            async move {
                *c.lock().expect("lock") += 1;
                Err::<usize, _>("the database is down")
            }
        }));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(*calls.lock().expect("lock"), 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(*calls.lock().expect("lock"), 2);
        task.abort();
    }
}

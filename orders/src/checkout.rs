//! Drives an order's saga: claims it (one driver at a time, even across
//! replicas), then takes step after step, persisting each outcome before the
//! next step, until the order is at rest or a dependency is unavailable (the
//! recovery loop resumes it later).

use std::{sync::Arc, time::Duration};

use platform::clock::to_micros;

use crate::{
    clients::Dependencies,
    domain::{
        Order, OrderStatus, Step,
        saga::{self, next_step},
    },
    error::{Error, Result},
    notify::Notifier,
    store::Store,
    vault::CardVault,
};

/// The saga driver. Cheap to clone.
#[derive(Clone)]
pub struct Checkout {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    deps: Dependencies,
    vault: CardVault,
    notifier: Notifier,
    /// This process's name on leases.
    owner: String,
    lease: Duration,
    /// Test failpoint: stop driving as if the process died right after an
    /// order reached this status.
    halt_after: Option<OrderStatus>,
}

impl Checkout {
    pub fn new(
        store: Store,
        deps: Dependencies,
        vault: CardVault,
        notifier: Notifier,
        lease: Duration,
        halt_after: Option<OrderStatus>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                deps,
                vault,
                notifier,
                owner: uuid::Uuid::new_v4().to_string(),
                lease,
                halt_after,
            }),
        }
    }

    /// Takes the order as far as it can go now and returns it as it is then.
    /// If another driver holds the order, returns it untouched.
    pub async fn drive(&self, order_id: &str) -> Result<Order> {
        let inner = &self.inner;
        if !inner
            .store
            .claim(order_id, &inner.owner, self.lease_end())
            .await?
        {
            return self.current(order_id).await;
        }
        let (order, halted) = self.drive_claimed(order_id).await?;
        if !halted {
            inner.store.release_lease(order_id, &inner.owner).await?;
        }
        Ok(order)
    }

    /// Moves a confirmed order to CANCELLING (idempotent) and drives it.
    pub async fn cancel(&self, order: &Order, reason: String) -> Result<Order> {
        if order.status == OrderStatus::Confirmed {
            let moved = self
                .inner
                .store
                .advance(order, saga::cancellation(), Some(reason))
                .await?;
            if moved.is_some() {
                self.inner.notifier.changed(&order.id);
                tracing::info!(order_id = %order.id, "order cancelling");
            }
        }
        self.drive(&order.id).await
    }

    async fn current(&self, order_id: &str) -> Result<Order> {
        self.inner
            .store
            .order(order_id)
            .await?
            .ok_or_else(|| Error::OrderNotFound(order_id.to_owned()))
    }

    fn lease_end(&self) -> i64 {
        to_micros(self.inner.store.clock().now() + self.inner.lease)
    }

    /// Returns the order and whether the failpoint stopped the drive.
    async fn drive_claimed(&self, order_id: &str) -> Result<(Order, bool)> {
        let inner = &self.inner;
        let mut order = self.current(order_id).await?;
        loop {
            if inner.halt_after == Some(order.status) {
                tracing::warn!(
                    order_id,
                    status = order.status.as_str(),
                    "failpoint: halting the saga here"
                );
                return Ok((order, true));
            }
            let step = next_step(order.status);
            let outcome = match step {
                Step::Done => {
                    inner.vault.forget(order_id);
                    return Ok((order, false));
                }
                Step::Reserve => inner.deps.reserve(&order).await,
                Step::Charge => {
                    let card = inner.vault.get(order_id);
                    inner.deps.charge(&order, card).await
                }
                Step::Commit => inner.deps.commit(&order).await,
                Step::Compensate => inner.deps.compensate(&order).await,
                Step::Cancel => inner.deps.cancel(&order).await,
            };
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(transient) => {
                    metrics::counter!("orders_saga_steps_postponed_total", "step" => step.as_str())
                        .increment(1);
                    tracing::warn!(order_id, ?step, reason = %transient, "checkout step postponed; recovery will resume it");
                    return Ok((order, false));
                }
            };
            if step == Step::Charge {
                // Settled either way: the card is not needed any more.
                inner.vault.forget(order_id);
            }
            let transition = saga::transition(order.status, outcome);
            order = match inner.store.advance(&order, transition, None).await? {
                Some(next) => {
                    inner.notifier.changed(order_id);
                    report_progress(&next);
                    // Keep the lease while there is work left.
                    inner
                        .store
                        .claim(order_id, &inner.owner, self.lease_end())
                        .await?;
                    next
                }
                // Another driver moved it first: carry on from where it is.
                None => self.current(order_id).await?,
            };
        }
    }
}

/// Logs a step taken and, when the order settles, counts the outcome
/// (exactly once: only the driver whose guarded update moved it gets here).
fn report_progress(order: &Order) {
    let status = order.status.as_str();
    if !order.status.in_progress() {
        let reason = order.failure_reason.map_or("NONE", |r| r.as_str());
        metrics::counter!("orders_saga_outcomes_total", "status" => status, "reason" => reason)
            .increment(1);
    }
    match order.failure_reason {
        Some(reason) if !order.status.in_progress() => tracing::info!(
            order_id = %order.id,
            status,
            reason = reason.as_str(),
            decline_code = order.decline_code.as_deref().unwrap_or(""),
            "order settled"
        ),
        _ if !order.status.in_progress() => {
            tracing::info!(order_id = %order.id, status, "order settled")
        }
        _ => tracing::debug!(order_id = %order.id, status, "order moved"),
    }
}

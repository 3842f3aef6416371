//! Drives an order's saga: claims it (one driver at a time, even across
//! replicas), then takes step after step, persisting each outcome before the
//! next step, until the order is at rest or a dependency is unavailable (the
//! recovery loop resumes it later).
//!
//! Each drive runs as its own task: a caller that goes away (a deadline, a
//! dropped connection) never stops a step half-way, and the lease is always
//! released (or, for an order whose card this process holds, kept and
//! renewed by [`Checkout::keep_cards`] until the card is used or expires).
//!
//! How long an order can stay unfinished, with every service up: a card
//! order's card is held at most `card_ttl`; the holder renews the order's
//! lease every recovery pass, so once it dies another replica takes the
//! order over after at most `lease`, and a recovery pass every
//! `recovery_interval` picks it up; a charge interrupted mid-way at
//! payments is voided once payments' charge lease (`--charge-lease`, 30 s)
//! has run out. So every order is at rest by `card_ttl + lease +
//! recovery_interval + charge lease` after it was placed, plus the few
//! calls (each at most `call_timeout` per attempt) its remaining steps take,
//! or that long after the services it needs are back, if later.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use contracts::common::Card;
use platform::clock::to_micros;
use tracing::Instrument;

use crate::{
    clients::Dependencies,
    domain::{
        Order, OrderId, OrderStatus, Step,
        saga::{self, next_step},
    },
    error::{Error, Result},
    notify::Notifier,
    store::{Lease, Store},
    vault::CardVault,
};

/// The saga driver. Cheap to clone.
#[derive(Clone)]
pub struct Checkout {
    inner: Arc<Inner>,
}

/// How long the driver holds orders and cards.
#[derive(Debug, Clone, Copy)]
pub struct Leases {
    /// How long a driver owns an order's saga without renewing its lease.
    pub lease: Duration,
    /// How long a card is kept for an order's charge.
    pub card_ttl: Duration,
}

struct Inner {
    store: Store,
    deps: Dependencies,
    vault: CardVault,
    notifier: Notifier,
    /// This process's name on leases.
    owner: String,
    leases: Leases,
    /// Orders a task of this process is driving right now.
    driving: Mutex<HashSet<OrderId>>,
    /// Test failpoint: stop driving as if the process died right after an
    /// order reached this status.
    halt_after: Option<OrderStatus>,
}

/// How a drive stopped.
enum Stop {
    /// The order came to rest in this drive, whose last move gave the
    /// lease up.
    Settled,
    /// The order is at rest (and was when the drive last read it).
    Done,
    /// A step could not finish now; the order waits for a retry.
    Postponed,
    /// Another driver owns the order now.
    LostLease,
    /// The failpoint: as if the process died here.
    Halted,
}

/// Marks an order as driven by this process until dropped.
struct Driving<'a> {
    set: &'a Mutex<HashSet<OrderId>>,
    order_id: OrderId,
}

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        lock(self.set).remove(&self.order_id);
    }
}

fn lock(set: &Mutex<HashSet<OrderId>>) -> std::sync::MutexGuard<'_, HashSet<OrderId>> {
    set.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Checkout {
    pub fn new(
        store: Store,
        deps: Dependencies,
        vault: CardVault,
        notifier: Notifier,
        leases: Leases,
        halt_after: Option<OrderStatus>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                deps,
                vault,
                notifier,
                owner: uuid::Uuid::new_v4().to_string(),
                leases,
                driving: Mutex::default(),
                halt_after,
            }),
        }
    }

    /// This process's name on the leases it takes.
    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// The lease a new order is saved with: this process's, from now on.
    pub fn new_lease(&self) -> Lease<'_> {
        Lease {
            owner: &self.inner.owner,
            until: self.lease_end(),
        }
    }

    /// Keeps the card of a new order (leased to this process) for the
    /// card TTL.
    pub fn hold_card(&self, order_id: &OrderId, card: Card) {
        let expires_at = self.inner.store.clock().now() + self.inner.leases.card_ttl;
        self.inner.vault.put(order_id, card, expires_at);
    }

    /// Takes the order as far as it can go now and returns it as it is then.
    /// If another driver holds the order, returns it untouched. The drive
    /// runs in its own task, which finishes its step and settles the lease
    /// even if the caller stops waiting.
    pub async fn drive(&self, order_id: &OrderId) -> Result<Order> {
        let this = self.clone();
        let id = *order_id;
        // In the caller's span, so the calls it makes join the caller's trace.
        let drive = async move { this.drive_now(&id).await }.instrument(tracing::Span::current());
        tokio::spawn(drive)
            .await
            .map_err(|e| Error::Internal(format!("the checkout task failed: {e}")))?
    }

    /// Drives `order`, which this process has just saved with
    /// [`Checkout::new_lease`]: from the order in memory, without claiming
    /// or reading it again (the insert took the lease, a moment ago, and
    /// nobody else can have moved it: every other driver needs the lease).
    /// Otherwise like [`Checkout::drive`].
    pub async fn drive_placed(&self, order: Order) -> Result<Order> {
        let this = self.clone();
        let drive = async move {
            let inner = &this.inner;
            let order_id = order.id;
            if !lock(&inner.driving).insert(order_id) {
                return this.current(&order_id).await;
            }
            let _driving = Driving {
                set: &inner.driving,
                order_id,
            };
            this.drive_leased(order).await
        }
        .instrument(tracing::Span::current());
        tokio::spawn(drive)
            .await
            .map_err(|e| Error::Internal(format!("the checkout task failed: {e}")))?
    }

    /// Moves a confirmed order to CANCELLING (idempotent) and drives it.
    pub async fn cancel(&self, order: &Order, reason: String) -> Result<Order> {
        if order.status == OrderStatus::Confirmed {
            let moved = self
                .inner
                .store
                .advance(order, saga::cancellation(), Some(reason), None)
                .await?;
            if moved.is_some() {
                self.inner.notifier.changed(&order.id);
                tracing::info!(order_id = %order.id, "order cancelling");
            }
        }
        self.drive(&order.id).await
    }

    /// Renews the lease of every order whose card this process holds, so
    /// no other replica takes it over while this one can still charge;
    /// forgets cards past their TTL (the order then settles without its
    /// card on the next pass) and cards of orders another driver owns.
    pub async fn keep_cards(&self) {
        let inner = &self.inner;
        for (order_id, expired) in inner.vault.held(inner.store.clock().now()) {
            if expired {
                inner.vault.forget(&order_id);
                tracing::info!(%order_id, "card forgotten after its TTL");
                continue;
            }
            match inner
                .store
                .claim(&order_id, &inner.owner, self.lease_end())
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    inner.vault.forget(&order_id);
                    tracing::info!(%order_id, "the order of a held card is at rest or another driver's; card forgotten");
                }
                Err(error) => tracing::warn!(%order_id, %error, "cannot renew a lease; will retry"),
            }
        }
    }

    async fn current(&self, order_id: &OrderId) -> Result<Order> {
        self.inner
            .store
            .order(order_id)
            .await?
            .ok_or(Error::OrderNotFound(*order_id))
    }

    fn lease_end(&self) -> i64 {
        to_micros(self.inner.store.clock().now() + self.inner.leases.lease)
    }

    /// One task's drive of an order; another task of this process driving
    /// it already, or another replica holding its lease, leaves it be.
    async fn drive_now(&self, order_id: &OrderId) -> Result<Order> {
        let inner = &self.inner;
        if !lock(&inner.driving).insert(*order_id) {
            return self.current(order_id).await;
        }
        let _driving = Driving {
            set: &inner.driving,
            order_id: *order_id,
        };
        if !self.claim(order_id).await? {
            return self.current(order_id).await;
        }
        let order = self.current(order_id).await?;
        self.drive_leased(order).await
    }

    /// Drives `order`, whose lease this process holds, and settles the
    /// lease.
    async fn drive_leased(&self, order: Order) -> Result<Order> {
        let inner = &self.inner;
        let order_id = order.id;
        // On an error the lease stays until it runs out (or, with a card
        // held, until the recovery pass of this process resumes it).
        let (order, stop) = self.drive_claimed(order).await?;
        match stop {
            // The advance that brought the order to rest gave the lease up.
            Stop::Settled => {}
            Stop::Done | Stop::Postponed if inner.vault.holds(&order_id) => {
                // Still able to charge: keep the order (keep_cards renews
                // the lease; this process's recovery retries it).
            }
            Stop::Done | Stop::Postponed => {
                inner.store.release_lease(&order_id, &inner.owner).await?;
            }
            Stop::LostLease => inner.vault.forget(&order_id),
            Stop::Halted => {}
        }
        Ok(order)
    }

    /// Takes (or renews) this process's lease on the order; whether it
    /// holds it now.
    async fn claim(&self, order_id: &OrderId) -> Result<bool> {
        let inner = &self.inner;
        inner
            .store
            .claim(order_id, &inner.owner, self.lease_end())
            .await
    }

    /// Returns the order and why the drive stopped.
    ///
    /// The lease is renewed by the advance that records each step (its
    /// guarded update also requires this process to still own the lease),
    /// not by a statement of its own before each step. A driver that
    /// stalled past its lease still learns it before acting, not after:
    /// every step starts right after the statement that last proved and
    /// extended the lease (the insert that placed the order, the claim
    /// that started this drive, or the advance that recorded the step
    /// before), with nothing but in-memory work in between, exactly as a
    /// claim just before the step did. The same guard makes a driver whose
    /// lease was taken over unable to record what it did: its advance
    /// moves nothing, it claims again and, failing, stops. The advance that
    /// brings the order to rest gives the lease up in the same statement.
    async fn drive_claimed(&self, mut order: Order) -> Result<(Order, Stop)> {
        let inner = &self.inner;
        let order_id = &order.id.clone();
        let mut settled = false;
        loop {
            if inner.halt_after == Some(order.status) {
                tracing::warn!(
                    %order_id,
                    status = order.status.as_str(),
                    "failpoint: halting the saga here"
                );
                return Ok((order, Stop::Halted));
            }
            let step = next_step(order.status);
            let deps = &inner.deps;
            let outcome = match step {
                Step::Done => {
                    inner.vault.forget(order_id);
                    let stop = if settled { Stop::Settled } else { Stop::Done };
                    return Ok((order, stop));
                }
                Step::Reserve => deps.reserve(&order).await,
                Step::Charge => {
                    let card = inner.vault.get(order_id, inner.store.clock().now());
                    // A charge whose answer cannot be recorded stops the
                    // drive as an error: the recovery loop tries it again.
                    deps.charge(&order, card).await?
                }
                Step::Commit => deps.commit(&order).await,
                Step::Compensate => deps.compensate(&order).await,
                Step::Cancel => deps.cancel(&order).await,
            };
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(transient) => {
                    metrics::counter!("orders_saga_steps_postponed_total", "step" => step.as_str())
                        .increment(1);
                    tracing::warn!(%order_id, ?step, reason = %transient, "checkout step postponed; recovery will resume it");
                    return Ok((order, Stop::Postponed));
                }
            };
            if step == Step::Charge {
                // Settled either way: the card is not needed any more.
                inner.vault.forget(order_id);
            }
            let transition = saga::transition(order.status, outcome);
            // At rest nothing is left to drive (and no card to keep: it is
            // forgotten once the order is at rest), so the move gives the
            // lease up; otherwise it renews it for the next step.
            let at_rest = !transition.to.in_progress();
            let lease = Lease {
                owner: &inner.owner,
                until: if at_rest { 0 } else { self.lease_end() },
            };
            let moved = inner
                .store
                .advance(&order, transition, None, Some(lease))
                .await?;
            order = if let Some(next) = moved {
                inner.notifier.changed(order_id);
                report_progress(&next);
                settled = at_rest;
                next
            } else {
                // Someone moved it first (a cancellation, a driver that
                // took the lease over) or holds the lease now: act again
                // only under a lease of our own, from where it is.
                if !self.claim(order_id).await? {
                    tracing::warn!(
                        %order_id,
                        "lease lost mid-saga; another driver has the order"
                    );
                    return Ok((order, Stop::LostLease));
                }
                settled = false;
                self.current(order_id).await?
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
            tracing::info!(order_id = %order.id, status, "order settled");
        }
        _ => tracing::debug!(order_id = %order.id, status, "order moved"),
    }
}

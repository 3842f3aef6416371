//! Following an order's events: the WatchOrder stream, and waiting for an
//! order to settle. Events are read from the database, so a change made by
//! another replica is seen too (within one poll interval); changes made in
//! this process wake watchers at once.

use std::time::Duration;

use contracts::orders as proto;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::convert;
use crate::{
    domain::{Order, OrderId, OrderStatus},
    error::{Error, Result},
    notify::Notifier,
    store::Store,
};

/// Whether a watch ends once the order reaches `status`: a confirmed or
/// shipped order still has news to come (its parcel, or a cancellation).
fn ends_watch(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Delivered | OrderStatus::Failed | OrderStatus::Cancelled
    )
}

/// Events of `order` after `after`, then live ones, until it is at rest.
pub fn stream(
    store: Store,
    notifier: Notifier,
    order: Order,
    after: i64,
    poll: Duration,
) -> ReceiverStream<Result<proto::OrderEvent, Status>> {
    let (sender, receiver) = mpsc::channel(16);
    // Subscribe before the first read, so no change can slip in between.
    let mut changes = notifier.subscribe();
    tokio::spawn(async move {
        let mut last = after;
        let mut status = order.status;
        loop {
            let events = match store.events_after(&order.id, last).await {
                Ok(events) => events,
                Err(error) => {
                    let _ = sender.send(Err(error.into())).await;
                    return;
                }
            };
            for event in &events {
                if sender
                    .send(Ok(convert::event(&order, event)))
                    .await
                    .is_err()
                {
                    return; // The client went away.
                }
                last = event.sequence;
                status = event.status;
            }
            if ends_watch(status) {
                return;
            }
            tokio::select! {
                () = wait_for_change(&mut changes, &order.id) => {}
                () = tokio::time::sleep(poll) => {}
                () = sender.closed() => return,
            }
        }
    });
    ReceiverStream::new(receiver)
}

/// The order once it is at rest, or as it is after `patience`.
pub async fn settled(
    store: &Store,
    notifier: &Notifier,
    order_id: &OrderId,
    patience: Duration,
    poll: Duration,
) -> Result<Order> {
    let mut changes = notifier.subscribe();
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let order = store
            .order(order_id)
            .await?
            .ok_or(Error::OrderNotFound(*order_id))?;
        if !order.status.in_progress() || tokio::time::Instant::now() >= deadline {
            return Ok(order);
        }
        tokio::select! {
            () = wait_for_change(&mut changes, order_id) => {}
            () = tokio::time::sleep(poll) => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

async fn wait_for_change(changes: &mut broadcast::Receiver<OrderId>, order_id: &OrderId) {
    loop {
        match changes.recv().await {
            Ok(changed) if changed == *order_id => return,
            Ok(_) => {}
            // Missed some news: look at the database to be sure.
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

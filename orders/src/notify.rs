//! In-process news of order changes, so watchers and waiting duplicates
//! react at once. Changes made by other replicas are found by polling the
//! database; this only makes the local case fast.

use tokio::sync::broadcast;

use crate::domain::OrderId;

/// Broadcasts the id of every order that changed in this process.
#[derive(Clone)]
pub struct Notifier {
    sender: broadcast::Sender<OrderId>,
}

impl Default for Notifier {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }
}

impl Notifier {
    pub fn changed(&self, order_id: &OrderId) {
        // No receivers is fine: nobody is watching.
        let _ = self.sender.send(*order_id);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<OrderId> {
        self.sender.subscribe()
    }
}

//! Card details for checkouts in progress, held in memory only: never
//! written to the database or logs. If the process stops, they are gone,
//! and a card order that was not yet charged fails as PAYMENT_INCOMPLETE.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use contracts::common::Card;

/// Order id -> card, for orders whose charge is not settled yet.
#[derive(Clone, Default)]
pub struct CardVault {
    cards: Arc<Mutex<HashMap<String, Card>>>,
}

impl CardVault {
    pub fn put(&self, order_id: &str, card: Card) {
        self.lock().insert(order_id.to_owned(), card);
    }

    pub fn get(&self, order_id: &str) -> Option<Card> {
        self.lock().get(order_id).cloned()
    }

    /// Forgets the card once the charge is settled either way.
    pub fn forget(&self, order_id: &str) {
        self.lock().remove(order_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Card>> {
        self.cards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

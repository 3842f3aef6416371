//! Card details for checkouts in progress, held in memory only: never
//! written to the database or logs, and kept at most a TTL (by the service
//! clock). If the process stops, they are gone.
//!
//! Holding a card means holding the order's lease: this process renews the
//! lease of every order whose card it holds (see `Checkout::keep_cards`),
//! so no other replica can take the order over, and fail it as
//! PAYMENT_INCOMPLETE, while this one is alive and able to charge. Once the
//! TTL has passed (or the lease was lost), the card is forgotten and the
//! order settles without it: a charge already made is found, and one never
//! made is voided at payments.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use contracts::common::Card;
use time::OffsetDateTime;

use crate::domain::OrderId;

/// Order id -> card, for orders whose charge is not settled yet.
#[derive(Clone, Default)]
pub struct CardVault {
    cards: Arc<Mutex<HashMap<OrderId, Held>>>,
}

struct Held {
    card: Card,
    /// Forgotten from then on.
    expires_at: OffsetDateTime,
}

impl CardVault {
    /// Keeps `card` for `order_id` until `expires_at`.
    pub fn put(&self, order_id: &OrderId, card: Card, expires_at: OffsetDateTime) {
        self.lock().insert(*order_id, Held { card, expires_at });
    }

    /// The order's card, unless it was forgotten or expired by `now`.
    pub fn get(&self, order_id: &OrderId, now: OffsetDateTime) -> Option<Card> {
        let mut cards = self.lock();
        match cards.get(order_id) {
            Some(held) if held.expires_at > now => Some(held.card.clone()),
            Some(_) => {
                cards.remove(order_id);
                None
            }
            None => None,
        }
    }

    /// Whether a card is held for the order (expired or not).
    pub fn holds(&self, order_id: &OrderId) -> bool {
        self.lock().contains_key(order_id)
    }

    /// The orders whose cards are held, each with whether it expired by `now`.
    pub fn held(&self, now: OffsetDateTime) -> Vec<(OrderId, bool)> {
        self.lock()
            .iter()
            .map(|(id, held)| (*id, held.expires_at <= now))
            .collect()
    }

    /// Forgets the card: the charge is settled, the order at rest, the TTL
    /// passed, or another replica owns the order now.
    pub fn forget(&self, order_id: &OrderId) {
        self.lock().remove(order_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrderId, Held>> {
        self.cards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_card_is_kept_until_its_ttl_then_forgotten() {
        let vault = CardVault::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        let o1 = OrderId::generate();
        vault.put(&o1, Card::default(), now + Duration::from_secs(60));
        assert!(vault.get(&o1, now + Duration::from_secs(59)).is_some());
        assert_eq!(vault.held(now), [(o1, false)]);
        assert!(vault.get(&o1, now + Duration::from_secs(60)).is_none());
        assert!(!vault.holds(&o1), "an expired card is dropped when seen");
    }

    #[test]
    fn forgetting_is_final() {
        let vault = CardVault::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        let o1 = OrderId::generate();
        vault.put(&o1, Card::default(), now + Duration::from_secs(60));
        vault.forget(&o1);
        assert!(vault.get(&o1, now).is_none());
    }
}

//! The hot-read cache for products (GetProduct, BatchGetProducts).
//!
//! Writes in this process invalidate their entry at once; other replicas'
//! writes show up when the short TTL lapses. A read that raced a write must
//! not put the old value back: every invalidation bumps a generation, and a
//! read only fills the cache if no invalidation happened since it started.
//! The generation is compared and the products stored under one lock that
//! invalidations also take, so an invalidation cannot fall between a
//! fill's check and its store (where it would find nothing to remove, and
//! the fill would then store the stale product after it).

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use moka::sync::Cache;

use crate::domain::{Product, ProductId};

/// Most products kept; a catalog bigger than this keeps its hottest.
const CAPACITY: u64 = 10_000;

/// Products by id. Cheap to clone; a TTL of zero turns it off.
#[derive(Clone)]
pub struct ProductCache {
    entries: Option<Cache<ProductId, Arc<Product>>>,
    /// Invalidations so far; also the lock of fills against invalidations.
    generation: Arc<Mutex<u64>>,
}

/// Taken before reading the database; see [`ProductCache::fill`].
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl ProductCache {
    pub fn new(ttl: Duration) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build()
        });
        Self {
            entries,
            generation: Arc::new(Mutex::new(0)),
        }
    }

    pub fn get(&self, id: &ProductId) -> Option<Arc<Product>> {
        self.entries.as_ref()?.get(id)
    }

    /// Call before reading the products that [`fill`](Self::fill) will store.
    pub fn ticket(&self) -> Ticket {
        Ticket(*self.generation())
    }

    /// Stores products read after `ticket` was taken, unless a write
    /// invalidated anything since. Invalidations wait while `products` is
    /// consumed: pass values already read, not a lazy database read.
    pub fn fill(&self, ticket: Ticket, products: impl IntoIterator<Item = Arc<Product>>) {
        let Some(entries) = &self.entries else { return };
        let generation = self.generation();
        if *generation != ticket.0 {
            return;
        }
        for product in products {
            entries.insert(product.id, product);
        }
        drop(generation);
    }

    /// Forgets a product that was just changed or deleted.
    pub fn invalidate(&self, id: &ProductId) {
        let mut generation = self.generation();
        *generation += 1;
        if let Some(entries) = &self.entries {
            entries.invalidate(id);
        }
    }

    /// The generation, locked. A panic elsewhere cannot leave a counter
    /// half-updated, so a poisoned lock is still good.
    fn generation(&self) -> MutexGuard<'_, u64> {
        self.generation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use time::macros::datetime;

    fn product() -> Arc<Product> {
        let (product, _) = NewProduct {
            name: ProductName::parse("Mug").expect("name"),
            description: Description::parse("").expect("description"),
            category: Category::parse("kitchen").expect("category"),
            price: platform::money::Money::parse("USD", 900, crate::domain::values::PRICES)
                .expect("price"),
            weight: WeightGrams::new(400).expect("weight"),
            initial_stock: InitialStock::new(1).expect("stock"),
        }
        .into_product(datetime!(2024-01-01 00:00 UTC));
        Arc::new(product)
    }

    #[test]
    fn a_read_that_raced_a_write_does_not_refill_the_cache() {
        let cache = ProductCache::new(Duration::from_secs(60));
        let stale = product();
        let ticket = cache.ticket();
        cache.invalidate(&stale.id);
        cache.fill(ticket, [stale.clone()]);
        assert!(cache.get(&stale.id).is_none());

        cache.fill(cache.ticket(), [stale.clone()]);
        assert!(cache.get(&stale.id).is_some());
    }

    #[test]
    fn an_invalidation_arriving_while_a_fill_stores_is_not_undone() {
        // The interleaving: a fill took its ticket and read the old product;
        // it has passed its generation check and is about to store when the
        // write's invalidation arrives. Consuming `products` is the moment
        // between check and store, so the invalidation is started from there
        // (on another thread, as a concurrent write would be).
        let cache = ProductCache::new(Duration::from_secs(60));
        let stale = product();
        let ticket = cache.ticket();
        let (started, invalidation_started) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            let products = std::iter::once_with(|| {
                scope.spawn(|| {
                    started.send(()).expect("test waits");
                    cache.invalidate(&stale.id);
                });
                invalidation_started.recv().expect("invalidation started");
                stale.clone()
            });
            cache.fill(ticket, products);
        });
        // Whichever way the threads ran, the invalidation came last.
        assert!(cache.get(&stale.id).is_none());
        // The cache still works afterwards.
        cache.fill(cache.ticket(), [stale.clone()]);
        assert!(cache.get(&stale.id).is_some());
    }

    #[test]
    fn a_zero_ttl_turns_the_cache_off() {
        let cache = ProductCache::new(Duration::ZERO);
        let p = product();
        cache.fill(cache.ticket(), [p.clone()]);
        assert!(cache.get(&p.id).is_none());
    }
}

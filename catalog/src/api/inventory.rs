//! `shop.catalog.v1.InventoryService`: reservations for the orders service,
//! stock reads and adjustments for admins.

use contracts::catalog::{self as proto, inventory_service_server::InventoryService};
use platform::{auth::Principal, limits, paging::PageTokens};
use tonic::{Request, Response, Status};

use super::convert::{self, Violations};
use crate::{
    cache::ProductCache,
    domain::{ProductId, Reason, Reservation, ReservationId, StockDelta, inventory::MAX_LINES},
    error::Error,
    store::Store,
};

/// The InventoryService implementation.
#[derive(Clone)]
pub struct InventoryApi {
    store: Store,
    /// The catalog's product cache: products show their availability, so
    /// every stock change forgets the products it touched.
    cache: ProductCache,
    tokens: PageTokens,
}

impl InventoryApi {
    pub fn new(store: Store, cache: ProductCache, tokens: PageTokens) -> Self {
        Self {
            store,
            cache,
            tokens,
        }
    }

    /// Forgets the cached products of `reservation`, whose stock just
    /// changed (after the change is committed, so a read racing it cannot
    /// put the old availability back: see [`ProductCache::fill`]).
    fn stock_changed(&self, reservation: &Reservation) {
        for line in reservation.lines.iter() {
            self.cache.invalidate(&line.product_id);
        }
    }
}

fn reservation_id(raw: &str) -> Result<ReservationId, Error> {
    ReservationId::parse(raw).map_err(|d| Error::invalid("reservation_id", d))
}

fn product_id(raw: &str) -> Result<ProductId, Error> {
    ProductId::parse(raw).map_err(|d| Error::invalid("product_id", d))
}

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn reserve_stock(
        &self,
        request: Request<proto::ReserveStockRequest>,
    ) -> Result<Response<proto::Reservation>, Status> {
        let request = request.into_inner();
        limits::at_most("lines", request.lines.len(), MAX_LINES)?;
        let mut v = Violations::default();
        let id = v.check(
            "reservation_id",
            ReservationId::parse(&request.reservation_id),
        );
        let lines = match convert::stock_lines(&request.lines) {
            Ok(lines) => Some(lines),
            Err(Error::InvalidArgument(violations)) => {
                for violation in violations {
                    v.add(violation.field, violation.description);
                }
                None
            }
            Err(other) => return Err(other.into()),
        };
        let (id, lines) = v.finish(|| Some((id?, lines?)))?;
        let reservation = self.store.reserve(&id, &lines).await?;
        self.stock_changed(&reservation);
        Ok(Response::new((&reservation).into()))
    }

    async fn release_reservation(
        &self,
        request: Request<proto::ReleaseReservationRequest>,
    ) -> Result<Response<proto::Reservation>, Status> {
        let id = reservation_id(&request.get_ref().reservation_id)?;
        let reservation = self.store.release(&id).await?;
        self.stock_changed(&reservation);
        Ok(Response::new((&reservation).into()))
    }

    async fn commit_reservation(
        &self,
        request: Request<proto::CommitReservationRequest>,
    ) -> Result<Response<proto::Reservation>, Status> {
        let id = reservation_id(&request.get_ref().reservation_id)?;
        let reservation = self.store.commit(&id).await?;
        self.stock_changed(&reservation);
        Ok(Response::new((&reservation).into()))
    }

    async fn adjust_stock(
        &self,
        request: Request<proto::AdjustStockRequest>,
    ) -> Result<Response<proto::Stock>, Status> {
        // The auth layer only lets admins this far, and always with a principal.
        let actor = request
            .extensions()
            .get::<Principal>()
            .map(|p| p.user_id.clone())
            .unwrap_or_default();
        let request = request.into_inner();
        let mut v = Violations::default();
        let id = v.check("product_id", ProductId::parse(&request.product_id));
        let delta = v.check("delta", StockDelta::new(request.delta));
        let reason = v.check("reason", Reason::parse(&request.reason));
        let (id, delta, reason) = v.finish(|| Some((id?, delta?, reason?)))?;
        let stock = self.store.adjust_stock(id, delta, &reason, &actor).await;
        // Even on failure: whatever the outcome, the cache must not keep
        // what this call may have changed.
        self.cache.invalidate(&id);
        let stock = stock?;
        tracing::info!(product_id = %id, delta = delta.units(), %actor, "stock adjusted");
        Ok(Response::new(stock.into()))
    }

    async fn get_stock(
        &self,
        request: Request<proto::GetStockRequest>,
    ) -> Result<Response<proto::Stock>, Status> {
        let id = product_id(&request.get_ref().product_id)?;
        Ok(Response::new(self.store.stock(id).await?.into()))
    }

    async fn list_reservations(
        &self,
        request: Request<proto::ListReservationsRequest>,
    ) -> Result<Response<proto::ListReservationsResponse>, Status> {
        let answer = super::reservations::list(&self.store, &self.tokens, request.get_ref());
        Ok(Response::new(answer.await?))
    }
}

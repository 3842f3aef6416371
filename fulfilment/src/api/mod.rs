//! The gRPC face of the fulfilment service: who may call what, request
//! validation (into the domain's values), and the answers as the
//! contract's messages. Nothing below this module knows tonic.
//!
//! Access: customers read the shipment of their own orders (another's is
//! NOT_FOUND, as if it did not exist); admins, the warehouse, read and
//! list every shipment and move it along its life. Signed-in users (and
//! admins) get shipping quotes, each their own. The orders service (its
//! own token, acting for the order's user) checks a quote's option for
//! that user and cancels the shipment of an order it cancels; admins cancel
//! orders through the orders service, which keeps order, refund and
//! shipment together.

mod quotes;
mod status;
mod validate;

use contracts::fulfilment::{
    self as proto, fulfilment_service_server::FulfilmentService,
    fulfilment_service_server::SERVICE_NAME as FULFILMENT,
};
use platform::{
    auth::{Access, Grant, Policy, Principal, Role, issuer},
    error::Violations,
    paging::{Cursor, PageSize, PageTokens},
};
use tonic::{Request, Response, Status};

pub use quotes::Quoting;

use crate::{
    convert,
    domain::{
        CancelReason, Carrier, Dispatch, ListQuery, OrderId, ShipmentId, TrackingNumber,
        Transition, UserId,
    },
    error::{Error, Result},
    store::Store,
};

/// Fully qualified names of the services this crate serves.
pub const SERVICE_NAMES: [&str; 1] = [FULFILMENT];

/// Who may call which method (see the module's documentation).
pub fn policy() -> Policy {
    let admins = || Access::Only(vec![Grant::User(Role::Admin)]);
    Policy::new()
        .rule(
            FULFILMENT,
            "GetShipment",
            Access::Only(vec![Grant::User(Role::Customer), Grant::User(Role::Admin)]),
        )
        .rule(FULFILMENT, "ListShipments", admins())
        .rule(FULFILMENT, "PackShipment", admins())
        .rule(FULFILMENT, "ShipShipment", admins())
        .rule(FULFILMENT, "DeliverShipment", admins())
        .rule(FULFILMENT, "CancelShipment", orders())
        .rule(
            FULFILMENT,
            "GetShippingQuote",
            Access::Only(vec![Grant::User(Role::Customer), Grant::User(Role::Admin)]),
        )
        .rule(FULFILMENT, "CheckShippingQuote", orders())
}

/// Only the orders service, acting for a user.
fn orders() -> Access {
    Access::Only(vec![Grant::Service(issuer::ORDERS.to_owned())])
}

/// The FulfilmentService implementation.
#[derive(Clone)]
pub struct FulfilmentApi {
    store: Store,
    tokens: PageTokens,
    quoting: Quoting,
}

impl FulfilmentApi {
    pub fn new(store: Store, tokens: PageTokens, quoting: Quoting) -> Self {
        Self {
            store,
            tokens,
            quoting,
        }
    }

    /// Validates the shipment id and applies the transition it asks for.
    async fn change(
        &self,
        shipment_id: &str,
        transition: impl FnOnce(&mut Violations) -> Option<Transition>,
    ) -> Result<Response<proto::Shipment>, Status> {
        let mut v = Violations::default();
        let id = v.check("shipment_id", ShipmentId::parse(shipment_id));
        let transition = transition(&mut v);
        let (id, transition) = v.finish(|| Some((id?, transition?))).map_err(Error::from)?;
        let shipment = self.store.transition(&id, &transition).await?;
        Ok(Response::new((&shipment).into()))
    }
}

#[tonic::async_trait]
impl FulfilmentService for FulfilmentApi {
    async fn get_shipment(
        &self,
        request: Request<proto::GetShipmentRequest>,
    ) -> Result<Response<proto::Shipment>, Status> {
        let caller = Principal::of(&request)?;
        let order_id = OrderId::parse(&request.get_ref().order_id)
            .map_err(|e| Error::invalid("order_id", e))?;
        let shipment = self
            .store
            .shipment_of_order(&order_id)
            .await?
            .filter(|s| caller.is_admin() || s.user_id.as_str() == caller.user_id)
            .ok_or(Error::ShipmentNotFound)?;
        Ok(Response::new((&shipment).into()))
    }

    async fn list_shipments(
        &self,
        request: Request<proto::ListShipmentsRequest>,
    ) -> Result<Response<proto::ListShipmentsResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let page_size = v.check("page_size", PageSize::new(request.page_size));
        let user_id = if request.user_id.is_empty() {
            Some(None)
        } else {
            v.check("user_id", UserId::parse(&request.user_id))
                .map(Some)
        };
        let status = v.check("status", convert::status_filter(request.status));
        // A page token is only good for the filters it was issued with.
        let status_name = status
            .flatten()
            .map(crate::domain::Status::as_str)
            .unwrap_or_default();
        let filters = [request.user_id.as_str(), status_name];
        let after = v.check(
            "page_token",
            self.tokens.after(&request.page_token, &filters),
        );
        let query = v
            .finish(|| {
                Some(ListQuery {
                    user_id: user_id?,
                    status: status?,
                    page_size: page_size?,
                    after: after?,
                })
            })
            .map_err(Error::from)?;
        let page = self.store.list(&query).await?;
        Ok(Response::new(proto::ListShipmentsResponse {
            next_page_token: self
                .tokens
                .next(&page, &filters, |last| Cursor::of(last.created_at, last.id)),
            shipments: page.items.iter().map(Into::into).collect(),
        }))
    }

    async fn pack_shipment(
        &self,
        request: Request<proto::PackShipmentRequest>,
    ) -> Result<Response<proto::Shipment>, Status> {
        self.change(&request.get_ref().shipment_id, |_| Some(Transition::Pack))
            .await
    }

    async fn ship_shipment(
        &self,
        request: Request<proto::ShipShipmentRequest>,
    ) -> Result<Response<proto::Shipment>, Status> {
        let request = request.into_inner();
        self.change(&request.shipment_id, |v| {
            let carrier = v.check("carrier", Carrier::parse(&request.carrier));
            let tracking_number = v.check(
                "tracking_number",
                TrackingNumber::parse(&request.tracking_number),
            );
            Some(Transition::Ship(Dispatch {
                carrier: carrier?,
                tracking_number: tracking_number?,
            }))
        })
        .await
    }

    async fn cancel_shipment(
        &self,
        request: Request<proto::CancelShipmentRequest>,
    ) -> Result<Response<proto::Shipment>, Status> {
        let caller = Principal::of(&request)?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let order_id = v.check("order_id", OrderId::parse(&request.order_id));
        let reason = v.check("reason", CancelReason::parse(&request.reason));
        // The user the orders service acts for: the order's.
        let user_id = UserId::parse(&caller.user_id).map_err(|e| Error::invalid("user", e))?;
        let (order_id, reason) = v
            .finish(|| Some((order_id?, reason?)))
            .map_err(Error::from)?;
        let shipment = self
            .store
            .cancel_shipment(&order_id, &user_id, &reason)
            .await?;
        Ok(Response::new((&shipment).into()))
    }

    async fn get_shipping_quote(
        &self,
        request: Request<proto::GetShippingQuoteRequest>,
    ) -> Result<Response<proto::ShippingQuote>, Status> {
        self.quote(request).await
    }

    async fn check_shipping_quote(
        &self,
        request: Request<proto::CheckShippingQuoteRequest>,
    ) -> Result<Response<proto::ShippingOption>, Status> {
        self.check_quote(request).await
    }

    async fn deliver_shipment(
        &self,
        request: Request<proto::DeliverShipmentRequest>,
    ) -> Result<Response<proto::Shipment>, Status> {
        self.change(&request.get_ref().shipment_id, |_| {
            Some(Transition::Deliver)
        })
        .await
    }
}

//! CheckoutCart: the one call the cart service makes to another service.
//! The order is placed with the customer's own token (relayed, so the
//! orders service checks the customer's rights exactly as if they had
//! called it) under the request id of the cart's version, and its answer is
//! the customer's: what the orders service refuses comes back as it said
//! it, with its field names, since CheckoutCartRequest names its fields as
//! CreateOrderRequest does. The shipping quote and option go through as
//! the customer chose them; the orders service checks them (the cart only
//! requires them, so a missing one is refused before the cart is locked).

use std::time::Duration;

use contracts::{
    cart as proto,
    orders::{self as orders_proto, OrderStatus, order_service_client::OrderServiceClient},
};
use platform::{
    client::{Upstream, relayed},
    error::Violations,
};
use tonic::{Code, Request, Status};

use crate::{
    domain::{self, checkout::Settlement},
    error::Error,
};

use super::CartApi;

/// The orders service as the cart calls it, built once and cloned.
#[derive(Clone)]
pub struct Orders {
    client: OrderServiceClient<Upstream>,
    /// Deadline of each CreateOrder (which runs the checkout saga).
    deadline: Duration,
}

impl Orders {
    pub fn new(channel: Upstream, deadline: Duration) -> Self {
        Self {
            client: OrderServiceClient::new(channel),
            deadline,
        }
    }
}

/// The cart's part in an order's outcome, when CreateOrder's answer is
/// already final; otherwise the orders' events settle it.
fn settlement(order: &orders_proto::Order) -> Option<Settlement> {
    match order.status() {
        OrderStatus::Confirmed | OrderStatus::Shipped | OrderStatus::Delivered => {
            Some(Settlement::Confirmed)
        }
        OrderStatus::Failed | OrderStatus::Cancelled => Some(Settlement::Failed),
        _ => None,
    }
}

/// What the customer is told when CreateOrder failed: the orders service's
/// own answer for what it refused (already shaped for clients), and nothing
/// of the rest beyond "try again" or a generic error.
fn relay_refusal(status: Status) -> Status {
    match status.code() {
        Code::InvalidArgument
        | Code::NotFound
        | Code::FailedPrecondition
        | Code::AlreadyExists
        | Code::PermissionDenied
        | Code::Unauthenticated
        | Code::OutOfRange => status,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted => {
            Error::OrdersUnavailable.into()
        }
        code => platform::error::internal(&format_args!(
            "CreateOrder answered {code:?}: {}",
            status.message()
        )),
    }
}

impl CartApi {
    pub(super) async fn checkout(
        &self,
        request: Request<proto::CheckoutCartRequest>,
    ) -> Result<proto::CheckoutCartResponse, Status> {
        let r = request.get_ref();
        let user_id = self.customer(&request, &r.cart_id).await?;
        let mut v = Violations::default();
        if r.etag.is_empty() {
            v.add("etag", "is required: the cart as the customer reviewed it");
        }
        // The shipping quote, like the address and the payment method, is
        // checked by orders, which names every field wrong in one answer
        // (a storefront shows them all at once).
        v.finish(|| Some(())).map_err(Error::from)?;
        let version = domain::version_of(&r.etag).ok_or(Error::EtagMismatch)?;
        let checkout = self.store.begin_checkout(&user_id, version).await?;
        let order = orders_proto::CreateOrderRequest {
            request_id: checkout.request_id.clone(),
            lines: checkout
                .lines
                .iter()
                .map(|line| orders_proto::LineItem {
                    product_id: line.product_id.clone(),
                    quantity: i64::from(line.quantity),
                })
                .collect(),
            payment_method: r.payment_method.clone(),
            shipping_address: r.shipping_address.clone(),
            shipping_quote_id: r.shipping_quote_id.clone(),
            shipping_option: r.shipping_option.clone(),
        };
        let call = relayed(request.metadata(), order, self.orders.deadline)?;
        let order = self
            .orders
            .client
            .clone()
            .create_order(call)
            .await
            .map_err(relay_refusal)?
            .into_inner();
        if let Some(outcome) = settlement(&order) {
            // The orders' event settles it as well; whichever is first
            // changes the cart, and a failure here is mended by the event.
            if let Err(error) = self
                .store
                .settle(&checkout.request_id, &order.id, outcome)
                .await
            {
                tracing::warn!(%error, order_id = %order.id, "cannot settle the checkout now; its event will");
            }
        }
        Ok(proto::CheckoutCartResponse { order: Some(order) })
    }
}

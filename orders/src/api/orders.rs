//! `shop.orders.v1.OrderService`: checkout, reads, cancellation, and the
//! live status stream. A customer sees only their own orders (another
//! user's order is NOT_FOUND); admins see everyone's.

use std::time::Duration;

use contracts::orders::{self as proto, order_service_server::OrderService};
use platform::{
    auth::Principal,
    paging::{Cursor, PageSize, PageTokens},
};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::{
    convert::{self, Violations},
    watch,
};
use crate::{
    checkout::Checkout,
    clients::Dependencies,
    domain::{
        CheckoutRequest, MethodType, Money, Numbers, Order, OrderId, OrderNumber, OrderSort,
        OrderStatus, PaymentChoice, Pricing, PricingError, ShippingChoice, UserId, values,
    },
    error::{Error, Result},
    notify::Notifier,
    store::{ListQuery, NUMBER_ATTEMPTS, Store},
};

/// The OrderService implementation.
#[derive(Clone)]
pub struct OrdersApi {
    store: Store,
    checkout: Checkout,
    deps: Dependencies,
    notifier: Notifier,
    tokens: PageTokens,
    /// How long a repeated CreateOrder waits for the first one to settle.
    settle_wait: Duration,
    /// How often watchers look for changes made by other replicas.
    watch_poll: Duration,
    numbers: Numbers,
}

/// What the API needs besides the store and the driver.
pub struct ApiParts {
    pub deps: Dependencies,
    /// Where new orders' numbers come from.
    pub numbers: Numbers,
    pub notifier: Notifier,
    pub tokens: PageTokens,
    pub settle_wait: Duration,
    pub watch_poll: Duration,
}

impl OrdersApi {
    pub fn new(store: Store, checkout: Checkout, parts: ApiParts) -> Self {
        Self {
            store,
            checkout,
            deps: parts.deps,
            notifier: parts.notifier,
            tokens: parts.tokens,
            settle_wait: parts.settle_wait,
            watch_poll: parts.watch_poll,
            numbers: parts.numbers,
        }
    }

    /// The order, if `caller` may see it; another user's order is "not found".
    async fn visible_order(&self, caller: &Principal, raw_id: &str) -> Result<Order> {
        let id = OrderId::parse(raw_id).map_err(|d| Error::invalid("id", d))?;
        match self.store.order(&id).await? {
            Some(order) if caller.is_admin() || order.user_id.as_str() == caller.user_id => {
                Ok(order)
            }
            _ => Err(Error::OrderNotFound(id)),
        }
    }

    /// A repeated CreateOrder: the same order if it is the same request,
    /// once the first call has had a moment to finish.
    async fn repeat(
        &self,
        existing: Order,
        fingerprint: &str,
        request: &CheckoutRequest,
    ) -> Result<Order> {
        if fingerprint != request.fingerprint() {
            return Err(Error::RequestIdReused(
                request.request_id.as_str().to_owned(),
            ));
        }
        if !existing.status.in_progress() {
            return Ok(existing);
        }
        watch::settled(
            &self.store,
            &self.notifier,
            &existing.id,
            self.settle_wait,
            self.watch_poll,
        )
        .await
    }

    /// The checkout's lines priced by the catalog, the shipping option
    /// priced by fulfilment (never by the client) and the total; refused
    /// when a wallet payment cannot cover it.
    async fn price(
        &self,
        caller: &Principal,
        user_id: &UserId,
        request: &CheckoutRequest,
    ) -> Result<(Pricing, ShippingChoice, Money)> {
        let ids: Vec<_> = request.lines.iter().map(|(id, _)| *id).collect();
        let products = self.deps.products(caller, &ids).await?;
        let pricing = request.price(&products).map_err(pricing_error)?;
        let shipping = self.deps.shipping_option(caller, request).await?;
        let total = pricing.total_with(shipping.price).map_err(pricing_error)?;
        if request.payment.method() == MethodType::Wallet && total.minor() > 0 {
            // A wallet that cannot pay is told now, before anything is
            // placed or reserved (a top-up racing the charge may still be
            // declined then, which the saga handles).
            let balance = self
                .deps
                .wallet_balance(caller, user_id, *total.currency())
                .await?;
            if balance.minor() < total.minor() {
                return Err(Error::InsufficientFunds {
                    balance_minor: balance.minor(),
                    total_minor: total.minor(),
                });
            }
        }
        Ok((pricing, shipping, total))
    }

    /// Places the order and drives its saga; with `answer_within`, returns
    /// the order as it is then if the saga has not come to rest.
    async fn create(
        &self,
        caller: Principal,
        request: CheckoutRequest,
        answer_within: Option<Duration>,
    ) -> Result<Order> {
        // Tokens are verified, but their subject is still checked.
        let user_id = UserId::parse(&caller.user_id).map_err(|_| Error::NoUser)?;
        // No look for an earlier order with this request_id first: the
        // unique (user, request_id) finds a repeat when it is inserted, so
        // a first attempt (nearly every call) saves a round trip. A repeat
        // whose pricing fails now (a product gone, the quote expired, the
        // wallet spent by the order itself) is still answered with its order.
        let (pricing, shipping, total) = match self.price(&caller, &user_id, &request).await {
            Ok(priced) => priced,
            Err(refused) => {
                return match self
                    .store
                    .order_by_request(&user_id, request.request_id.as_str())
                    .await?
                {
                    Some((existing, fingerprint)) => {
                        self.repeat(existing, &fingerprint, &request).await
                    }
                    None => Err(refused),
                };
            }
        };

        let now = self.store.clock().now();
        let mut order = Order {
            id: OrderId::generate(),
            number: Some(self.numbers.next()),
            user_id: user_id.clone(),
            request_id: request.request_id.as_str().to_owned(),
            status: OrderStatus::Pending,
            lines: pricing.lines,
            subtotal: pricing.subtotal,
            total,
            shipping: Some(shipping),
            shipping_quote_id: Some(request.quote_id),
            shipment: None,
            method: request.payment.method(),
            card_brand: None,
            card_last4: request.payment.card_last4(),
            payment_id: None,
            failure_reason: None,
            decline_code: None,
            cancel_reason: None,
            address: request.address.clone(),
            created_at: now,
            updated_at: now,
            shortfalls: Vec::new(),
        };
        let fingerprint = request.fingerprint();
        let mut attempt = 1;
        loop {
            match self
                .store
                .insert_order(&order, &fingerprint, self.checkout.new_lease())
                .await
            {
                Ok(()) => break,
                Err(e) if e.is_unique_violation() => {
                    // A concurrent call with the same request_id got there first...
                    if let Some((existing, fingerprint)) = self
                        .store
                        .order_by_request(&user_id, request.request_id.as_str())
                        .await?
                    {
                        return self.repeat(existing, &fingerprint, &request).await;
                    }
                    // ...or the number was taken: draw another.
                    if attempt >= NUMBER_ATTEMPTS {
                        return Err(e);
                    }
                    attempt += 1;
                    order.number = Some(self.numbers.next());
                }
                Err(e) => return Err(e),
            }
        }
        tracing::info!(order_id = %order.id, total_minor = order.total.minor(), "order placed");
        self.notifier.changed(&order.id);
        if let PaymentChoice::Card(card) = request.payment {
            self.checkout.hold_card(&order.id, card);
        }
        let order_id = order.id;
        let drive = self.checkout.drive_placed(order);
        match answer_within {
            None => drive.await,
            // The drive goes on without us; the order is returned as it is.
            Some(wait) => match tokio::time::timeout(wait, drive).await {
                Ok(driven) => driven,
                Err(_) => self
                    .store
                    .order(&order_id)
                    .await?
                    .ok_or(Error::OrderNotFound(order_id)),
            },
        }
    }
}

#[tonic::async_trait]
impl OrderService for OrdersApi {
    async fn create_order(
        &self,
        request: Request<proto::CreateOrderRequest>,
    ) -> Result<Response<proto::Order>, Status> {
        let caller = Principal::of(&request)?;
        let answer_within = answer_within(&request);
        let checkout = CheckoutRequest::try_from(request.into_inner())?;
        let order = self.create(caller, checkout, answer_within).await?;
        Ok(Response::new((&order).into()))
    }

    async fn get_order(
        &self,
        request: Request<proto::GetOrderRequest>,
    ) -> Result<Response<proto::Order>, Status> {
        let caller = Principal::of(&request)?;
        let order = self.visible_order(&caller, &request.get_ref().id).await?;
        Ok(Response::new((&order).into()))
    }

    async fn list_orders(
        &self,
        request: Request<proto::ListOrdersRequest>,
    ) -> Result<Response<proto::ListOrdersResponse>, Status> {
        let caller = Principal::of(&request)?;
        let request = request.into_inner();
        let user_id = match (caller.is_admin(), request.user_id.as_str()) {
            (true, "") => None,
            (true, user) => Some(user.to_owned()),
            (false, "") => Some(caller.user_id.clone()),
            (false, user) if user == caller.user_id => Some(caller.user_id.clone()),
            (false, _) => return Err(Error::OthersOrders.into()),
        };
        let mut v = Violations::default();
        let page_size = v.check("page_size", PageSize::new(request.page_size));
        let status = v.check("status", convert::status_filter(request.status));
        let sort = v.check("order_by", convert::order_by(&request.order_by));
        let number = v.check(
            "number",
            match request.number.as_str() {
                "" => Ok(None),
                raw => OrderNumber::parse(raw).map(Some),
            },
        );
        // A page token only works with the filters and the order it was
        // issued for.
        let status_filter = request.status.to_string();
        let number_filter = number
            .as_ref()
            .and_then(|n| n.as_ref().map(|n| n.as_str().to_owned()))
            .unwrap_or_default();
        let filters = [
            user_id.as_deref().unwrap_or("*"),
            status_filter.as_str(),
            number_filter.as_str(),
            if request.hide_failed {
                "hide_failed"
            } else {
                ""
            },
            sort.map_or("", convert::order_by_name),
        ];
        let after = v.check(
            "page_token",
            self.tokens.after(&request.page_token, &filters),
        );
        let (status, sort, number, page_size, after) =
            v.finish(|| Some((status?, sort?, number?, page_size?, after?)))?;
        // Every stored order names a valid user, so a filter that names
        // none matches nothing.
        let Ok(user_id) = user_id.as_deref().map(UserId::parse).transpose() else {
            return Ok(Response::new(proto::ListOrdersResponse::default()));
        };
        let query = ListQuery {
            user_id,
            status,
            number: number.clone(),
            hide_failed: request.hide_failed,
            sort,
            page_size,
            after,
        };
        let page = self.store.list_orders(&query).await?;
        Ok(Response::new(proto::ListOrdersResponse {
            next_page_token: self.tokens.next(&page, &filters, |last| match sort {
                OrderSort::NewestFirst | OrderSort::OldestFirst => {
                    Cursor::of(last.created_at, last.id)
                }
                OrderSort::CheapestFirst | OrderSort::DearestFirst => Cursor {
                    at: last.total.minor(),
                    id: last.id.to_string(),
                },
            }),
            orders: page.items.iter().map(proto::Order::from).collect(),
        }))
    }

    async fn cancel_order(
        &self,
        request: Request<proto::CancelOrderRequest>,
    ) -> Result<Response<proto::Order>, Status> {
        let caller = Principal::of(&request)?;
        let order = self.visible_order(&caller, &request.get_ref().id).await?;
        let reason = platform::values::text(&request.get_ref().reason, 0, 200, false)
            .map_err(|d| Error::invalid("reason", d))?;
        let order = match order.status {
            OrderStatus::Confirmed => {
                // The parcel first: once it has left, nothing is refunded.
                // The shipment's cancelled event finishes the order's
                // cancellation should this process stop right after.
                self.deps
                    .cancel_shipment(&order, cancel_reason(&reason))
                    .await?;
                self.checkout.cancel(&order, reason).await?
            }
            OrderStatus::Cancelling => self.checkout.cancel(&order, reason).await?,
            OrderStatus::Cancelled => order,
            status @ (OrderStatus::Shipped | OrderStatus::Delivered) => {
                return Err(Error::ParcelLeft {
                    id: order.id,
                    status,
                }
                .into());
            }
            other => {
                return Err(Error::NotCancellable {
                    id: order.id,
                    status: other.as_str(),
                }
                .into());
            }
        };
        Ok(Response::new((&order).into()))
    }

    type WatchOrderStream = ReceiverStream<Result<proto::OrderEvent, Status>>;

    async fn watch_order(
        &self,
        request: Request<proto::WatchOrderRequest>,
    ) -> Result<Response<Self::WatchOrderStream>, Status> {
        let caller = Principal::of(&request)?;
        let order = self.visible_order(&caller, &request.get_ref().id).await?;
        let after = request.get_ref().after_sequence;
        if after < 0 {
            return Err(Error::invalid("after_sequence", "must not be negative").into());
        }
        Ok(Response::new(watch::stream(
            self.store.clone(),
            self.notifier.clone(),
            order,
            after,
            self.watch_poll,
        )))
    }
}

/// A pricing failure, as the client sees it.
fn pricing_error(error: PricingError) -> Error {
    match error {
        PricingError::Missing(ids) => {
            Error::ProductsNotFound(ids.iter().map(ToString::to_string).collect())
        }
        PricingError::CurrencyMismatch => Error::CurrencyMismatch,
        PricingError::TooLarge => Error::invalid(
            "lines",
            format!(
                "the order total must be at most {} minor units",
                values::MAX_TOTAL_MINOR
            ),
        ),
        PricingError::NoLines => Error::invalid("lines", "must have at least one line"),
    }
}

/// The reason a shipment is cancelled with: the customer's, or a default
/// (the same the refund gives).
fn cancel_reason(reason: &str) -> &str {
    if reason.is_empty() {
        "order cancelled"
    } else {
        reason
    }
}

/// How long CreateOrder may wait for its saga: most of the caller's
/// deadline, keeping a margin for the answer to travel back in time.
fn answer_within<T>(request: &Request<T>) -> Option<Duration> {
    let timeout = request
        .metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(platform::grpc_timeout::parse)?;
    let margin = (timeout / 10).clamp(Duration::from_millis(20), Duration::from_millis(500));
    Some(timeout.saturating_sub(margin))
}

//! The orders service's calls to the catalog, payments and fulfilment
//! services, turned into saga outcomes and errors (fulfilment's, for quotes
//! and cancelled shipments, are in [`fulfilment`]). Every call carries a deadline and this service's
//! token acting for the order's user; transient failures (UNAVAILABLE,
//! DEADLINE_EXCEEDED, ...) are retried with backoff, always with the same
//! idempotency keys, so a retry can never reserve or charge twice: every
//! call here is idempotent (reads, or writes keyed by the order id), which
//! is why all of them may be retried.
//!
//! Each dependency's channel is guarded (timeout, calls in flight, circuit
//! breaker: see `platform::resilience`), and its retries draw on a budget:
//! retries may add only a share of the calls made, so when a dependency is
//! down they cannot multiply the load on it. An open breaker answers
//! UNAVAILABLE at once, which the saga treats like any transient failure.

mod fulfilment;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::{
    catalog::{
        self as catalog_proto, ReservationStatus, catalog_service_client::CatalogServiceClient,
        inventory_service_client::InventoryServiceClient,
    },
    common::{self as common_proto, Card, DeclineCode},
    fulfilment::fulfilment_service_client::FulfilmentServiceClient,
    payments::{
        self as payments_proto, PaymentStatus, payment_service_client::PaymentServiceClient,
    },
};
use platform::{
    auth::{Principal, Role},
    client::{Caller, Upstream},
};
use tonic::{Code, Status};
use tonic_types::StatusExt;
use tower::retry::budget::{Budget, TpsBudget};

use crate::{
    domain::{
        Currency, MethodType, Money, Order, Outcome, PaymentId, ProductId, ProductInfo, Shortfall,
        UserId,
    },
    error::Error,
};

/// How often and how patiently a transient failure is retried within one step.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    /// How many retries each dependency allows, whatever `attempts` says.
    pub budget: RetryBudget,
}

/// Retries a dependency allows: `share` of the first attempts made over
/// the last 10 seconds (0.2: one retry per five calls), plus
/// `reserve_per_second` so a quiet service can still retry now and then.
#[derive(Debug, Clone, Copy)]
pub struct RetryBudget {
    pub share: f32,
    pub reserve_per_second: u32,
}

impl RetryBudget {
    fn build(self) -> Arc<TpsBudget> {
        Arc::new(TpsBudget::new(
            Duration::from_secs(10),
            self.reserve_per_second,
            self.share.clamp(0.0, 1000.0),
        ))
    }
}

/// A step that could not finish now (a dependency is down or slow). The
/// order stays where it is and the step is tried again later.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Transient(pub String);

/// Clients to the services checkout depends on, built once and cloned.
#[derive(Clone)]
pub struct Dependencies {
    catalog: CatalogServiceClient<Upstream>,
    inventory: InventoryServiceClient<Upstream>,
    payments: PaymentServiceClient<Upstream>,
    fulfilment: FulfilmentServiceClient<Upstream>,
    caller: Caller,
    retry: RetryPolicy,
    catalog_budget: Arc<TpsBudget>,
    payments_budget: Arc<TpsBudget>,
    fulfilment_budget: Arc<TpsBudget>,
}

/// The guarded channels to each dependency.
pub struct Upstreams {
    pub catalog: Upstream,
    pub payments: Upstream,
    pub fulfilment: Upstream,
}

/// The user an order's calls act for. Roles do not matter to the services
/// called: they grant the orders service by its issuer.
fn acting_for(order: &Order) -> Principal {
    Principal {
        user_id: order.user_id.as_str().to_owned(),
        role: Role::Customer,
        service: None,
    }
}

fn is_transient(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted
    )
}

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

impl Dependencies {
    /// Clients over guarded channels to catalog, payments and fulfilment.
    pub fn new(upstreams: Upstreams, caller: Caller, retry: RetryPolicy) -> Self {
        let Upstreams {
            catalog,
            payments,
            fulfilment,
        } = upstreams;
        Self {
            catalog: CatalogServiceClient::new(catalog.clone()),
            inventory: InventoryServiceClient::new(catalog),
            payments: PaymentServiceClient::new(payments),
            fulfilment: FulfilmentServiceClient::new(fulfilment),
            caller,
            retry,
            catalog_budget: retry.budget.build(),
            payments_budget: retry.budget.build(),
            fulfilment_budget: retry.budget.build(),
        }
    }

    /// Runs `call` until it succeeds, fails for good, runs out of attempts,
    /// or `budget` (the dependency's) allows no more retries.
    async fn retrying<T, F, Fut>(
        &self,
        budget: &TpsBudget,
        what: &str,
        mut call: F,
    ) -> Result<T, Status>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let mut backoff = self.retry.first_backoff;
        let mut attempt = 1;
        budget.deposit();
        loop {
            match call().await {
                Err(status)
                    if is_transient(&status)
                        && attempt < self.retry.attempts
                        && budget.withdraw() =>
                {
                    tracing::debug!(what, attempt, code = ?status.code(), "retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The current name and price of each product.
    pub async fn products(
        &self,
        user: &Principal,
        ids: &[ProductId],
    ) -> Result<Vec<ProductInfo>, Error> {
        let message = catalog_proto::BatchGetProductsRequest {
            ids: ids.iter().map(ToString::to_string).collect(),
        };
        let result = self
            .retrying(&self.catalog_budget, "BatchGetProducts", || {
                let mut client = self.catalog.clone();
                let request = self.caller.request(user, message.clone());
                async move { client.batch_get_products(request?).await }
            })
            .await;
        match result {
            Ok(response) => response
                .into_inner()
                .products
                .into_iter()
                .map(product_info)
                .collect(),
            Err(status) if status.code() == Code::NotFound => {
                let missing = status
                    .get_error_details()
                    .error_info()
                    .and_then(|info| info.metadata.get("product_ids").cloned())
                    .unwrap_or_default();
                Err(Error::ProductsNotFound(
                    missing
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ))
            }
            Err(status) if is_transient(&status) => Err(Error::DependencyUnavailable("catalog")),
            Err(status) => Err(Error::DependencyFailed(
                "catalog",
                status.message().to_owned(),
            )),
        }
    }

    /// The balance of `user_id`'s wallet in `currency` (zero if they have
    /// none), read for `user`.
    pub async fn wallet_balance(
        &self,
        user: &Principal,
        user_id: &UserId,
        currency: Currency,
    ) -> Result<Money, Error> {
        let message = payments_proto::GetWalletRequest {
            user_id: user_id.as_str().to_owned(),
            currency_code: currency.as_str().to_owned(),
        };
        let result = self
            .retrying(&self.payments_budget, "GetWallet", || {
                let mut client = self.payments.clone();
                let request = self.caller.request(user, message.clone());
                async move { client.get_wallet(request?).await }
            })
            .await;
        match result {
            Ok(wallet) => {
                let balance = wallet.into_inner().balance.unwrap_or_default();
                if balance.currency_code != currency.as_str() || balance.amount_minor < 0 {
                    return Err(Error::DependencyFailed(
                        "payments",
                        format!(
                            "the wallet answered for {} is not usable",
                            currency.as_str()
                        ),
                    ));
                }
                Ok(Money::new(currency, balance.amount_minor))
            }
            Err(status) if is_transient(&status) => Err(Error::DependencyUnavailable("payments")),
            Err(status) => Err(Error::DependencyFailed(
                "payments",
                status.message().to_owned(),
            )),
        }
    }

    /// Reserves the order's lines, keyed by the order id.
    pub async fn reserve(&self, order: &Order) -> Result<Outcome, Transient> {
        let message = catalog_proto::ReserveStockRequest {
            reservation_id: order.id.to_string(),
            lines: order
                .lines
                .iter()
                .map(|l| catalog_proto::StockLine {
                    product_id: l.product_id.to_string(),
                    quantity: l.quantity,
                })
                .collect(),
        };
        let result = self
            .retrying(&self.catalog_budget, "ReserveStock", || {
                let mut client = self.inventory.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.reserve_stock(request?).await }
            })
            .await;
        match result {
            Ok(reservation) => Ok(match reservation.into_inner().status() {
                // A repeat after the hold expired finds the reservation released.
                ReservationStatus::Released => Outcome::ReservationLost,
                _ => Outcome::Reserved,
            }),
            Err(status) if is_transient(&status) => Err(Transient(status.message().to_owned())),
            Err(status) if reason(&status) == "OUT_OF_STOCK" => {
                Ok(Outcome::OutOfStock(shortfalls(order, &status)))
            }
            Err(status) if status.code() == Code::NotFound => Ok(Outcome::ProductUnavailable),
            Err(status) => Ok(broken("ReserveStock", &status)),
        }
    }

    /// Charges the order's total, keyed by the order id. Without the card
    /// (the process restarted) it can only find a charge already made. A
    /// payment payments answers with but that cannot be recorded (its id is
    /// not one) is an error: the step is neither done nor undone.
    pub async fn charge(
        &self,
        order: &Order,
        card: Option<Card>,
    ) -> Result<Result<Outcome, Transient>, Error> {
        if order.total.minor() == 0 {
            return Ok(Ok(Outcome::Charged {
                payment_id: None,
                card_brand: None,
            }));
        }
        let method = match (order.method, card) {
            (MethodType::Wallet, _) => {
                common_proto::payment_method::Method::Wallet(common_proto::Wallet {})
            }
            (MethodType::Card, Some(card)) => common_proto::payment_method::Method::Card(card),
            (MethodType::Card, None) => return self.settle_without_card(order).await,
        };
        let message = payments_proto::ChargeRequest {
            idempotency_key: charge_key(order),
            order_id: order.id.to_string(),
            amount: Some(order.total.into()),
            payment_method: Some(common_proto::PaymentMethod {
                method: Some(method),
            }),
        };
        let result = self
            .retrying(&self.payments_budget, "Charge", || {
                let mut client = self.payments.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.charge(request?).await }
            })
            .await;
        match result {
            Ok(payment) => payment_outcome(&payment.into_inner()),
            Err(status) if is_transient(&status) => Ok(Err(Transient(status.message().to_owned()))),
            Err(status) => Ok(Ok(broken("Charge", &status))),
        }
    }

    /// Without the card (a restart, its TTL passed), a card order's charge
    /// can only be found, not made: payments settles it, voiding a charge
    /// never made or left processing, so that no late attempt (another
    /// replica, a retry still in flight) can capture it after this order
    /// fails. A charge that was captured first is found as such.
    async fn settle_without_card(
        &self,
        order: &Order,
    ) -> Result<Result<Outcome, Transient>, Error> {
        let message = payments_proto::VoidChargeRequest {
            idempotency_key: charge_key(order),
            order_id: order.id.to_string(),
        };
        let result = self
            .retrying(&self.payments_budget, "VoidCharge", || {
                let mut client = self.payments.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.void_charge(request?).await }
            })
            .await;
        match result {
            Ok(settled) => match settled.into_inner().payment {
                Some(payment) => payment_outcome(&payment),
                None => Ok(Ok(Outcome::PaymentIncomplete)),
            },
            // CHARGE_IN_PROGRESS too: an attempt is still with the processor.
            Err(status) if is_transient(&status) => Ok(Err(Transient(status.message().to_owned()))),
            Err(status) => Ok(Ok(broken("VoidCharge", &status))),
        }
    }

    /// Marks the order's reserved units as sold.
    pub async fn commit(&self, order: &Order) -> Result<Outcome, Transient> {
        let message = catalog_proto::CommitReservationRequest {
            reservation_id: order.id.to_string(),
        };
        let result = self
            .retrying(&self.catalog_budget, "CommitReservation", || {
                let mut client = self.inventory.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.commit_reservation(request?).await }
            })
            .await;
        match result {
            Ok(_) => Ok(Outcome::Committed),
            Err(status) if is_transient(&status) => Err(Transient(status.message().to_owned())),
            Err(status) if matches!(status.code(), Code::FailedPrecondition | Code::NotFound) => {
                Ok(Outcome::ReservationLost)
            }
            Err(status) => Ok(broken("CommitReservation", &status)),
        }
    }

    /// Undoes a failed checkout: releases the stock, refunds if charged.
    pub async fn compensate(&self, order: &Order) -> Result<Outcome, Transient> {
        self.release(order).await?;
        self.refund(order, "checkout failed").await?;
        Ok(Outcome::Compensated)
    }

    /// Cancels a confirmed order: refunds (with the reason it was cancelled
    /// for), then puts the units back.
    pub async fn cancel(&self, order: &Order) -> Result<Outcome, Transient> {
        let reason = match order.cancel_reason.as_deref() {
            Some(reason) if !reason.is_empty() => reason,
            _ => "order cancelled",
        };
        self.refund(order, reason).await?;
        self.release(order).await?;
        Ok(Outcome::Cancelled)
    }

    async fn release(&self, order: &Order) -> Result<(), Transient> {
        let message = catalog_proto::ReleaseReservationRequest {
            reservation_id: order.id.to_string(),
        };
        let result = self
            .retrying(&self.catalog_budget, "ReleaseReservation", || {
                let mut client = self.inventory.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.release_reservation(request?).await }
            })
            .await;
        match result {
            // Nothing reserved under this id: nothing to give back.
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::NotFound => Ok(()),
            Err(status) => Err(undo_failed("ReleaseReservation", &status)),
        }
    }

    async fn refund(&self, order: &Order, why: &str) -> Result<(), Transient> {
        let Some(payment_id) = &order.payment_id else {
            return Ok(());
        };
        let message = payments_proto::RefundRequest {
            idempotency_key: format!("{}-refund", charge_key(order)),
            payment_id: payment_id.to_string(),
            amount: None,
            reason: why.to_owned(),
        };
        let result = self
            .retrying(&self.payments_budget, "Refund", || {
                let mut client = self.payments.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.refund(request?).await }
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            // Already refunded in full: the money is back, which is the goal.
            Err(status) if reason(&status) == "REFUND_EXCEEDS_CAPTURE" => Ok(()),
            Err(status) => Err(undo_failed("Refund", &status)),
        }
    }
}

/// The order's lines the catalog's OUT_OF_STOCK refusal names (metadata
/// `product_ids`), each with the units the catalog said it has left
/// (`available.<product id>`; none if it did not say).
fn shortfalls(order: &Order, status: &Status) -> Vec<Shortfall> {
    let details = status.get_error_details();
    let Some(info) = details.error_info() else {
        return Vec::new();
    };
    let named: Vec<ProductId> = info
        .metadata
        .get("product_ids")
        .map(|ids| {
            ids.split(',')
                .filter_map(|id| ProductId::parse(id).ok())
                .collect()
        })
        .unwrap_or_default();
    order
        .lines
        .iter()
        .filter(|line| named.contains(&line.product_id))
        .map(|line| Shortfall {
            product_id: line.product_id,
            product_name: line.product_name.clone(),
            requested: line.quantity,
            available: info
                .metadata
                .get(&format!("available.{}", line.product_id))
                .and_then(|left| left.parse::<i64>().ok())
                .map_or(0, |left| left.max(0)),
        })
        .collect()
}

/// The idempotency key of an order's charge (and, suffixed, its refund).
fn charge_key(order: &Order) -> String {
    format!("order-{}", order.id)
}

/// A payment as payments answered it. Payments chooses its own ids, so a
/// captured payment whose id does not parse is payments failing.
fn payment_outcome(payment: &payments_proto::Payment) -> Result<Result<Outcome, Transient>, Error> {
    let card_brand = payment
        .method
        .as_ref()
        .map(|m| m.card_brand.clone())
        .filter(|b| !b.is_empty());
    match payment.status() {
        PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            let payment_id = PaymentId::parse(&payment.id).map_err(|_| {
                Error::DependencyFailed(
                    "payments",
                    format!("payment {}: not a payment id", payment.id),
                )
            })?;
            Ok(Ok(Outcome::Charged {
                payment_id: Some(payment_id),
                card_brand,
            }))
        }
        // Abandoned and voided: nothing was charged, nor ever will be.
        PaymentStatus::Voided => Ok(Ok(Outcome::PaymentIncomplete)),
        PaymentStatus::Declined => {
            let code = DeclineCode::try_from(payment.decline_code)
                .unwrap_or(DeclineCode::GenericDecline)
                .as_str_name()
                .trim_start_matches("DECLINE_CODE_")
                .to_owned();
            Ok(Ok(Outcome::Declined {
                decline_code: code,
                card_brand,
            }))
        }
        _ => Ok(Err(Transient(format!(
            "payment {} is still being processed",
            payment.id
        )))),
    }
}

/// A forward step refused for a reason retrying cannot fix: logged, and the
/// order is undone rather than left hanging.
fn broken(call: &str, status: &Status) -> Outcome {
    tracing::error!(call, code = ?status.code(), message = status.message(), "checkout step refused");
    Outcome::Broken
}

/// Compensation must finish eventually, so even a refusal is retried later
/// (and logged loudly: someone should look).
fn undo_failed(call: &str, status: &Status) -> Transient {
    if !is_transient(status) {
        tracing::error!(call, code = ?status.code(), message = status.message(), "undo step refused; will retry");
    }
    Transient(format!("{call}: {}", status.message()))
}

/// A product as the catalog answered it. The catalog checks its own data,
/// so an answer that does not parse is the catalog failing, not the client.
fn product_info(p: catalog_proto::Product) -> Result<ProductInfo, Error> {
    let unusable =
        |what: &str| Error::DependencyFailed("catalog", format!("product {}: {what}", p.id));
    let price = p.price.as_ref().ok_or_else(|| unusable("no price"))?;
    let currency =
        Currency::parse(&price.currency_code).map_err(|_| unusable("unknown currency"))?;
    Ok(ProductInfo {
        id: ProductId::parse(&p.id).map_err(|_| unusable("not a product id"))?,
        price: Money::new(currency, price.amount_minor),
        name: p.name,
    })
}

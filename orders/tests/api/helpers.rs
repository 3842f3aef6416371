//! The one way tests start a shop: [`TestShop::spawn`] runs catalog,
//! payments and orders on loopback, and can stop and restart orders and
//! payments on their databases to simulate crashes and outages.

pub use platform::testing::{concurrently, expect_code, minor, reason, usd, violated_fields};

use std::{net::SocketAddr, time::Duration};

use contracts::{
    catalog::{
        self as catalog_proto, catalog_service_client::CatalogServiceClient,
        inventory_service_client::InventoryServiceClient,
    },
    common::{self as common, payment_method::Method},
    orders::{self as proto, order_service_client::OrderServiceClient},
    payments::{self as payments_proto, payment_service_client::PaymentServiceClient},
};
use payments::processor::card::SimulatedCardNetwork;
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    testing::{TestAuth, TestDatabase, authorized},
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{Request, Status, transport::Channel};

/// A test card the simulated network always approves.
pub const GOOD_CARD: &str = "4242424242424242";
/// A test card the simulated network always declines.
pub const DECLINED_CARD: &str = "4000000000000002";
/// A test card the simulated network never answers for (transient trouble).
pub const UNANSWERED_CARD: &str = "4000000000000101";

/// A server task and the means to stop it.
struct Running<E> {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), E>>>,
}

impl<E: std::fmt::Debug> Running<E> {
    fn start<F>(serve: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        Self {
            stop: Some(stop),
            task: Some(tokio::spawn(serve(stopped))),
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }
}

impl<E> Drop for Running<E> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn channel(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .expect("uri")
        .connect_lazy()
}

/// A second orders service on the shop's orders database.
pub struct Replica {
    pub orders: OrderServiceClient<Channel>,
    _server: Running<orders::StartError>,
}

/// A whole shop (minus the gateway) and typed clients to it.
pub struct TestShop {
    pub orders: OrderServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    pub payments: PaymentServiceClient<Channel>,
    pub orders_channel: Channel,
    pub auth: TestAuth,
    pub clock: Clock,
    /// The card network payments charges on (kept across its restarts).
    pub network: SimulatedCardNetwork,
    catalog_address: SocketAddr,
    payments_address: SocketAddr,
    // Kept so the catalog runs as long as the shop; dropping it stops it.
    _catalog_server: Running<catalog::StartError>,
    payments_server: Option<Running<payments::StartError>>,
    orders_server: Option<Running<orders::StartError>>,
    orders_db: TestDatabase,
    payments_db: TestDatabase,
    _catalog_db: TestDatabase,
}

impl TestShop {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A shop whose orders configuration `configure` may change first.
    pub async fn spawn_with(configure: impl FnOnce(&mut orders::Config)) -> Self {
        let auth = TestAuth::new();
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let (catalog_db, payments_db, orders_db) = (
            TestDatabase::new().await,
            TestDatabase::new().await,
            TestDatabase::new().await,
        );

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let catalog_address = listener.local_addr().expect("address");
        let mut catalog_config = catalog::Config::new(catalog_db.url(), auth.verifier());
        catalog_config.common.clock = clock.clone();
        let catalog_server = Running::start(|stop| {
            catalog::serve(catalog_config, listener, async {
                let _ = stop.await;
            })
        });

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let payments_address = listener.local_addr().expect("address");
        // The orders client and channel are replaced by `start_orders`.
        let mut shop = Self {
            orders: OrderServiceClient::new(channel(catalog_address)),
            catalog: CatalogServiceClient::new(channel(catalog_address)),
            inventory: InventoryServiceClient::new(channel(catalog_address)),
            payments: PaymentServiceClient::new(channel(payments_address)),
            orders_channel: channel(catalog_address),
            auth,
            clock,
            network: SimulatedCardNetwork::default(),
            catalog_address,
            payments_address,
            _catalog_server: catalog_server,
            payments_server: None,
            orders_server: None,
            orders_db,
            payments_db,
            _catalog_db: catalog_db,
        };
        shop.start_payments_on(listener);
        shop.start_orders(configure).await;
        shop
    }

    fn start_payments_on(&mut self, listener: TcpListener) {
        let mut config = payments::Config::new(self.payments_db.url(), self.auth.verifier());
        config.common.clock = self.clock.clone();
        config.card_network = self.network.clone();
        self.payments_server = Some(Running::start(|stop| {
            payments::serve(config, listener, async {
                let _ = stop.await;
            })
        }));
    }

    /// Starts orders (again) on its database, on a new port.
    pub async fn start_orders(&mut self, configure: impl FnOnce(&mut orders::Config)) {
        let (server, channel) = self.orders_server_with(configure).await;
        self.orders_server = Some(server);
        self.orders_channel = channel;
        self.orders = OrderServiceClient::new(self.orders_channel.clone());
    }

    /// Another orders replica on the same database (with its own memory:
    /// cards, leases); stopped when dropped or with [`Replica::stop`].
    pub async fn orders_replica(&self) -> Replica {
        let (server, channel) = self.orders_server_with(|_| {}).await;
        Replica {
            orders: OrderServiceClient::new(channel),
            _server: server,
        }
    }

    async fn orders_server_with(
        &self,
        configure: impl FnOnce(&mut orders::Config),
    ) -> (Running<orders::StartError>, Channel) {
        let mut config = orders::Config::new(
            self.orders_db.url(),
            self.auth.verifier(),
            self.auth.service_signer(issuer::ORDERS),
            format!("http://{}", self.catalog_address),
            format!("http://{}", self.payments_address),
        );
        config.common.clock = self.clock.clone();
        config.call_timeout = Duration::from_secs(2);
        config.retry_attempts = 2;
        config.retry_backoff = Duration::from_millis(10);
        config.recovery_interval = Duration::from_millis(50);
        config.stale_after = Duration::from_secs(30);
        config.lease = Duration::from_secs(60);
        config.watch_poll = Duration::from_millis(50);
        configure(&mut config);

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let server = Running::start(|stop| {
            orders::serve(config, listener, async {
                let _ = stop.await;
            })
        });
        (server, channel(address))
    }

    /// Stops the orders service, as a crash would (its leases stay behind).
    pub async fn stop_orders(&mut self) {
        if let Some(server) = self.orders_server.take() {
            server.stop().await;
        }
    }

    /// Restarts payments with its card network answering after `latency`.
    pub async fn slow_card_network(&mut self, latency: Duration) {
        self.stop_payments().await;
        self.network = self.network.with_latency(latency);
        self.start_payments().await;
    }

    /// Takes the payments service down.
    pub async fn stop_payments(&mut self) {
        if let Some(server) = self.payments_server.take() {
            server.stop().await;
        }
    }

    /// Brings payments back on the same address and database.
    pub async fn start_payments(&mut self) {
        let listener = TcpListener::bind(self.payments_address)
            .await
            .expect("rebind the payments address");
        self.start_payments_on(listener);
    }

    /// Lets time pass so the recovery loop sees stalled orders (and any
    /// lease left by a crashed process has expired).
    pub fn let_recovery_run(&self) {
        self.clock.advance(Duration::from_secs(120));
    }

    pub fn as_user<T>(&self, user: &str, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token(user, Role::Customer))
    }

    pub fn as_admin<T>(&self, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token("admin", Role::Admin))
    }

    /// Creates a product priced in USD with `stock` units.
    pub async fn product(&self, name: &str, price_minor: i64, stock: i64) -> String {
        self.catalog
            .clone()
            .create_product(self.as_admin(catalog_proto::CreateProductRequest {
                product: Some(catalog_proto::Product {
                    name: name.into(),
                    description: String::new(),
                    category: "general".into(),
                    price: Some(usd(price_minor)),
                    ..Default::default()
                }),
                initial_stock: stock,
            }))
            .await
            .expect("create product")
            .into_inner()
            .id
    }

    pub async fn stock(&self, product_id: &str) -> catalog_proto::Stock {
        self.inventory
            .clone()
            .get_stock(self.as_admin(catalog_proto::GetStockRequest {
                product_id: product_id.into(),
            }))
            .await
            .expect("get stock")
            .into_inner()
    }

    /// Gives `user` store credit.
    pub async fn top_up(&self, user: &str, amount_minor: i64) {
        self.payments
            .clone()
            .top_up_wallet(self.as_admin(payments_proto::TopUpWalletRequest {
                user_id: user.into(),
                amount: Some(usd(amount_minor)),
                idempotency_key: format!("top-up-{}", uuid::Uuid::new_v4()),
                reason: "test credit".into(),
            }))
            .await
            .expect("top up");
    }

    pub async fn wallet_balance(&self, user: &str) -> i64 {
        self.payments
            .clone()
            .get_wallet(self.as_admin(payments_proto::GetWalletRequest {
                user_id: user.into(),
                currency_code: "USD".into(),
            }))
            .await
            .expect("get wallet")
            .into_inner()
            .balance
            .map(|b| b.amount_minor)
            .unwrap_or_default()
    }

    /// Every payment made for an order.
    pub async fn payments_of(&self, order_id: &str) -> Vec<payments_proto::Payment> {
        self.payments
            .clone()
            .list_payments(self.as_admin(payments_proto::ListPaymentsRequest {
                order_id: order_id.into(),
                page_size: 100,
                ..Default::default()
            }))
            .await
            .expect("list payments")
            .into_inner()
            .payments
    }

    pub async fn place(
        &self,
        user: &str,
        request: proto::CreateOrderRequest,
    ) -> Result<proto::Order, Status> {
        self.orders
            .clone()
            .create_order(self.as_user(user, request))
            .await
            .map(tonic::Response::into_inner)
    }

    pub async fn get(&self, user: &str, order_id: &str) -> Result<proto::Order, Status> {
        self.orders
            .clone()
            .get_order(self.as_user(
                user,
                proto::GetOrderRequest {
                    id: order_id.into(),
                },
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Waits until the order is at rest, failing the test after 10 seconds.
    pub async fn settled(&self, user: &str, order_id: &str) -> proto::Order {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let order = self.get(user, order_id).await.expect("get order");
            if matches!(
                order.status(),
                proto::OrderStatus::Confirmed
                    | proto::OrderStatus::Failed
                    | proto::OrderStatus::Cancelled
            ) {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order never settled: {:?}",
                order.status()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The shop owner's invariants, for these products (with the stock they
    /// started with) and these orders:
    /// - stock: initial = available + reserved + sold by confirmed orders,
    ///   and nothing stays reserved once every order is at rest;
    /// - money: a CONFIRMED order has exactly one charge of its total and
    ///   nothing refunded; a FAILED or CANCELLED order has a net charge of 0.
    pub async fn assert_consistent(&self, products: &[(&str, i64)], order_ids: &[&str]) {
        let mut orders = Vec::new();
        for id in order_ids {
            let order = self
                .orders
                .clone()
                .get_order(self.as_admin(proto::GetOrderRequest { id: (*id).into() }))
                .await
                .expect("get order")
                .into_inner();
            orders.push(order);
        }
        for (product_id, initial) in products {
            let stock = self.stock(product_id).await;
            let sold: i64 = orders
                .iter()
                .filter(|o| o.status() == proto::OrderStatus::Confirmed)
                .flat_map(|o| o.lines.iter())
                .filter(|l| l.product_id == *product_id)
                .map(|l| l.quantity)
                .sum();
            assert_eq!(
                stock.available + stock.reserved + sold,
                *initial,
                "stock of {product_id} does not add up: {stock:?}, sold {sold}"
            );
            assert_eq!(stock.reserved, 0, "units left reserved for {product_id}");
        }
        for order in &orders {
            let payments = self.payments_of(&order.id).await;
            let net: i64 = payments
                .iter()
                .map(|p| minor(&p.captured) - minor(&p.refunded))
                .sum();
            match order.status() {
                proto::OrderStatus::Confirmed => {
                    let charges: Vec<_> =
                        payments.iter().filter(|p| minor(&p.captured) > 0).collect();
                    assert_eq!(
                        charges.len(),
                        1,
                        "order {} charged {} times",
                        order.id,
                        charges.len()
                    );
                    assert_eq!(net, minor(&order.total), "order {} net charge", order.id);
                }
                proto::OrderStatus::Failed | proto::OrderStatus::Cancelled => {
                    assert_eq!(net, 0, "order {} kept money: {payments:?}", order.id)
                }
                other => panic!("order {} is not at rest: {other:?}", order.id),
            }
        }
    }
}

pub fn card(number: &str) -> common::PaymentMethod {
    common::PaymentMethod {
        method: Some(Method::Card(common::Card {
            number: number.into(),
            exp_month: 12,
            exp_year: 2099,
            cvc: "123".into(),
            holder_name: "Ada Lovelace".into(),
        })),
    }
}

pub fn wallet() -> common::PaymentMethod {
    common::PaymentMethod {
        method: Some(Method::Wallet(common::Wallet {})),
    }
}

pub fn address() -> common::Address {
    common::Address {
        recipient: "Ada Lovelace".into(),
        line1: "12 Analytical Row".into(),
        line2: String::new(),
        city: "London".into(),
        region: String::new(),
        postal_code: "N1 9GU".into(),
        country_code: "GB".into(),
    }
}

/// An order of `lines` paid with `payment`, with request id `request_id`.
pub fn order(
    request_id: &str,
    lines: &[(&str, i64)],
    payment: common::PaymentMethod,
) -> proto::CreateOrderRequest {
    proto::CreateOrderRequest {
        request_id: request_id.into(),
        lines: lines
            .iter()
            .map(|(product_id, quantity)| proto::LineItem {
                product_id: (*product_id).into(),
                quantity: *quantity,
            })
            .collect(),
        payment_method: Some(payment),
        shipping_address: Some(address()),
    }
}

//! The one way tests start a shop: [`TestShop::spawn`] runs catalog,
//! payments, fulfilment and orders on loopback (orders and fulfilment
//! exchanging their events over an in-process bus), and can stop and
//! restart orders and payments on their databases to simulate crashes and
//! outages. Orders are placed with a shipping quote the helper gets first.

pub use platform::testing::{
    address, card, concurrently, every_page, expect_code, info, minor, reason, usd,
    violated_fields, wallet,
};

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use contracts::{
    catalog::{
        self as catalog_proto, catalog_service_client::CatalogServiceClient,
        inventory_service_client::InventoryServiceClient,
    },
    common,
    fulfilment::{self as fulfilment_proto, fulfilment_service_client::FulfilmentServiceClient},
    orders::{self as proto, order_service_client::OrderServiceClient},
    payments::{self as payments_proto, payment_service_client::PaymentServiceClient},
};
use payments::processor::card::SimulatedCardNetwork;
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    db::Db,
    events::{Consumer, ConsumerSettings, LocalBus, Transport, topology::SUBSCRIPTIONS},
    testing::{TestAuth, TestDatabase, TestServer, authorized},
};
use tokio::net::TcpListener;
use tonic::{Request, Status, transport::Channel};

/// A test card the simulated network always approves.
pub const GOOD_CARD: &str = "4242424242424242";
/// A test card the simulated network always declines.
pub const DECLINED_CARD: &str = "4000000000000002";
/// A test card the simulated network never answers for (transient trouble).
pub const UNANSWERED_CARD: &str = "4000000000000101";

/// A channel to `address` that connects on first use (payments may not be
/// listening yet).
fn lazy_channel(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .expect("uri")
        .connect_lazy()
}

/// The catalog configuration the shop runs: trusting `auth`'s keys, on `clock`.
fn catalog_config(database_url: &str, auth: &TestAuth, clock: &Clock) -> catalog::Config {
    let mut config = catalog::Config::new(database_url, auth.verifier());
    config.common.clock = clock.clone();
    config
}

/// The payments configuration the shop runs, charging cards on `network`.
fn payments_config(
    database_url: &str,
    auth: &TestAuth,
    clock: &Clock,
    network: &SimulatedCardNetwork,
) -> payments::Config {
    let mut config = payments::Config::new(database_url, auth.verifier());
    config.common.clock = clock.clone();
    config.card_network = network.clone();
    config
}

/// The fulfilment configuration the shop runs: quoting from the catalog
/// at `catalog`, trusting `auth`'s keys (the orders service's among them),
/// on `clock`, its events on `bus`.
fn fulfilment_config(
    database_url: &str,
    auth: &TestAuth,
    clock: &Clock,
    catalog: SocketAddr,
    bus: &LocalBus,
) -> fulfilment::Config {
    let mut config = fulfilment::Config::new(database_url, auth.verifier());
    config.common.clock = clock.clone();
    config.common.events.transport = Transport::Local(bus.clone());
    config.catalog_url = format!("http://{catalog}");
    config
}

/// A bus carrying the events orders and fulfilment exchange, and no
/// others (no other consumer runs here to take them).
pub fn shop_bus() -> LocalBus {
    LocalBus::with_subscriptions(
        SUBSCRIPTIONS
            .iter()
            .filter(|s| matches!(s.consumer, "orders" | "fulfilment"))
            .copied()
            .collect(),
    )
}

/// Where the services orders calls are.
#[derive(Debug, Clone, Copy)]
pub struct Addresses {
    pub catalog: SocketAddr,
    pub payments: SocketAddr,
    pub fulfilment: SocketAddr,
}

/// The orders configuration the shop runs: calling catalog, payments and
/// fulfilment at these addresses, with short timeouts and a quick recovery
/// loop, its events on `bus`.
pub fn orders_config(
    database_url: &str,
    auth: &TestAuth,
    clock: &Clock,
    addresses: Addresses,
    bus: &LocalBus,
) -> orders::Config {
    let mut config = orders::Config::new(
        database_url,
        auth.verifier(),
        auth.service_signer(issuer::ORDERS),
        format!("http://{}", addresses.catalog),
        format!("http://{}", addresses.payments),
    );
    config.fulfilment_url = format!("http://{}", addresses.fulfilment);
    config.common.clock = clock.clone();
    config.common.events.transport = Transport::Local(bus.clone());
    config.call_timeout = Duration::from_secs(2);
    config.retry_attempts = 2;
    config.retry_backoff = Duration::from_millis(10);
    config.recovery_interval = Duration::from_millis(50);
    config.stale_after = Duration::from_secs(30);
    config.lease = Duration::from_secs(60);
    config.watch_poll = Duration::from_millis(50);
    config
}

/// A second orders service on the shop's orders database.
pub struct Replica {
    pub orders: OrderServiceClient<Channel>,
    _server: TestServer<orders::StartError>,
}

/// A whole shop (minus the gateway) and typed clients to it.
pub struct TestShop {
    pub orders: OrderServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    pub payments: PaymentServiceClient<Channel>,
    pub fulfilment: FulfilmentServiceClient<Channel>,
    pub orders_channel: Channel,
    pub auth: TestAuth,
    pub clock: Clock,
    /// The card network payments charges on (kept across its restarts).
    pub network: SimulatedCardNetwork,
    addresses: Addresses,
    bus: LocalBus,
    /// The quote each order request was placed with, by user and request,
    /// so a retry names the same quote (as a client would).
    quotes: Arc<Mutex<HashMap<String, (String, String)>>>,
    // Kept so the catalog runs as long as the shop; dropping it stops it.
    _catalog_server: TestServer<catalog::StartError>,
    _fulfilment_server: TestServer<fulfilment::StartError>,
    _fulfilment_db: TestDatabase,
    payments_server: Option<TestServer<payments::StartError>>,
    orders_server: Option<TestServer<orders::StartError>>,
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
        let bus = shop_bus();
        let (catalog_db, payments_db, orders_db, fulfilment_db) = (
            TestDatabase::new().await,
            TestDatabase::new().await,
            TestDatabase::new().await,
            TestDatabase::new().await,
        );

        let config = catalog_config(catalog_db.url(), &auth, &clock);
        let catalog_server =
            TestServer::spawn(|listener, shutdown| catalog::serve(config, listener, shutdown))
                .await;
        let catalog_address = catalog_server.address();
        let config = fulfilment_config(fulfilment_db.url(), &auth, &clock, catalog_address, &bus);
        let fulfilment_server =
            TestServer::spawn(|listener, shutdown| fulfilment::serve(config, listener, shutdown))
                .await;

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let payments_address = listener.local_addr().expect("address");
        let channel = catalog_server.channel();
        // The orders client and channel are replaced by `start_orders`.
        let mut shop = Self {
            orders: OrderServiceClient::new(channel.clone()),
            catalog: CatalogServiceClient::new(channel.clone()),
            inventory: InventoryServiceClient::new(channel.clone()),
            payments: PaymentServiceClient::new(lazy_channel(payments_address)),
            fulfilment: FulfilmentServiceClient::new(fulfilment_server.channel()),
            orders_channel: channel,
            auth,
            clock,
            network: SimulatedCardNetwork::default(),
            addresses: Addresses {
                catalog: catalog_address,
                payments: payments_address,
                fulfilment: fulfilment_server.address(),
            },
            bus,
            quotes: Arc::default(),
            _catalog_server: catalog_server,
            _fulfilment_server: fulfilment_server,
            _fulfilment_db: fulfilment_db,
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
        let config = payments_config(
            self.payments_db.url(),
            &self.auth,
            &self.clock,
            &self.network,
        );
        self.payments_server = Some(TestServer::spawn_on(listener, |listener, shutdown| {
            payments::serve(config, listener, shutdown)
        }));
    }

    /// Starts orders (again) on its database, on a new port.
    pub async fn start_orders(&mut self, configure: impl FnOnce(&mut orders::Config)) {
        let server = self.orders_server_with(configure).await;
        self.orders_channel = server.channel();
        self.orders_server = Some(server);
        self.orders = OrderServiceClient::new(self.orders_channel.clone());
    }

    /// Another orders replica on the same database (with its own memory:
    /// cards, leases); stopped when dropped or with [`Replica::stop`].
    pub async fn orders_replica(&self) -> Replica {
        let server = self.orders_server_with(|_| {}).await;
        Replica {
            orders: OrderServiceClient::new(server.channel()),
            _server: server,
        }
    }

    async fn orders_server_with(
        &self,
        configure: impl FnOnce(&mut orders::Config),
    ) -> TestServer<orders::StartError> {
        let mut config = orders_config(
            self.orders_db.url(),
            &self.auth,
            &self.clock,
            self.addresses,
            &self.bus,
        );
        configure(&mut config);
        TestServer::spawn(|listener, shutdown| orders::serve(config, listener, shutdown)).await
    }

    /// Stops the orders service, as a crash would (its leases stay behind).
    pub async fn stop_orders(&mut self) {
        if let Some(server) = self.orders_server.take() {
            server.stop().await.expect("orders stopped cleanly");
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
            server.stop().await.expect("payments stopped cleanly");
        }
    }

    /// Brings payments back on the same address and database.
    pub async fn start_payments(&mut self) {
        let listener = TcpListener::bind(self.addresses.payments)
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

    /// A shipping quote for `user`: these lines to this address.
    pub async fn quote(
        &self,
        user: &str,
        lines: &[proto::LineItem],
        address: Option<common::Address>,
    ) -> Result<fulfilment_proto::ShippingQuote, Status> {
        let request = fulfilment_proto::GetShippingQuoteRequest {
            address,
            lines: lines
                .iter()
                .map(|l| fulfilment_proto::ShippingLine {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                })
                .collect(),
        };
        self.fulfilment
            .clone()
            .get_shipping_quote(self.as_user(user, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// `request` with a shipping quote for its lines and address and the
    /// cheapest option, unless it names one already; a retry of the same
    /// request (user, request id, lines) names the quote the first got.
    /// A request that cannot be quoted gets a quote id no one made.
    pub async fn with_quote(
        &self,
        user: &str,
        mut request: proto::CreateOrderRequest,
    ) -> proto::CreateOrderRequest {
        if !request.shipping_quote_id.is_empty() {
            return request;
        }
        let key = format!("{user}/{}/{:?}", request.request_id, request.lines);
        let known = self.quotes.lock().expect("the quotes").get(&key).cloned();
        let (quote_id, option) = if let Some(known) = known {
            known
        } else {
            let quote = self
                .quote(user, &request.lines, request.shipping_address.clone())
                .await;
            let chosen = match quote {
                Ok(quote) => {
                    let cheapest = quote.options.first().expect("an option").code.clone();
                    (quote.id, cheapest)
                }
                // A request no quote can be made for (bad lines, no
                // address) is refused before its quote is looked at: a
                // well-formed quote nobody made keeps its refusal the
                // test's business.
                Err(_) => (uuid::Uuid::now_v7().to_string(), "standard".to_owned()),
            };
            self.quotes
                .lock()
                .expect("the quotes")
                .insert(key, chosen.clone());
            chosen
        };
        request.shipping_quote_id = quote_id;
        request.shipping_option = option;
        request
    }

    /// `user` places `request`, with a shipping quote (see [`Self::with_quote`]).
    pub async fn place(
        &self,
        user: &str,
        request: proto::CreateOrderRequest,
    ) -> Result<proto::Order, Status> {
        let request = self.with_quote(user, request).await;
        self.orders
            .clone()
            .create_order(self.as_user(user, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// `user` orders one `product_id` with the good card (request `r1`),
    /// and the order is placed.
    pub async fn buy_one(&self, user: &str, product_id: &str) -> proto::Order {
        self.place(user, order("r1", &[(product_id, 1)], card(GOOD_CARD)))
            .await
            .expect("placed")
    }

    /// The orders service's consumer of shipment events as the platform
    /// runs it (`Consumer::apply_batch`: the inbox, then the handler, in one
    /// transaction), for tests to hand events to directly. Not ordered, so
    /// what keeps an order from going backwards is the handler's own rule.
    pub async fn parcel_consumer(&self) -> Consumer {
        let config = orders_config(
            self.orders_db.url(),
            &self.auth,
            &self.clock,
            self.addresses,
            &self.bus,
        );
        let db = Db::connect(self.orders_db.url(), 2, orders::store::migrations())
            .await
            .expect("the orders database");
        let store = orders::store::Store::new(db.clone(), self.clock.clone());
        let notifier = orders::notify::Notifier::default();
        let checkout = orders::checkout::Checkout::new(
            store.clone(),
            orders::dependencies(&config).expect("clients"),
            orders::vault::CardVault::default(),
            notifier.clone(),
            orders::checkout::Leases {
                lease: config.lease,
                card_ttl: config.card_ttl,
            },
            None,
        );
        Consumer {
            name: orders::handler::CONSUMER,
            db,
            handler: Arc::new(orders::handler::EventHandler::new(
                store, checkout, notifier,
            )),
            clock: self.clock.clone(),
            settings: ConsumerSettings::default(),
        }
    }

    /// The shipment of an order, as an admin sees it, once the confirmed
    /// order's event has created it (failing the test after 10 seconds).
    pub async fn shipment_of(&self, order_id: &str) -> fulfilment_proto::Shipment {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let found = self
                .fulfilment
                .clone()
                .get_shipment(self.as_admin(fulfilment_proto::GetShipmentRequest {
                    order_id: order_id.into(),
                }))
                .await;
            match found {
                Ok(shipment) => return shipment.into_inner(),
                Err(status) if status.code() == tonic::Code::NotFound => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "no shipment for order {order_id}"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(status) => panic!("get shipment: {status:?}"),
            }
        }
    }

    /// The warehouse packs the order's parcel and hands it to DHL.
    pub async fn ship(&self, order_id: &str) -> fulfilment_proto::Shipment {
        let shipment = self.shipment_of(order_id).await;
        let mut client = self.fulfilment.clone();
        client
            .pack_shipment(self.as_admin(fulfilment_proto::PackShipmentRequest {
                shipment_id: shipment.id.clone(),
            }))
            .await
            .expect("packed");
        client
            .ship_shipment(self.as_admin(fulfilment_proto::ShipShipmentRequest {
                shipment_id: shipment.id,
                carrier: "DHL".into(),
                tracking_number: "JD0146 0000 3".into(),
            }))
            .await
            .expect("shipped")
            .into_inner()
    }

    /// The carrier delivers the order's parcel (shipped first).
    pub async fn deliver(&self, order_id: &str) -> fulfilment_proto::Shipment {
        let shipment = self.shipment_of(order_id).await;
        self.fulfilment
            .clone()
            .deliver_shipment(self.as_admin(fulfilment_proto::DeliverShipmentRequest {
                shipment_id: shipment.id,
            }))
            .await
            .expect("delivered")
            .into_inner()
    }

    /// Waits until the order is in `status`, failing the test after 10
    /// seconds.
    pub async fn reaches(
        &self,
        user: &str,
        order_id: &str,
        status: proto::OrderStatus,
    ) -> proto::Order {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let order = self.get(user, order_id).await.expect("get order");
            if order.status() == status {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order never reached {status:?}: {:?}",
                order.status()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The events orders has written to its outbox, oldest first.
    pub async fn order_events(&self) -> Vec<contracts::events::Event> {
        platform::testing::outbox_events(self.orders_db.url()).await
    }

    /// Runs `sql` on the orders database, behind the service's back.
    pub async fn orders_sql(&self, sql: &str) -> usize {
        platform::testing::execute_sql(self.orders_db.url(), sql).await
    }

    /// One page of `user`'s listing (`user` "admin" lists as an admin).
    pub async fn list(
        &self,
        user: &str,
        request: proto::ListOrdersRequest,
    ) -> Result<proto::ListOrdersResponse, Status> {
        let request = if user == "admin" {
            self.as_admin(request)
        } else {
            self.as_user(user, request)
        };
        self.orders
            .clone()
            .list_orders(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// `user`'s own orders (the first page).
    pub async fn orders_of(&self, user: &str) -> Vec<proto::Order> {
        self.orders
            .clone()
            .list_orders(self.as_user(user, proto::ListOrdersRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .orders
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
                .filter(|o| is_sold(o.status()))
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
                status if is_sold(status) => {
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
                    assert_eq!(net, 0, "order {} kept money: {payments:?}", order.id);
                }
                other => panic!("order {} is not at rest: {other:?}", order.id),
            }
        }
    }
}

/// Whether an order in `status` was sold: confirmed, and maybe on its way.
fn is_sold(status: proto::OrderStatus) -> bool {
    matches!(
        status,
        proto::OrderStatus::Confirmed | proto::OrderStatus::Shipped | proto::OrderStatus::Delivered
    )
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
        shipping_quote_id: String::new(),
        shipping_option: String::new(),
    }
}

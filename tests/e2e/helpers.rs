//! The one way these tests start a shop: [`TestShop::spawn`].

pub use platform::testing::reason;

use std::net::SocketAddr;

use contracts::{
    auth::{self as auth_proto, auth_service_client::AuthServiceClient},
    cart::cart_service_client::CartServiceClient,
    catalog::{self as catalog_proto, catalog_service_client::CatalogServiceClient},
    common,
    fulfilment::fulfilment_service_client::FulfilmentServiceClient,
    notifications::notification_service_client::NotificationServiceClient,
    orders::{self as orders_proto, order_service_client::OrderServiceClient},
};
pub use platform::testing::{Behaviour, FakeBackend, TestCa};

use platform::{
    auth::issuer,
    client::{ChannelOptions, ClientTls, connect},
    testing::{TestAuth, TestDatabase, TestServer, address, authorized, card},
};
use tokio::net::TcpListener;
use tonic::{Code, Request, Status, transport::Channel};

/// A running shop, reachable only through its gateway.
pub struct TestShop {
    pub address: SocketAddr,
    pub channel: Channel,
    pub auth: AuthServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub orders: OrderServiceClient<Channel>,
    pub notifications: NotificationServiceClient<Channel>,
    pub cart: CartServiceClient<Channel>,
    pub fulfilment: FulfilmentServiceClient<Channel>,
    pub keys: TestAuth,
    /// Where the notifications service writes the emails it sends.
    pub mail_dir: std::path::PathBuf,
    /// Where catalog, orders and payments listen, for tests that bypass the gateway.
    pub backends: Backends,
    server: TestServer<platform::service::ServiceFailed>,
    databases: Vec<TestDatabase>,
    _mail: tempfile::TempDir,
    /// Last, so the services are gone before their broker names are.
    _topology: Option<Topology>,
}

/// How the services' events travel: through RabbitMQ when `TEST_AMQP_URL`
/// is set (under names of this shop's own, deleted when it goes), else
/// through their databases.
fn events() -> (platform::events::Transport, Option<Topology>) {
    use platform::events::{AmqpConfig, Broker, LocalBus, Transport};
    match std::env::var("TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => {
            let names = format!("e2e-{}", uuid::Uuid::new_v4().simple());
            let mut config = AmqpConfig::new(url);
            config.exchange = format!("{names}.events");
            config.namespace = format!("{names}.");
            let broker = Broker::new(config);
            (Transport::Amqp(broker.clone()), Some(Topology(broker)))
        }
        _ => (Transport::Local(LocalBus::new()), None),
    }
}

/// A test shop's exchanges and queues on the broker, deleted on drop.
struct Topology(platform::events::Broker);

impl Drop for Topology {
    fn drop(&mut self) {
        let broker = self.0.clone();
        // Drop runs outside async code: a short-lived runtime deletes them.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(broker.delete_topology()).ok()
        });
        let _ = cleanup.join();
    }
}

/// The backends' own addresses (plaintext shops only).
pub struct Backends {
    pub catalog: SocketAddr,
    pub orders: SocketAddr,
    pub payments: SocketAddr,
}

/// A listener on loopback and the URL to reach it: `https://localhost`
/// (the test certificates' name) when `tls`, else plain `http://`.
async fn bind(tls: bool) -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let url = if tls {
        format!("https://localhost:{port}")
    } else {
        format!("http://127.0.0.1:{port}")
    };
    (listener, url)
}

/// The services with a database, in the order of their databases.
const SERVICES: [&str; 7] = [
    "catalog",
    "orders",
    "payments",
    "gateway",
    "notifications",
    "cart",
    "fulfilment",
];

impl TestShop {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A shop whose gateway configuration `configure` may change first.
    pub async fn spawn_with(configure: impl FnOnce(&mut gateway::Config)) -> Self {
        Self::spawn_secured(|services| configure(&mut services.gateway), None).await
    }

    /// A shop whose services' configurations `configure` may change first.
    pub async fn spawn_configured(configure: impl FnOnce(&mut shop::Services)) -> Self {
        Self::spawn_secured(configure, None).await
    }

    /// A shop with certificates from `ca`: TLS on the gateway's public
    /// port, mutual TLS between the gateway, orders, catalog and payments.
    pub async fn spawn_tls(ca: &TestCa) -> Self {
        Self::spawn_secured(|_| {}, Some(ca)).await
    }

    async fn spawn_secured(
        configure: impl FnOnce(&mut shop::Services),
        ca: Option<&TestCa>,
    ) -> Self {
        let keys = TestAuth::new();
        let mut databases = Vec::new();
        for _ in 0..SERVICES.len() {
            databases.push(TestDatabase::new().await);
        }
        let tls = ca.is_some();
        let (catalog_listener, catalog_url) = bind(tls).await;
        let (orders_listener, orders_url) = bind(tls).await;
        let (payments_listener, payments_url) = bind(tls).await;
        let (notifications_listener, notifications_url) = bind(tls).await;
        let (cart_listener, cart_url) = bind(tls).await;
        let (fulfilment_listener, fulfilment_url) = bind(tls).await;
        let (gateway_listener, gateway_url) = bind(tls).await;
        let address = gateway_listener.local_addr().expect("address");
        let backends = Backends {
            catalog: catalog_listener.local_addr().expect("address"),
            orders: orders_listener.local_addr().expect("address"),
            payments: payments_listener.local_addr().expect("address"),
        };
        let mail = tempfile::tempdir().expect("a temp dir for mail");
        let mail_dir = mail.path().join("mail");

        let mut services = shop::Services {
            catalog: catalog_config(databases[0].url(), &keys, ca),
            orders: orders_config(databases[1].url(), &keys, ca, &catalog_url, &payments_url),
            payments: payments_config(databases[2].url(), &keys, ca),
            notifications: notifications_config(databases[4].url(), &keys, ca, &mail_dir),
            cart: cart_config(databases[5].url(), &keys, ca, &orders_url),
            fulfilment: fulfilment_config(databases[6].url(), &keys, ca, &catalog_url),
            gateway: gateway_config(
                databases[3].url(),
                &keys,
                ca,
                [
                    ("catalog", catalog_url.clone()),
                    ("orders", orders_url.clone()),
                    ("payments", payments_url.clone()),
                    ("notifications", notifications_url),
                    ("cart", cart_url),
                    ("fulfilment", fulfilment_url),
                ],
            ),
        };
        let (transport, topology) = events();
        services.set_events(&platform::events::EventsConfig {
            transport,
            ..Default::default()
        });
        configure(&mut services);
        let mut client = ChannelOptions::default();
        if let Some(ca) = ca {
            // Like a browser: trusts the CA, presents no certificate.
            client.tls = Some(ClientTls::new(ca.pem()));
        }
        let server = TestServer::spawn_on(gateway_listener, |gateway, shutdown| {
            let mut listeners = shop::Listeners::default();
            listeners.insert("catalog", catalog_listener);
            listeners.insert("orders", orders_listener);
            listeners.insert("payments", payments_listener);
            listeners.insert("notifications", notifications_listener);
            listeners.insert("cart", cart_listener);
            listeners.insert("fulfilment", fulfilment_listener);
            listeners.insert("gateway", gateway);
            shop::serve(services, listeners, shutdown)
        });

        let channel = connect(&gateway_url, &client).expect("channel to the gateway");
        Self {
            address,
            auth: AuthServiceClient::new(channel.clone()),
            catalog: CatalogServiceClient::new(channel.clone()),
            orders: OrderServiceClient::new(channel.clone()),
            notifications: NotificationServiceClient::new(channel.clone()),
            cart: CartServiceClient::new(channel.clone()),
            fulfilment: FulfilmentServiceClient::new(channel.clone()),
            channel,
            keys,
            backends,
            server,
            databases,
            mail_dir,
            _mail: mail,
            _topology: topology,
        }
    }

    /// Stops every service and waits until they have drained.
    /// The database of the service `name` (tests reading behind its back).
    pub fn database_url(&self, name: &str) -> &str {
        let at = SERVICES
            .iter()
            .position(|service| *service == name)
            .unwrap_or_else(|| panic!("no service {name}"));
        self.databases[at].url()
    }

    pub async fn stop(self) {
        self.server.stop().await.expect("shop stopped cleanly");
    }

    /// Registers a customer; returns their access token and user id.
    pub async fn register(&self, email: &str) -> (String, String) {
        let response = self
            .auth
            .clone()
            .register(auth_proto::RegisterRequest {
                email: email.into(),
                password: "correct horse battery".into(),
                display_name: "Test Customer".into(),
            })
            .await
            .expect("register")
            .into_inner();
        (response.access_token, response.user.expect("user").id)
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<String, Status> {
        self.auth
            .clone()
            .login(auth_proto::LoginRequest {
                email: email.into(),
                password: password.into(),
            })
            .await
            .map(|r| r.into_inner().access_token)
    }

    /// The demo admin's token.
    pub async fn admin(&self) -> String {
        let (email, password) = gateway::DEMO_ADMIN;
        self.login(email, password).await.expect("admin login")
    }

    /// Creates a product (as the demo admin) with `stock` units.
    pub async fn product(&self, name: &str, price_minor: i64, stock: i64) -> String {
        let admin = self.admin().await;
        self.catalog
            .clone()
            .create_product(authorized(
                catalog_proto::CreateProductRequest {
                    product: Some(catalog_proto::Product {
                        name: name.into(),
                        description: format!("A fine {name}."),
                        category: "general".into(),
                        price: Some(common::Money {
                            currency_code: "USD".into(),
                            amount_minor: price_minor,
                        }),
                        ..Default::default()
                    }),
                    initial_stock: stock,
                },
                &admin,
            ))
            .await
            .expect("create product")
            .into_inner()
            .id
    }
}

/// The catalog as the shop runs it; with a CA, serving mutual TLS.
fn catalog_config(database_url: &str, keys: &TestAuth, ca: Option<&TestCa>) -> catalog::Config {
    let mut config = catalog::Config::new(database_url, keys.verifier());
    config.common.tls = ca.map(TestCa::mutual_server_tls);
    config
}

/// Payments as the shop runs it; with a CA, serving mutual TLS.
fn payments_config(database_url: &str, keys: &TestAuth, ca: Option<&TestCa>) -> payments::Config {
    let mut config = payments::Config::new(database_url, keys.verifier());
    config.common.tls = ca.map(TestCa::mutual_server_tls);
    config
}

/// Notifications as the shop runs it, writing emails into `mail_dir`;
/// with a CA, serving mutual TLS.
fn notifications_config(
    database_url: &str,
    keys: &TestAuth,
    ca: Option<&TestCa>,
    mail_dir: &std::path::Path,
) -> notifications::Config {
    let mut config = notifications::Config::new(database_url, keys.verifier(), mail_dir.to_owned());
    config.common.tls = ca.map(TestCa::mutual_server_tls);
    config
}

/// Cart as the shop runs it, checking out through `orders_url`; with a
/// CA, serving and calling over mutual TLS.
fn cart_config(
    database_url: &str,
    keys: &TestAuth,
    ca: Option<&TestCa>,
    orders_url: &str,
) -> cart::Config {
    let mut config = cart::Config::new(database_url, keys.verifier(), orders_url);
    config.common.tls = ca.map(TestCa::mutual_server_tls);
    config.channels.tls = ca.map(TestCa::client_tls);
    config
}

/// Fulfilment as the shop runs it (no demo mode: the tests play the
/// warehouse), pricing quotes with the catalog at `catalog_url`, and
/// trusting the orders service's tokens (`keys.verifier()` trusts its
/// issuer, as the catalog's does) for CheckShippingQuote and
/// CancelShipment; with a CA, serving and calling over mutual TLS.
fn fulfilment_config(
    database_url: &str,
    keys: &TestAuth,
    ca: Option<&TestCa>,
    catalog_url: &str,
) -> fulfilment::Config {
    let mut config = fulfilment::Config::new(database_url, keys.verifier());
    config.catalog_url = catalog_url.to_owned();
    config.common.tls = ca.map(TestCa::mutual_server_tls);
    config.channels.tls = ca.map(TestCa::client_tls);
    config
}

/// Orders as the shop runs it; with a CA, serving and calling over
/// mutual TLS.
fn orders_config(
    database_url: &str,
    keys: &TestAuth,
    ca: Option<&TestCa>,
    catalog_url: &str,
    payments_url: &str,
) -> orders::Config {
    let mut config = orders::Config::new(
        database_url,
        keys.verifier(),
        keys.service_signer(issuer::ORDERS),
        catalog_url.to_owned(),
        payments_url.to_owned(),
    );
    config.common.tls = ca.map(TestCa::mutual_server_tls);
    config.channels.tls = ca.map(TestCa::client_tls);
    config
}

/// The gateway as the shop runs it, in front of `backends`, with demo
/// accounts; with a CA, TLS on its port and mutual TLS to the backends.
fn gateway_config(
    database_url: &str,
    keys: &TestAuth,
    ca: Option<&TestCa>,
    backends: [(&str, String); 6],
) -> gateway::Config {
    let mut config = gateway::Config::new(
        database_url,
        keys.gateway_signer(),
        keys.verifier(),
        backends,
    );
    config.demo_accounts = true;
    // Tests sign in often; the limits test sets strict values itself.
    let generous = gateway::limits::Rate {
        per_second: 1000.0,
        burst: 1000,
    };
    config.sign_in_rate = generous;
    config.login_per_account = generous;
    config.common.tls = ca.map(TestCa::server_tls);
    config.channels.tls = ca.map(TestCa::client_tls);
    config
}

/// `message` with `token`, or without one when `None`.
pub fn call<T>(message: T, token: Option<&str>) -> Request<T> {
    match token {
        Some(token) => authorized(message, token),
        None => Request::new(message),
    }
}

/// An order of one product, paid with the always-approved test card.
pub fn order_of(
    request_id: &str,
    product_id: &str,
    quantity: i64,
) -> orders_proto::CreateOrderRequest {
    orders_proto::CreateOrderRequest {
        request_id: request_id.into(),
        lines: vec![orders_proto::LineItem {
            product_id: product_id.into(),
            quantity,
        }],
        payment_method: Some(card("4242424242424242")),
        shipping_address: Some(address()),
    }
}

/// The code of a call's outcome (OK included).
pub fn code_of<T>(result: &Result<T, Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

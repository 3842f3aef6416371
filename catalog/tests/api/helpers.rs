//! The one way tests start a catalog: [`TestApp::spawn`].

use std::time::Duration;

use catalog::Config;
use contracts::{
    catalog::{
        self as proto, catalog_service_client::CatalogServiceClient,
        inventory_service_client::InventoryServiceClient,
    },
    common::Money,
};
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    testing::{TestAuth, TestDatabase, authorized},
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{Code, Request, Status, transport::Channel};
use tonic_types::StatusExt;

/// A running catalog and typed clients to it.
pub struct TestApp {
    pub catalog: CatalogServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    pub channel: Channel,
    pub auth: TestAuth,
    pub clock: Clock,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), catalog::StartError>>>,
    _database: TestDatabase,
}

impl TestApp {
    /// A catalog with the embedded defaults and a manual clock.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A catalog whose configuration `configure` may change first.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let mut config = Config::new(database.url(), auth.verifier());
        config.clock = clock.clone();
        config.pool_size = 8;
        configure(&mut config);

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(catalog::serve(config, listener, async {
            let _ = stop.await;
        }));

        let channel = Channel::from_shared(format!("http://{address}"))
            .expect("uri")
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        Self {
            catalog: CatalogServiceClient::new(channel.clone()),
            inventory: InventoryServiceClient::new(channel.clone()),
            channel,
            auth,
            clock,
            shutdown: Some(shutdown),
            server: Some(server),
            _database: database,
        }
    }

    /// Asks the server to shut down, and waits until it has.
    pub async fn stop(mut self) -> Result<(), catalog::StartError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }

    /// Sends the shutdown signal without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// `message` with an admin's token.
    pub fn as_admin<T>(&self, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token("admin-1", Role::Admin))
    }

    /// `message` with a customer's token.
    pub fn as_customer<T>(&self, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token("customer-1", Role::Customer))
    }

    /// `message` with the orders service's token, acting for a customer.
    pub fn as_orders<T>(&self, message: T) -> Request<T> {
        authorized(
            message,
            &self
                .auth
                .service_token(issuer::ORDERS, "customer-1", Role::Customer),
        )
    }

    /// Creates a product priced in USD with `stock` units.
    pub async fn create_product(&self, name: &str, price_minor: i64, stock: i64) -> proto::Product {
        self.create_in(name, "general", price_minor, stock).await
    }

    /// Creates a product in `category`.
    pub async fn create_in(
        &self,
        name: &str,
        category: &str,
        price_minor: i64,
        stock: i64,
    ) -> proto::Product {
        self.catalog
            .clone()
            .create_product(self.as_admin(proto::CreateProductRequest {
                product: Some(product(name, category, price_minor)),
                initial_stock: stock,
            }))
            .await
            .expect("create product")
            .into_inner()
    }

    /// The product's stock levels, read as an admin.
    pub async fn stock(&self, product_id: &str) -> proto::Stock {
        self.inventory
            .clone()
            .get_stock(self.as_admin(proto::GetStockRequest {
                product_id: product_id.to_owned(),
            }))
            .await
            .expect("get stock")
            .into_inner()
    }

    /// Reserves as the orders service would.
    pub async fn reserve(
        &self,
        reservation_id: &str,
        lines: &[(&str, i64)],
    ) -> Result<proto::Reservation, Status> {
        self.inventory
            .clone()
            .reserve_stock(self.as_orders(reserve_request(reservation_id, lines)))
            .await
            .map(tonic::Response::into_inner)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A product message to create.
pub fn product(name: &str, category: &str, price_minor: i64) -> proto::Product {
    proto::Product {
        name: name.to_owned(),
        description: format!("A fine {name}."),
        category: category.to_owned(),
        price: Some(usd(price_minor)),
        ..Default::default()
    }
}

pub fn usd(amount_minor: i64) -> Money {
    Money {
        currency_code: "USD".to_owned(),
        amount_minor,
    }
}

pub fn reserve_request(reservation_id: &str, lines: &[(&str, i64)]) -> proto::ReserveStockRequest {
    proto::ReserveStockRequest {
        reservation_id: reservation_id.to_owned(),
        lines: lines
            .iter()
            .map(|(product_id, quantity)| proto::StockLine {
                product_id: (*product_id).to_owned(),
                quantity: *quantity,
            })
            .collect(),
    }
}

/// Asserts `result` failed with `code`, and returns the status.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Err(status) if status.code() == code => status,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// The fields an INVALID_ARGUMENT status names in its BadRequest details.
pub fn violated_fields(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The stable reason in a status's ErrorInfo.
pub fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// A metadata value of a status's ErrorInfo.
pub fn info(status: &Status, key: &str) -> String {
    status
        .get_error_details()
        .error_info()
        .and_then(|i| i.metadata.get(key).cloned())
        .unwrap_or_default()
}

/// Runs `n` copies of `call` at once (on the runtime's worker threads) and
/// returns every result.
pub async fn concurrently<T, F, Fut>(n: usize, call: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks = (0..n).map(|i| tokio::spawn(call(i)));
    futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.expect("task panicked"))
        .collect()
}

/// Polls `check` until it holds, failing the test after 10 seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! The one way tests start a catalog: [`TestApp::spawn`].

pub use platform::testing::{
    concurrently, eventually, expect_code, info, reason, usd, violated_fields,
};

use std::time::Duration;

use catalog::Config;
use contracts::catalog::{
    self as proto, catalog_service_client::CatalogServiceClient,
    inventory_service_client::InventoryServiceClient,
};
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    testing::{TestAuth, TestDatabase, authorized},
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::{Request, Status, transport::Channel};

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
        config.common.clock = clock.clone();
        config.common.pool_size = 8;
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

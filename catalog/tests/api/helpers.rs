//! The one way tests start a catalog: [`TestApp::spawn`].

pub use platform::testing::{
    concurrently, eventually, every_page, expect_code, info, reason, usd, violated_fields,
};

use catalog::Config;
use contracts::catalog::{
    self as proto, catalog_service_client::CatalogServiceClient,
    inventory_service_client::InventoryServiceClient,
};
use contracts::events::event_admin_service_client::EventAdminServiceClient;
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    testing::{TestAuth, TestDatabase, TestServer, authorized},
};
use tonic::{Request, Status, transport::Channel};

/// A running catalog and typed clients to it.
pub struct TestApp {
    pub catalog: CatalogServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    pub auth: TestAuth,
    pub clock: Clock,
    // Stops the catalog when the app is dropped.
    server: TestServer<catalog::StartError>,
    database: TestDatabase,
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
        let mut config = config(database.url(), &auth, &clock);
        configure(&mut config);

        let server =
            TestServer::spawn(|listener, shutdown| catalog::serve(config, listener, shutdown))
                .await;
        let channel = server.channel();
        Self {
            // Images come back whole: up to 4 MiB and the message around them.
            catalog: CatalogServiceClient::new(channel.clone())
                .max_decoding_message_size(catalog::MAX_CATALOG_MESSAGE_BYTES),
            inventory: InventoryServiceClient::new(channel),
            auth,
            clock,
            server,
            database,
        }
    }

    /// The events the catalog has written to its outbox, oldest first.
    pub async fn events(&self) -> Vec<contracts::events::Event> {
        platform::testing::outbox_events(self.database.url()).await
    }

    /// A client of the catalog's event admin API.
    pub fn event_admin(&self) -> EventAdminServiceClient<Channel> {
        EventAdminServiceClient::new(self.server.channel())
    }

    /// The catalog's database URL.
    pub fn database_url(&self) -> &str {
        self.database.url()
    }

    /// Runs `sql` on the catalog's database.
    pub async fn execute_sql(&self, sql: &str) -> usize {
        platform::testing::execute_sql(self.database.url(), sql).await
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
        self.create(product(name, category, price_minor), stock)
            .await
            .expect("create product")
    }

    /// Reads a product, as anyone may.
    pub async fn get_product(&self, id: &str) -> Result<proto::Product, Status> {
        let request = proto::GetProductRequest { id: id.to_owned() };
        self.catalog
            .clone()
            .get_product(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// Lists products, as anyone may.
    pub async fn list_products(
        &self,
        request: proto::ListProductsRequest,
    ) -> Result<proto::ListProductsResponse, Status> {
        self.catalog
            .clone()
            .list_products(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// Reads several products at once, as anyone may.
    pub async fn batch_get(&self, ids: Vec<String>) -> Result<Vec<proto::Product>, Status> {
        self.catalog
            .clone()
            .batch_get_products(proto::BatchGetProductsRequest { ids })
            .await
            .map(|r| r.into_inner().products)
    }

    /// Creates a product as an admin.
    pub async fn create(
        &self,
        product: proto::Product,
        initial_stock: i64,
    ) -> Result<proto::Product, Status> {
        self.catalog
            .clone()
            .create_product(self.as_admin(proto::CreateProductRequest {
                product: Some(product),
                initial_stock,
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Updates a product as an admin.
    pub async fn update(
        &self,
        request: proto::UpdateProductRequest,
    ) -> Result<proto::Product, Status> {
        self.catalog
            .clone()
            .update_product(self.as_admin(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Deletes a product as an admin.
    pub async fn delete(&self, id: &str, etag: &str) -> Result<(), Status> {
        self.catalog
            .clone()
            .delete_product(self.as_admin(proto::DeleteProductRequest {
                id: id.to_owned(),
                etag: etag.to_owned(),
            }))
            .await
            .map(drop)
    }

    /// Adds an image to a product as an admin.
    pub async fn add_image(
        &self,
        product_id: &str,
        content: Vec<u8>,
    ) -> Result<proto::ProductImage, Status> {
        self.catalog
            .clone()
            .add_product_image(self.as_admin(proto::AddProductImageRequest {
                product_id: product_id.to_owned(),
                content,
                alt_text: String::new(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Reorders a product's images as an admin.
    pub async fn reorder_images(
        &self,
        product_id: &str,
        image_ids: &[&str],
    ) -> Result<proto::Product, Status> {
        self.catalog
            .clone()
            .reorder_product_images(self.as_admin(proto::ReorderProductImagesRequest {
                product_id: product_id.to_owned(),
                image_ids: image_ids.iter().map(|&id| id.to_owned()).collect(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Deletes one of a product's images as an admin.
    pub async fn delete_image(&self, product_id: &str, image_id: &str) -> Result<(), Status> {
        self.catalog
            .clone()
            .delete_product_image(self.as_admin(proto::DeleteProductImageRequest {
                product_id: product_id.to_owned(),
                image_id: image_id.to_owned(),
            }))
            .await
            .map(drop)
    }

    /// An image's bytes, as anyone may read them.
    pub async fn image_content(
        &self,
        image_id: &str,
        size: proto::ImageSize,
    ) -> Result<proto::ImageContent, Status> {
        self.catalog
            .clone()
            .get_image_content(proto::GetImageContentRequest {
                image_id: image_id.to_owned(),
                size: size.into(),
            })
            .await
            .map(tonic::Response::into_inner)
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

    /// Holds `quantity` units of one product under `reservation_id`, as
    /// the orders service would, expecting it to succeed.
    pub async fn hold(&self, reservation_id: &str, product_id: &str, quantity: i64) {
        self.reserve(reservation_id, &[(product_id, quantity)])
            .await
            .expect("reserve");
    }

    /// Releases a reservation as the orders service would.
    pub async fn release(&self, reservation_id: &str) -> Result<proto::Reservation, Status> {
        let request = proto::ReleaseReservationRequest {
            reservation_id: reservation_id.to_owned(),
        };
        self.inventory
            .clone()
            .release_reservation(self.as_orders(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Commits a reservation as the orders service would.
    pub async fn commit(&self, reservation_id: &str) -> Result<proto::Reservation, Status> {
        let request = proto::CommitReservationRequest {
            reservation_id: reservation_id.to_owned(),
        };
        self.inventory
            .clone()
            .commit_reservation(self.as_orders(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Adjusts a product's stock as an admin.
    pub async fn adjust(
        &self,
        product_id: &str,
        delta: i64,
        reason: &str,
    ) -> Result<proto::Stock, Status> {
        self.inventory
            .clone()
            .adjust_stock(self.as_admin(proto::AdjustStockRequest {
                product_id: product_id.to_owned(),
                delta,
                reason: reason.to_owned(),
            }))
            .await
            .map(tonic::Response::into_inner)
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

/// The catalog configuration every test starts from: the embedded
/// defaults on `database_url`, trusting `auth`'s keys, on `clock`.
pub fn config(database_url: &str, auth: &TestAuth, clock: &Clock) -> Config {
    let mut config = Config::new(database_url, auth.verifier());
    config.common.clock = clock.clone();
    config.common.pool_size = 8;
    config
}

//! The one way these tests start the cart service: [`TestApp::spawn`], on
//! a manual clock, with the catalog's events fed to its consumer as the
//! platform applies them (`Consumer::apply_batch`: the inbox, then the
//! handler, in one transaction), and calls made as a customer or as an
//! anonymous shopper through the generated client.

pub use platform::testing::{expect_code, reason, violated_fields};

use std::{sync::Arc, time::Duration};

use cart::{
    Config,
    handler::{CONSUMER, EventHandler},
};
use contracts::{
    cart::{self as proto, cart_service_client::CartServiceClient},
    catalog::Product,
    events::{Event, OrderChanged, ProductChanged, ProductDeleted, event::Payload},
    orders::{Order, OrderLine},
};
use platform::{
    auth::Role,
    clock::Clock,
    db::Db,
    events::{Consumer, ConsumerSettings, types},
    testing::{TestAuth, TestDatabase, TestServer, address, authorized, card, usd},
};
use tonic::{Request, Status, transport::Channel};

/// A running cart service, its clock, and a way to hand it events.
pub struct TestApp {
    pub client: CartServiceClient<Channel>,
    pub auth: TestAuth,
    pub clock: Clock,
    consumer: Consumer,
    _server: TestServer<cart::StartError>,
    database: TestDatabase,
}

/// Where these tests say the orders service is: nowhere (nothing listens
/// on port 1), so a checkout finds it unavailable; the orders' outcomes
/// arrive as events the test hands over.
pub const NO_ORDERS: &str = "http://127.0.0.1:1";

/// How long carts are kept in these tests: 30 days, as by default.
pub const IDLE: Duration = Duration::from_secs(30 * 24 * 3600);

impl TestApp {
    /// The service on a manual clock, sweeping every 20 ms.
    pub async fn spawn() -> Self {
        let database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let clock = Clock::manual(
            time::OffsetDateTime::from_unix_timestamp(1_795_000_000).expect("a time"),
        );
        let mut config = Config::new(database.url(), auth.verifier(), NO_ORDERS);
        config.common.clock = clock.clone();
        config.idle_expiry = IDLE;
        config.sweep_interval = Duration::from_millis(20);
        let server =
            TestServer::spawn(|listener, shutdown| cart::serve(config, listener, shutdown)).await;
        server.wait_until_serving().await;
        let db = Db::connect(database.url(), 2, cart::store::migrations())
            .await
            .expect("the service's database");
        let consumer = Consumer {
            name: CONSUMER,
            db,
            handler: Arc::new(EventHandler::new(clock.clone(), IDLE)),
            clock: clock.clone(),
            settings: ConsumerSettings::default(),
        };
        Self {
            client: CartServiceClient::new(server.channel()),
            auth,
            clock,
            consumer,
            _server: server,
            database,
        }
    }

    /// Whether the cart `id` is no longer stored (a no-op update finds no
    /// row), whatever reads would say.
    pub async fn swept(&self, id: &str) -> bool {
        let touch = format!("UPDATE carts SET expires_at = expires_at WHERE id = '{id}'");
        platform::testing::execute_sql(self.database.url(), &touch).await == 0
    }

    /// Applies `events` as the consumer does, in one transaction.
    pub async fn deliver(&self, events: impl IntoIterator<Item = Event>) {
        let events: Vec<Event> = events.into_iter().collect();
        self.consumer
            .apply_batch(&events)
            .await
            .expect("the events are applied");
    }

    /// A product the catalog has published, at `price` US cents.
    pub async fn product(&self, name: &str, price: i64) -> CatalogProduct {
        let product = CatalogProduct {
            id: uuid::Uuid::now_v7().to_string(),
            name: name.to_owned(),
            sequence: 0,
        };
        let product = product.next();
        self.deliver([product.changed(types::PRODUCT_CREATED, price, None)])
            .await;
        product
    }

    /// `message` with the token of the customer `user_id`.
    pub fn as_customer<T>(&self, user_id: &str, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token(user_id, Role::Customer))
    }

    /// The cart `request` (built as a customer's or an anonymous one) reads.
    pub async fn get(
        &self,
        request: Request<proto::GetCartRequest>,
    ) -> Result<proto::Cart, Status> {
        self.client
            .clone()
            .get_cart(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// AddItem, as `request` says.
    pub async fn add(
        &self,
        request: Request<proto::AddItemRequest>,
    ) -> Result<proto::Cart, Status> {
        self.client
            .clone()
            .add_item(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// The customer's cart, which must be readable.
    pub async fn cart_of(&self, user_id: &str) -> proto::Cart {
        self.get(self.as_customer(user_id, proto::GetCartRequest::default()))
            .await
            .expect("a customer reads their cart")
    }

    /// Adds `quantity` of `product` to the customer's cart as last read
    /// (`etag`), with a fresh request id.
    pub async fn customer_adds(
        &self,
        user_id: &str,
        etag: &str,
        product: &CatalogProduct,
        quantity: i32,
    ) -> Result<proto::Cart, Status> {
        self.add(self.as_customer(user_id, add_item("", etag, product, quantity)))
            .await
    }
}

impl TestApp {
    /// CheckoutCart of the customer's cart at `etag`, with the test card
    /// and a shipping quote (which only the orders service checks).
    pub async fn checkout(
        &self,
        user_id: &str,
        etag: &str,
    ) -> Result<proto::CheckoutCartResponse, Status> {
        self.checkout_with(
            user_id,
            etag,
            "0190a1b2-0000-7000-8000-00000000f00d",
            "standard",
        )
        .await
    }

    /// CheckoutCart of the customer's cart at `etag`, with the test card,
    /// naming this quote and option.
    pub async fn checkout_with(
        &self,
        user_id: &str,
        etag: &str,
        shipping_quote_id: &str,
        shipping_option: &str,
    ) -> Result<proto::CheckoutCartResponse, Status> {
        let request = proto::CheckoutCartRequest {
            cart_id: String::new(),
            etag: etag.to_owned(),
            payment_method: Some(card("4242424242424242")),
            shipping_address: Some(address()),
            shipping_quote_id: shipping_quote_id.to_owned(),
            shipping_option: shipping_option.to_owned(),
        };
        self.client
            .clone()
            .checkout_cart(self.as_customer(user_id, request))
            .await
            .map(tonic::Response::into_inner)
    }
}

/// The order the orders service placed for `cart` at its current version
/// (the request id CheckoutCart derives), holding `lines`, as its events
/// carry it.
pub fn order_from(cart: &proto::Cart, lines: &[(&CatalogProduct, i64)]) -> Order {
    let version = cart.etag.trim_start_matches('v');
    Order {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: cart.user_id.clone(),
        request_id: format!("cart-{}-{version}", cart.id),
        lines: lines
            .iter()
            .map(|(product, quantity)| OrderLine {
                product_id: product.id.clone(),
                product_name: product.name.clone(),
                quantity: *quantity,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// The orders service's event `event_type` about `order`; `sequence` is
/// the order's event number.
pub fn order_event(event_type: &str, order: &Order, sequence: i64) -> Event {
    Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        r#type: event_type.into(),
        aggregate_id: order.id.clone(),
        aggregate_sequence: sequence,
        occur_time: None,
        traceparent: String::new(),
        payload: Some(Payload::Order(OrderChanged {
            order: Some(order.clone()),
        })),
    }
}

/// An AddItem request with a fresh request id.
pub fn add_item(
    cart_id: &str,
    etag: &str,
    product: &CatalogProduct,
    quantity: i32,
) -> proto::AddItemRequest {
    proto::AddItemRequest {
        cart_id: cart_id.to_owned(),
        etag: etag.to_owned(),
        request_id: uuid::Uuid::new_v4().to_string(),
        product_id: product.id.clone(),
        quantity,
    }
}

/// A product as the catalog publishes it, with the sequence of its last
/// event.
#[derive(Debug, Clone)]
pub struct CatalogProduct {
    pub id: String,
    pub name: String,
    sequence: i64,
}

impl CatalogProduct {
    fn next(&self) -> Self {
        Self {
            sequence: self.sequence + 1,
            ..self.clone()
        }
    }

    fn event(&self, event_type: &str, payload: Payload) -> Event {
        Event {
            event_id: uuid::Uuid::now_v7().to_string(),
            r#type: event_type.into(),
            aggregate_id: self.id.clone(),
            aggregate_sequence: self.sequence,
            occur_time: None,
            traceparent: String::new(),
            payload: Some(payload),
        }
    }

    fn changed(&self, event_type: &str, price: i64, previous: Option<i64>) -> Event {
        self.event(
            event_type,
            Payload::Product(ProductChanged {
                product: Some(Product {
                    id: self.id.clone(),
                    name: self.name.clone(),
                    price: Some(usd(price)),
                    ..Default::default()
                }),
                previous_price_minor: previous,
            }),
        )
    }

    /// The catalog's next event: the price changed from `from` to `to`.
    pub fn repriced(&mut self, from: i64, to: i64) -> Event {
        *self = self.next();
        self.changed(types::PRODUCT_UPDATED, to, Some(from))
    }

    /// The catalog's next event: the product was deleted.
    pub fn deleted(&mut self) -> Event {
        *self = self.next();
        self.event(
            types::PRODUCT_DELETED,
            Payload::ProductDeleted(ProductDeleted {
                product_id: self.id.clone(),
                name: self.name.clone(),
            }),
        )
    }
}

/// The line of `product` in `cart`.
#[track_caller]
pub fn line<'a>(cart: &'a proto::Cart, product: &CatalogProduct) -> &'a proto::CartLine {
    cart.lines
        .iter()
        .find(|l| l.product_id == product.id)
        .unwrap_or_else(|| panic!("{} is in the cart", product.name))
}

/// Waits until the sweeper has deleted the anonymous cart `read` names:
/// reading it is NOT_FOUND, and its row is gone.
pub async fn eventually_gone(app: &TestApp, read: proto::GetCartRequest) {
    platform::testing::eventually("the sweeper deletes the cart", || async {
        app.get(Request::new(read.clone()))
            .await
            .is_err_and(|s| s.code() == tonic::Code::NotFound)
            && app.swept(&read.cart_id).await
    })
    .await;
}

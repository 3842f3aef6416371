//! The one way these tests start the fulfilment service: [`TestApp::spawn`],
//! on a manual clock, beside a real catalog (in-process, on its own
//! database) that quotes price and weigh products from, with the orders'
//! events fed to its consumer as the platform applies them
//! (`Consumer::apply_batch`: the inbox, then the handler, in one
//! transaction), and calls made as a customer, an admin or the orders
//! service through the generated client.

pub use platform::testing::{
    address, eventually, expect_code, info, minor, reason, violated_fields,
};

use std::{sync::Arc, time::Duration};

use contracts::{
    catalog::{self as catalog_proto, catalog_service_client::CatalogServiceClient},
    events::{Event, OrderChanged, event::Payload},
    fulfilment::{self as proto, fulfilment_service_client::FulfilmentServiceClient},
    orders::{Order, OrderLine},
};
use fulfilment::{
    Config,
    handler::{CONSUMER, EventHandler},
};
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    db::Db,
    events::{Applied, Consumer, ConsumerSettings, HandlerError, types},
    testing::{TestAuth, TestDatabase, TestServer, authorized, usd},
};
use tonic::{Request, Status, transport::Channel};

/// A running fulfilment service, its clock, and a way to hand it events.
pub struct TestApp {
    pub client: FulfilmentServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub auth: TestAuth,
    pub clock: Clock,
    consumer: Consumer,
    _server: TestServer<fulfilment::StartError>,
    database: TestDatabase,
    // Kept so the catalog runs as long as the service.
    _catalog_server: TestServer<catalog::StartError>,
    _catalog_database: TestDatabase,
}

impl TestApp {
    /// The service on a manual clock, without the demo mode.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The service on a manual clock, its config changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase::new().await;
        let catalog_database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let clock = Clock::manual(
            time::OffsetDateTime::from_unix_timestamp(1_795_000_000).expect("a time"),
        );
        let catalog_config = catalog::Config::new(catalog_database.url(), auth.verifier());
        let catalog_server = TestServer::spawn(|listener, shutdown| {
            catalog::serve(catalog_config, listener, shutdown)
        })
        .await;
        catalog_server.wait_until_serving().await;
        let mut config = Config::new(database.url(), auth.verifier());
        config.common.clock = clock.clone();
        config.catalog_url = format!("http://{}", catalog_server.address());
        configure(&mut config);
        let server =
            TestServer::spawn(|listener, shutdown| fulfilment::serve(config, listener, shutdown))
                .await;
        server.wait_until_serving().await;
        let db = Db::connect(database.url(), 2, fulfilment::store::migrations())
            .await
            .expect("the service's database");
        let consumer = Consumer {
            name: CONSUMER,
            db,
            handler: Arc::new(EventHandler::new(clock.clone())),
            clock: clock.clone(),
            // As the service runs it: an order's events in their order.
            settings: ConsumerSettings {
                ordered: true,
                ..ConsumerSettings::default()
            },
        };
        Self {
            client: FulfilmentServiceClient::new(server.channel()),
            catalog: CatalogServiceClient::new(catalog_server.channel()),
            auth,
            clock,
            consumer,
            _server: server,
            database,
            _catalog_server: catalog_server,
            _catalog_database: catalog_database,
        }
    }

    /// A product in the catalog, priced `price_minor` US cents and
    /// weighing `weight_grams` a unit; its id.
    pub async fn product(&self, price_minor: i64, weight_grams: i32) -> String {
        let request = catalog_proto::CreateProductRequest {
            product: Some(catalog_proto::Product {
                name: format!("Product weighing {weight_grams} g"),
                category: "general".into(),
                price: Some(usd(price_minor)),
                weight_grams,
                ..Default::default()
            }),
            initial_stock: 10,
        };
        self.catalog
            .clone()
            .create_product(self.as_admin(request))
            .await
            .expect("a product")
            .into_inner()
            .id
    }

    /// GetShippingQuote as `request` says.
    pub async fn try_quote(
        &self,
        request: Request<proto::GetShippingQuoteRequest>,
    ) -> Result<proto::ShippingQuote, Status> {
        self.client
            .clone()
            .get_shipping_quote(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// GetShippingQuote as the customer `user_id`, for `lines` to `to`.
    pub async fn quote_for(
        &self,
        user_id: &str,
        to: contracts::common::Address,
        lines: &[(&str, i64)],
    ) -> Result<proto::ShippingQuote, Status> {
        self.try_quote(self.as_customer(user_id, quote_request(to, lines)))
            .await
    }

    /// CheckShippingQuote as the orders service acting for `user_id`.
    pub async fn check(
        &self,
        user_id: &str,
        request: proto::CheckShippingQuoteRequest,
    ) -> Result<proto::ShippingOption, Status> {
        self.client
            .clone()
            .check_shipping_quote(self.as_orders(user_id, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Applies `events` as the consumer does, in one transaction.
    pub async fn try_deliver(
        &self,
        events: impl IntoIterator<Item = Event>,
    ) -> Result<Applied, HandlerError> {
        let events: Vec<Event> = events.into_iter().collect();
        self.consumer.apply_batch(&events).await
    }

    /// Applies `events`, which must apply.
    pub async fn deliver(&self, events: impl IntoIterator<Item = Event>) {
        self.try_deliver(events)
            .await
            .expect("the events are applied");
    }

    /// A new order of `user_id`, confirmed: its event delivered.
    pub async fn confirmed_order(&self, user_id: &str) -> Order {
        let order = order_of(user_id);
        self.deliver([order_event(types::ORDER_CONFIRMED, &order, 4)])
            .await;
        order
    }

    /// The order's shipment, as an admin reads it.
    pub async fn shipment_of(&self, order: &Order) -> proto::Shipment {
        self.get(self.as_admin(get(order)))
            .await
            .expect("the order has a shipment")
    }

    /// A confirmed order's shipment.
    pub async fn pending_shipment(&self, user_id: &str) -> proto::Shipment {
        let order = self.confirmed_order(user_id).await;
        self.shipment_of(&order).await
    }

    /// `message` with the token of the customer `user_id`.
    pub fn as_customer<T>(&self, user_id: &str, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token(user_id, Role::Customer))
    }

    /// `message` with the orders service's token, acting for `user_id`.
    pub fn as_orders<T>(&self, user_id: &str, message: T) -> Request<T> {
        let token = self
            .auth
            .service_token(issuer::ORDERS, user_id, Role::Customer);
        authorized(message, &token)
    }

    /// CancelShipment for `order` as the orders service, acting for its
    /// user, with `reason`.
    pub async fn cancel(&self, order: &Order, reason: &str) -> Result<proto::Shipment, Status> {
        let request = proto::CancelShipmentRequest {
            order_id: order.id.clone(),
            reason: reason.to_owned(),
        };
        self.client
            .clone()
            .cancel_shipment(self.as_orders(&order.user_id, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// `message` with an admin's token.
    pub fn as_admin<T>(&self, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token("admin-1", Role::Admin))
    }

    /// GetShipment, as `request` says.
    pub async fn get(
        &self,
        request: Request<proto::GetShipmentRequest>,
    ) -> Result<proto::Shipment, Status> {
        self.client
            .clone()
            .get_shipment(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// PackShipment as an admin.
    pub async fn pack(&self, shipment_id: &str) -> Result<proto::Shipment, Status> {
        let request = proto::PackShipmentRequest {
            shipment_id: shipment_id.to_owned(),
        };
        self.client
            .clone()
            .pack_shipment(self.as_admin(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// ShipShipment as an admin, with `carrier` and `tracking_number`.
    pub async fn ship(
        &self,
        shipment_id: &str,
        carrier: &str,
        tracking_number: &str,
    ) -> Result<proto::Shipment, Status> {
        let request = proto::ShipShipmentRequest {
            shipment_id: shipment_id.to_owned(),
            carrier: carrier.to_owned(),
            tracking_number: tracking_number.to_owned(),
        };
        self.client
            .clone()
            .ship_shipment(self.as_admin(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// DeliverShipment as an admin.
    pub async fn deliver_shipment(&self, shipment_id: &str) -> Result<proto::Shipment, Status> {
        let request = proto::DeliverShipmentRequest {
            shipment_id: shipment_id.to_owned(),
        };
        self.client
            .clone()
            .deliver_shipment(self.as_admin(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// ListShipments as an admin.
    pub async fn list(
        &self,
        request: proto::ListShipmentsRequest,
    ) -> Result<proto::ListShipmentsResponse, Status> {
        self.client
            .clone()
            .list_shipments(self.as_admin(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The types of the events the service's outbox holds about
    /// `shipment`, oldest first.
    pub async fn events_of(&self, shipment: &proto::Shipment) -> Vec<String> {
        platform::testing::outbox_events(self.database.url())
            .await
            .into_iter()
            .filter(|e| e.aggregate_id == shipment.id)
            .map(|e| e.r#type)
            .collect()
    }

    /// Every event in the service's outbox.
    pub async fn outbox(&self) -> Vec<Event> {
        platform::testing::outbox_events(self.database.url()).await
    }

    /// Moves the service's clock forward.
    pub fn wait(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// A GetShippingQuote request for `lines` (product id, quantity) to `to`.
pub fn quote_request(
    to: contracts::common::Address,
    lines: &[(&str, i64)],
) -> proto::GetShippingQuoteRequest {
    proto::GetShippingQuoteRequest {
        address: Some(to),
        lines: shipping_lines(lines),
    }
}

/// Shipping lines of (product id, quantity).
pub fn shipping_lines(lines: &[(&str, i64)]) -> Vec<proto::ShippingLine> {
    lines
        .iter()
        .map(|(product_id, quantity)| proto::ShippingLine {
            product_id: (*product_id).to_owned(),
            quantity: *quantity,
        })
        .collect()
}

/// The test address (London) moved to `country_code`.
pub fn address_in(country_code: &str) -> contracts::common::Address {
    contracts::common::Address {
        country_code: country_code.to_owned(),
        ..address()
    }
}

/// An order of `user_id` for two products, to the test address, as the
/// orders' events carry it.
pub fn order_of(user_id: &str) -> Order {
    let line = |name: &str, quantity| OrderLine {
        product_id: uuid::Uuid::now_v7().to_string(),
        product_name: name.to_owned(),
        quantity,
        ..Default::default()
    };
    Order {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        lines: vec![line("Teapot", 1), line("Cup", 4)],
        shipping_address: Some(address()),
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

/// A GetShipment request for `order`'s shipment.
pub fn get(order: &Order) -> proto::GetShipmentRequest {
    proto::GetShipmentRequest {
        order_id: order.id.clone(),
    }
}

impl TestApp {
    /// `shipment` as it is now, as an admin reads it.
    pub async fn shipment_of_id(&self, shipment: &proto::Shipment) -> proto::Shipment {
        let request = proto::GetShipmentRequest {
            order_id: shipment.order_id.clone(),
        };
        self.get(self.as_admin(request))
            .await
            .expect("the shipment is there")
    }
}

/// The seconds of a time that must be set.
#[track_caller]
pub fn seconds(at: Option<&prost_types::Timestamp>) -> i64 {
    at.expect("the time is set").seconds
}

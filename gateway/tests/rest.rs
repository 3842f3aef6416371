//! REST through the gateway, as curl would speak it: each path, query and
//! body form reaches the backend as the gRPC request it stands for, the
//! answers come back as proto3 JSON, failures as AIP-193 errors with their
//! HTTP statuses, and the edge (tokens, the access table, the rate limit)
//! judges REST and gRPC calls alike. The backends are in-process fakes of
//! catalog and orders that note what they were asked and answer from it.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use contracts::{
    catalog::{
        BatchGetProductsRequest, BatchGetProductsResponse, CreateProductRequest,
        DeleteProductRequest, DeleteProductResponse, GetProductRequest, ListProductsRequest,
        ListProductsResponse, Product, UpdateProductRequest,
        catalog_service_client::CatalogServiceClient,
        catalog_service_server::{CatalogService, CatalogServiceServer},
    },
    common::Money,
    orders::{
        CancelOrderRequest, CreateOrderRequest, GetOrderRequest, ListOrdersRequest,
        ListOrdersResponse, Order, OrderEvent, OrderStatus, WatchOrderRequest,
        order_service_server::{OrderService, OrderServiceServer},
    },
};
use gateway::{limits::Rate, routes};
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use platform::{
    auth::Role,
    error::{FieldViolation, invalid_argument, with_reason},
    testing::{TestAuth, TestDatabase},
};
use serde_json::{Value, json};
use tonic::{Code, Request, Response, Status, transport::server::TcpIncoming};

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:1";

/// A card number that must never come back in an error.
const CARD: &str = "4242424242424242";

/// What the fake backends were asked, in order.
#[derive(Debug, Clone)]
enum Asked {
    ListProducts(ListProductsRequest),
    GetProduct(GetProductRequest),
    BatchGetProducts(BatchGetProductsRequest),
    CreateProduct(CreateProductRequest),
    UpdateProduct(UpdateProductRequest),
    DeleteProduct(DeleteProductRequest),
    CreateOrder(CreateOrderRequest),
    CancelOrder(CancelOrderRequest),
}

#[derive(Clone, Default)]
struct Backends {
    asked: Arc<Mutex<Vec<Asked>>>,
    /// The `x-request-id` and `grpc-timeout` of each GetProduct call.
    headers: Arc<Mutex<Vec<(String, String)>>>,
}

impl Backends {
    fn note(&self, asked: Asked) {
        self.asked.lock().expect("lock").push(asked);
    }

    fn asked(&self) -> Vec<Asked> {
        self.asked.lock().expect("lock").clone()
    }
}

fn product(id: &str) -> Product {
    Product {
        id: id.to_owned(),
        name: format!("Product {id}"),
        price: Some(Money {
            currency_code: "USD".into(),
            amount_minor: 1999,
        }),
        create_time: Some(prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        }),
        ..Product::default()
    }
}

#[tonic::async_trait]
impl CatalogService for Backends {
    async fn list_products(
        &self,
        request: Request<ListProductsRequest>,
    ) -> Result<Response<ListProductsResponse>, Status> {
        let request = request.into_inner();
        self.note(Asked::ListProducts(request.clone()));
        let size = usize::try_from(request.page_size).unwrap_or(0);
        Ok(Response::new(ListProductsResponse {
            products: (0..size).map(|i| product(&format!("p-{i}"))).collect(),
            next_page_token: "page-2".into(),
        }))
    }

    async fn get_product(
        &self,
        request: Request<GetProductRequest>,
    ) -> Result<Response<Product>, Status> {
        let header = |name: &str| {
            request
                .metadata()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let seen = (header("x-request-id"), header("grpc-timeout"));
        self.headers.lock().expect("lock").push(seen);
        let request = request.into_inner();
        self.note(Asked::GetProduct(request.clone()));
        if request.id == "missing" {
            return Err(with_reason(
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
                "no product missing",
                [("id".to_owned(), request.id)],
            ));
        }
        Ok(Response::new(product(&request.id)))
    }

    async fn batch_get_products(
        &self,
        request: Request<BatchGetProductsRequest>,
    ) -> Result<Response<BatchGetProductsResponse>, Status> {
        let request = request.into_inner();
        self.note(Asked::BatchGetProducts(request.clone()));
        Ok(Response::new(BatchGetProductsResponse {
            products: request.ids.iter().map(|id| product(id)).collect(),
        }))
    }

    async fn create_product(
        &self,
        request: Request<CreateProductRequest>,
    ) -> Result<Response<Product>, Status> {
        let request = request.into_inner();
        self.note(Asked::CreateProduct(request.clone()));
        let given = request.product.unwrap_or_default();
        if given.name.is_empty() {
            return Err(invalid_argument(&[FieldViolation::new(
                "product.name",
                "is required",
            )]));
        }
        Ok(Response::new(Product {
            id: "p-new".into(),
            ..given
        }))
    }

    async fn update_product(
        &self,
        request: Request<UpdateProductRequest>,
    ) -> Result<Response<Product>, Status> {
        let request = request.into_inner();
        self.note(Asked::UpdateProduct(request.clone()));
        Ok(Response::new(request.product.unwrap_or_default()))
    }

    async fn delete_product(
        &self,
        request: Request<DeleteProductRequest>,
    ) -> Result<Response<DeleteProductResponse>, Status> {
        self.note(Asked::DeleteProduct(request.into_inner()));
        Ok(Response::new(DeleteProductResponse {}))
    }

    async fn list_categories(
        &self,
        _: Request<contracts::catalog::ListCategoriesRequest>,
    ) -> Result<Response<contracts::catalog::ListCategoriesResponse>, Status> {
        Err(Status::unimplemented("not routed in these tests"))
    }

    async fn add_product_image(
        &self,
        _: Request<contracts::catalog::AddProductImageRequest>,
    ) -> Result<Response<contracts::catalog::ProductImage>, Status> {
        Err(Status::unimplemented("not routed in these tests"))
    }

    async fn delete_product_image(
        &self,
        _: Request<contracts::catalog::DeleteProductImageRequest>,
    ) -> Result<Response<contracts::catalog::DeleteProductImageResponse>, Status> {
        Err(Status::unimplemented("not routed in these tests"))
    }

    async fn reorder_product_images(
        &self,
        _: Request<contracts::catalog::ReorderProductImagesRequest>,
    ) -> Result<Response<contracts::catalog::Product>, Status> {
        Err(Status::unimplemented("not routed in these tests"))
    }

    async fn get_image_content(
        &self,
        _: Request<contracts::catalog::GetImageContentRequest>,
    ) -> Result<Response<contracts::catalog::ImageContent>, Status> {
        Err(Status::unimplemented("not routed in these tests"))
    }
}

#[tonic::async_trait]
impl OrderService for Backends {
    type WatchOrderStream =
        tonic::codegen::tokio_stream::Iter<std::vec::IntoIter<Result<OrderEvent, Status>>>;

    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let request = request.into_inner();
        self.note(Asked::CreateOrder(request.clone()));
        Ok(Response::new(Order {
            id: "o-1".into(),
            request_id: request.request_id,
            status: OrderStatus::Confirmed.into(),
            ..Order::default()
        }))
    }

    async fn get_order(&self, _: Request<GetOrderRequest>) -> Result<Response<Order>, Status> {
        Err(Status::not_found("no such order"))
    }

    async fn list_orders(
        &self,
        _: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        Ok(Response::new(ListOrdersResponse::default()))
    }

    async fn cancel_order(
        &self,
        request: Request<CancelOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let request = request.into_inner();
        self.note(Asked::CancelOrder(request.clone()));
        Ok(Response::new(Order {
            id: request.id,
            status: OrderStatus::Cancelled.into(),
            cancel_reason: request.reason,
            ..Order::default()
        }))
    }

    /// Order `missing` is not found; any other confirms, ships and then
    /// fails (an error after two events).
    async fn watch_order(
        &self,
        request: Request<WatchOrderRequest>,
    ) -> Result<Response<Self::WatchOrderStream>, Status> {
        let id = request.into_inner().id;
        if id == "missing" {
            return Err(Status::not_found("no such order"));
        }
        let event = |sequence, status: OrderStatus| OrderEvent {
            order_id: id.clone(),
            sequence,
            status: status.into(),
            ..OrderEvent::default()
        };
        let events = vec![
            Ok(event(1, OrderStatus::Confirmed)),
            Ok(event(2, OrderStatus::Shipped)),
            Err(Status::unavailable("the orders service is draining")),
        ];
        Ok(Response::new(tonic::codegen::tokio_stream::iter(events)))
    }
}

/// A gateway in front of the fake catalog and orders.
struct Shop {
    url: String,
    auth: TestAuth,
    backends: Backends,
    _database: TestDatabase,
}

/// An HTTP answer, its body read as JSON.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    text: String,
    json: Value,
}

impl Shop {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut gateway::Config)) -> Self {
        let backends = Backends::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let backend_address: SocketAddr = listener.local_addr().expect("address");
        let server = tonic::transport::Server::builder()
            .add_service(CatalogServiceServer::new(backends.clone()))
            .add_service(OrderServiceServer::new(backends.clone()))
            .serve_with_incoming(TcpIncoming::from(listener));
        tokio::spawn(server);

        let database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let backend_urls = routes::backends().into_iter().map(|name| {
            let url = match name {
                "catalog" | "orders" => format!("http://{backend_address}"),
                _ => NOWHERE.to_owned(),
            };
            (name, url)
        });
        let mut config = gateway::Config::new(
            database.url(),
            auth.gateway_signer(),
            auth.verifier(),
            backend_urls,
        );
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(gateway::serve(config, listener, std::future::pending()));
        Self {
            url,
            auth,
            backends,
            _database: database,
        }
    }

    fn customer(&self) -> String {
        self.auth.user_token("customer-1", Role::Customer)
    }

    fn admin(&self) -> String {
        self.auth.user_token("admin-1", Role::Admin)
    }

    async fn rest(
        &self,
        verb: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.send(verb, path, token, body.map(|b| b.to_string()))
            .await
    }

    async fn send(
        &self,
        verb: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Answer {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let mut request = http::Request::builder()
            .method(verb)
            .uri(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .expect("request");
        let response = client.request(request).await.expect("an answer");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("the body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    async fn grpc_catalog(&self) -> CatalogServiceClient<tonic::transport::Channel> {
        let channel = tonic::transport::Endpoint::from_shared(self.url.clone())
            .expect("url")
            .connect()
            .await
            .expect("connect");
        CatalogServiceClient::new(channel)
    }
}

/// The `@type`s of an error's details.
fn detail_types(answer: &Answer) -> Vec<String> {
    answer.json["error"]["details"]
        .as_array()
        .map(|details| {
            details
                .iter()
                .filter_map(|d| d["@type"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The fields an INVALID_ARGUMENT's BadRequest names.
fn violated_fields(answer: &Answer) -> Vec<String> {
    answer.json["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .flat_map(|d| d["fieldViolations"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v["field"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_product_is_read_by_the_id_in_its_path_as_proto3_json() {
    let shop = Shop::start().await;

    let answer = shop.rest("GET", "/v1/products/p-1", None, None).await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .map(http::HeaderValue::as_bytes),
        Some(&b"application/json"[..])
    );
    assert_eq!(
        answer.json,
        json!({
            "id": "p-1",
            "name": "Product p-1",
            "price": { "currencyCode": "USD", "amountMinor": "1999" },
            "createTime": "2023-11-14T22:13:20Z",
        })
    );
    assert!(
        answer.text.starts_with(r#"{"id":"p-1","#),
        "fields in their numbers' order: {}",
        answer.text
    );
    let Some(Asked::GetProduct(asked)) = shop.backends.asked().pop() else {
        panic!("GetProduct was called");
    };
    assert_eq!(asked.id, "p-1");
}

#[tokio::test]
async fn the_request_id_and_the_deadline_asked_for_go_down_with_the_call() {
    let shop = Shop::start().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::get(format!("{}/v1/products/p-1", shop.url))
        .header("x-request-id", "trace-me-1")
        .header("request-timeout", "2.5")
        .body(Full::new(Bytes::new()))
        .expect("request");

    let response = client.request(request).await.expect("an answer");

    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .map(http::HeaderValue::as_bytes),
        Some(&b"trace-me-1"[..])
    );
    let seen = shop.backends.headers.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "trace-me-1");
    assert_eq!(
        platform::grpc_timeout::parse(&seen[0].1),
        Some(std::time::Duration::from_millis(2500))
    );
}

#[tokio::test]
async fn products_are_listed_page_by_page_from_the_query_in_either_spelling() {
    let shop = Shop::start().await;

    let answer = shop
        .rest(
            "GET",
            "/v1/products?pageSize=2&page_token=page-1&category=books",
            None,
            None,
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["products"].as_array().map(Vec::len), Some(2));
    assert_eq!(answer.json["nextPageToken"], "page-2");
    let Some(Asked::ListProducts(asked)) = shop.backends.asked().pop() else {
        panic!("ListProducts was called");
    };
    assert_eq!(
        (
            asked.page_size,
            asked.page_token.as_str(),
            asked.category.as_str()
        ),
        (2, "page-1", "books")
    );
}

#[tokio::test]
async fn repeated_fields_take_every_occurrence_of_their_query_parameter() {
    let shop = Shop::start().await;

    let answer = shop
        .rest("GET", "/v1/products:batchGet?ids=a&ids=b", None, None)
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let Some(Asked::BatchGetProducts(asked)) = shop.backends.asked().pop() else {
        panic!("BatchGetProducts was called");
    };
    assert_eq!(asked.ids, ["a", "b"]);
}

#[tokio::test]
async fn an_unknown_query_parameter_is_refused_by_name_before_any_call() {
    let shop = Shop::start().await;

    let answer = shop
        .rest("GET", "/v1/products?pageSize=2&colour=red", None, None)
        .await;

    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.json["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&answer), ["colour"]);
    assert!(shop.backends.asked().is_empty());
}

#[tokio::test]
async fn a_query_value_of_the_wrong_type_is_refused_naming_the_parameter_not_the_value() {
    let shop = Shop::start().await;

    let answer = shop
        .rest("GET", &format!("/v1/products?pageSize={CARD}x"), None, None)
        .await;

    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(violated_fields(&answer), ["pageSize"]);
    assert!(!answer.text.contains(CARD), "{}", answer.text);
}

#[tokio::test]
async fn a_deadline_that_is_not_a_number_of_seconds_is_refused_naming_its_header() {
    let shop = Shop::start().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::get(format!("{}/v1/products/p-1", shop.url))
        .header("request-timeout", "soon")
        .body(Full::new(Bytes::new()))
        .expect("request");

    let response = client.request(request).await.expect("an answer");

    assert_eq!(response.status(), 400);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert!(String::from_utf8_lossy(&body).contains(r#""field":"request-timeout""#));
    assert!(shop.backends.asked().is_empty());
}

#[tokio::test]
async fn an_admin_creates_a_product_from_the_body_field_and_the_rest_from_the_query() {
    let shop = Shop::start().await;
    let token = shop.admin();

    let answer = shop
        .rest(
            "POST",
            "/v1/products?initialStock=3",
            Some(&token),
            Some(json!({ "name": "Lamp", "price": { "currencyCode": "USD", "amountMinor": 500 } })),
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["id"], "p-new");
    let Some(Asked::CreateProduct(asked)) = shop.backends.asked().pop() else {
        panic!("CreateProduct was called");
    };
    assert_eq!(asked.initial_stock, 3);
    let product = asked.product.expect("the body");
    assert_eq!(product.name, "Lamp");
    assert_eq!(product.price.map(|p| p.amount_minor), Some(500));
}

#[tokio::test]
async fn an_update_takes_its_id_from_the_path_and_its_mask_from_the_query() {
    let shop = Shop::start().await;
    let token = shop.admin();

    let answer = shop
        .rest(
            "PATCH",
            "/v1/products/p-1?updateMask=name,weightGrams",
            Some(&token),
            Some(json!({ "name": "New name", "weightGrams": 250 })),
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    let Some(Asked::UpdateProduct(asked)) = shop.backends.asked().pop() else {
        panic!("UpdateProduct was called");
    };
    let product = asked.product.expect("the body");
    assert_eq!(
        (product.id.as_str(), product.name.as_str()),
        ("p-1", "New name")
    );
    assert_eq!(
        asked.update_mask.expect("a mask").paths,
        ["name", "weight_grams"]
    );
}

#[tokio::test]
async fn a_product_is_deleted_with_delete_and_its_etag_from_the_query() {
    let shop = Shop::start().await;
    let token = shop.admin();

    let answer = shop
        .rest("DELETE", "/v1/products/p-1?etag=e-7", Some(&token), None)
        .await;

    assert_eq!((answer.status, answer.json.clone()), (200, json!({})));
    let Some(Asked::DeleteProduct(asked)) = shop.backends.asked().pop() else {
        panic!("DeleteProduct was called");
    };
    assert_eq!((asked.id.as_str(), asked.etag.as_str()), ("p-1", "e-7"));
}

#[tokio::test]
async fn an_order_is_created_from_the_whole_body_and_answers_enums_by_name() {
    let shop = Shop::start().await;
    let token = shop.customer();

    let answer = shop
        .rest(
            "POST",
            "/v1/orders",
            Some(&token),
            Some(json!({
                "request_id": "r-1",
                "lines": [{ "productId": "p-1", "quantity": "2" }],
                "paymentMethod": { "wallet": {} },
            })),
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["status"], "ORDER_STATUS_CONFIRMED");
    assert_eq!(answer.json["requestId"], "r-1");
    let Some(Asked::CreateOrder(asked)) = shop.backends.asked().pop() else {
        panic!("CreateOrder was called");
    };
    assert_eq!(asked.lines.len(), 1);
    assert_eq!(asked.lines[0].quantity, 2);
}

#[tokio::test]
async fn an_order_is_cancelled_by_its_custom_verb() {
    let shop = Shop::start().await;
    let token = shop.customer();

    let answer = shop
        .rest(
            "POST",
            "/v1/orders/o-9:cancel",
            Some(&token),
            Some(json!({ "reason": "changed my mind" })),
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["status"], "ORDER_STATUS_CANCELLED");
    let Some(Asked::CancelOrder(asked)) = shop.backends.asked().pop() else {
        panic!("CancelOrder was called");
    };
    assert_eq!(
        (asked.id.as_str(), asked.reason.as_str()),
        ("o-9", "changed my mind")
    );
}

#[tokio::test]
async fn a_failed_call_answers_its_http_status_and_its_details_as_json() {
    let shop = Shop::start().await;

    let answer = shop.rest("GET", "/v1/products/missing", None, None).await;

    assert_eq!(answer.status, 404, "{}", answer.text);
    assert_eq!(answer.json["error"]["code"], 404);
    assert_eq!(answer.json["error"]["status"], "NOT_FOUND");
    assert_eq!(answer.json["error"]["message"], "no product missing");
    assert_eq!(
        detail_types(&answer),
        ["type.googleapis.com/google.rpc.ErrorInfo"]
    );
    assert_eq!(
        answer.json["error"]["details"][0]["reason"],
        "PRODUCT_NOT_FOUND"
    );
}

#[tokio::test]
async fn a_service_refusing_a_field_is_400_with_the_field_violation() {
    let shop = Shop::start().await;
    let token = shop.admin();

    let answer = shop
        .rest(
            "POST",
            "/v1/products",
            Some(&token),
            Some(json!({ "name": "" })),
        )
        .await;

    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(violated_fields(&answer), ["product.name"]);
}

#[tokio::test]
async fn without_a_token_a_method_for_signed_in_users_is_401() {
    let shop = Shop::start().await;

    let answer = shop.rest("GET", "/v1/orders", None, None).await;

    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.json["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(
        answer
            .headers
            .get("www-authenticate")
            .map(http::HeaderValue::as_bytes),
        Some(&b"Bearer"[..])
    );
}

#[tokio::test]
async fn a_customer_calling_an_admin_method_is_403_and_nothing_is_called() {
    let shop = Shop::start().await;
    let token = shop.customer();

    let answer = shop
        .rest(
            "POST",
            "/v1/products",
            Some(&token),
            Some(json!({ "name": "Lamp" })),
        )
        .await;

    assert_eq!(answer.status, 403, "{}", answer.text);
    assert_eq!(answer.json["error"]["status"], "PERMISSION_DENIED");
    assert!(shop.backends.asked().is_empty());
}

#[tokio::test]
async fn an_unknown_path_is_404_and_a_wrong_verb_405_with_the_verbs_allowed() {
    let shop = Shop::start().await;

    let unknown = shop.rest("GET", "/v1/unicorns", None, None).await;
    let wrong_verb = shop.rest("PUT", "/v1/products/p-1", None, None).await;

    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(unknown.json["error"]["code"], 404);
    assert_eq!(wrong_verb.status, 405, "{}", wrong_verb.text);
    assert_eq!(wrong_verb.json["error"]["code"], 405);
    let allow = wrong_verb
        .headers
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for verb in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(verb), "Allow: {allow}");
    }
}

#[tokio::test]
async fn a_body_that_does_not_parse_names_the_field_and_position_but_never_the_value() {
    let shop = Shop::start().await;
    let token = shop.customer();
    let body = format!(r#"{{"paymentMethod": {{"card": {{"number": {CARD}}}}}}}"#);

    let answer = shop
        .send("POST", "/v1/orders", Some(&token), Some(body))
        .await;

    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(violated_fields(&answer), ["paymentMethod.card.number"]);
    assert!(answer.text.contains("line 1 column"), "{}", answer.text);
    assert!(!answer.text.contains(CARD), "{}", answer.text);
    assert!(shop.backends.asked().is_empty());
}

#[tokio::test]
async fn an_order_is_watched_as_server_sent_events_until_its_stream_ends() {
    let shop = Shop::start().await;
    let token = shop.customer();

    let answer = shop
        .rest(
            "GET",
            "/v1/orders/o-1:watch?afterSequence=0",
            Some(&token),
            None,
        )
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .map(http::HeaderValue::as_bytes),
        Some(&b"text/event-stream"[..])
    );
    let events: Vec<&str> = answer
        .text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .collect();
    assert_eq!(events.len(), 3, "{}", answer.text);
    let data = |event: &str| -> Value {
        let line = event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or_default();
        serde_json::from_str(line).unwrap_or(Value::Null)
    };
    assert_eq!(
        data(events[0]),
        json!({ "orderId": "o-1", "sequence": "1", "status": "ORDER_STATUS_CONFIRMED" })
    );
    assert_eq!(data(events[1])["status"], "ORDER_STATUS_SHIPPED");
    assert!(events[2].starts_with("event: error\n"), "{}", events[2]);
    assert_eq!(data(events[2])["error"]["status"], "UNAVAILABLE");
    assert_eq!(data(events[2])["error"]["code"], 503);
}

#[tokio::test]
async fn a_watch_refused_before_its_first_event_is_a_plain_json_error() {
    let shop = Shop::start().await;
    let token = shop.customer();

    let missing = shop
        .rest("GET", "/v1/orders/missing:watch", Some(&token), None)
        .await;
    let anonymous = shop.rest("GET", "/v1/orders/o-1:watch", None, None).await;

    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.json["error"]["status"], "NOT_FOUND");
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
}

#[tokio::test]
async fn rest_and_grpc_calls_draw_from_one_rate_limit_and_429_says_when_to_retry() {
    let shop = Shop::start_with(|config| {
        config.rate = Rate {
            per_second: 0.01,
            burst: 3,
        };
    })
    .await;
    let token = shop.customer();
    let mut grpc = shop.grpc_catalog().await;
    let grpc_call = |token: &str| {
        let mut request = Request::new(GetProductRequest { id: "p-1".into() });
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("metadata"),
        );
        request
    };

    assert_eq!(
        shop.rest("GET", "/v1/products/p-1", Some(&token), None)
            .await
            .status,
        200
    );
    assert!(grpc.get_product(grpc_call(&token)).await.is_ok());
    assert_eq!(
        shop.rest("GET", "/v1/products/p-1", Some(&token), None)
            .await
            .status,
        200
    );
    let over_rest = shop
        .rest("GET", "/v1/products/p-1", Some(&token), None)
        .await;
    let over_grpc = grpc.get_product(grpc_call(&token)).await;

    assert_eq!(over_rest.status, 429, "{}", over_rest.text);
    assert_eq!(over_rest.json["error"]["status"], "RESOURCE_EXHAUSTED");
    let retry_after: u64 = over_rest
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1);
    assert!(
        detail_types(&over_rest).contains(&"type.googleapis.com/google.rpc.RetryInfo".to_owned())
    );
    assert_eq!(
        over_grpc.map(|_| ()).map_err(|s| s.code()),
        Err(Code::ResourceExhausted)
    );
}

#[tokio::test]
async fn anonymous_rest_and_grpc_calls_from_one_address_draw_from_its_one_bucket() {
    let shop = Shop::start_with(|config| {
        config.rate = Rate {
            per_second: 0.01,
            burst: 2,
        };
    })
    .await;
    let mut grpc = shop.grpc_catalog().await;

    let first = shop.rest("GET", "/v1/products/p-1", None, None).await;
    let second = grpc
        .get_product(GetProductRequest { id: "p-1".into() })
        .await;
    let third = shop.rest("GET", "/v1/products/p-1", None, None).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert!(second.is_ok(), "{second:?}");
    assert_eq!(third.status, 429, "{}", third.text);
}

#[tokio::test]
async fn an_account_registers_logs_in_and_says_who_it_is_over_rest() {
    let shop = Shop::start().await;
    let account = json!({ "email": "ada@example.com", "password": "correct horse battery" });
    let mut registration = account.clone();
    registration["displayName"] = json!("Ada");

    let registered = shop
        .rest("POST", "/v1/auth:register", None, Some(registration))
        .await;
    let logged_in = shop
        .rest("POST", "/v1/auth:login", None, Some(account))
        .await;
    let token = logged_in.json["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let me = shop
        .rest("GET", "/v1/auth:whoAmI", Some(&token), None)
        .await;

    assert_eq!(registered.status, 200, "{}", registered.text);
    assert_eq!(logged_in.status, 200, "{}", logged_in.text);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["email"], "ada@example.com");
}

#[tokio::test]
async fn the_openapi_document_lists_every_routed_method() {
    let shop = Shop::start().await;

    let answer = shop.rest("GET", "/v1/openapi.json", None, None).await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["openapi"], "3.1.0");
    let mut documented: Vec<String> = answer.json["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|operations| operations.values())
        .filter_map(|operation| operation["operationId"].as_str())
        .map(|id| id.replacen('_', "/", 1))
        .collect();
    // Images' bytes are files at /images/{id}, with no REST route.
    let mut routed: Vec<String> = routes::policy()
        .paths()
        .filter(|path| *path != "/shop.catalog.v1.CatalogService/GetImageContent")
        .filter_map(|path| path.rsplit('.').next())
        .map(str::to_owned)
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed);
    assert_eq!(
        answer.json["components"]["schemas"]["shop.catalog.v1.Product"]["properties"]["createTime"]
            ["format"],
        "date-time"
    );
}

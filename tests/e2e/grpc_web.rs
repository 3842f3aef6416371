//! grpc-web through the gateway, with a real grpc-web client (tonic-web
//! over HTTP/1.1), unary and server streaming; and CORS preflights.

use contracts::{
    catalog::{self as catalog_proto, catalog_service_client::CatalogServiceClient},
    orders::{self as orders_proto, OrderStatus, order_service_client::OrderServiceClient},
};
use http_body_util::Empty;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use tonic_web::GrpcWebClientLayer;

use crate::helpers::*;

/// A grpc-web client over HTTP/1.1, as a browser would talk.
type GrpcWeb = tonic_web::GrpcWebClientService<
    Client<HttpConnector, tonic_web::GrpcWebCall<tonic::body::Body>>,
>;

fn grpc_web() -> GrpcWeb {
    let http1 = Client::builder(TokioExecutor::new()).build_http();
    tower::ServiceBuilder::new()
        .layer(GrpcWebClientLayer::new())
        .service(http1)
}

fn origin(shop: &TestShop) -> http::Uri {
    format!("http://{}", shop.address).parse().expect("uri")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unary_and_streaming_calls_work_over_grpc_web() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 900, 5).await;
    let (token, _) = shop.register("web@example.com").await;

    let mut catalog = CatalogServiceClient::with_origin(grpc_web(), origin(&shop));
    let listed = catalog
        .list_products(catalog_proto::ListProductsRequest::default())
        .await
        .expect("unary over grpc-web")
        .into_inner();
    assert_eq!(listed.products.len(), 1);

    let mut orders = OrderServiceClient::with_origin(grpc_web(), origin(&shop));
    let placed = orders
        .create_order(call(
            shop.quoted_order(&token, "web-1", &mug, 1).await,
            Some(&token),
        ))
        .await
        .expect("order over grpc-web")
        .into_inner();
    let mut stream = orders
        .watch_order(call(
            orders_proto::WatchOrderRequest {
                id: placed.id,
                after_sequence: 2,
            },
            Some(&token),
        ))
        .await
        .expect("stream over grpc-web")
        .into_inner();
    // A confirmed order's stream stays open for its parcel's news.
    let mut statuses = Vec::new();
    while statuses.last() != Some(&OrderStatus::Confirmed) {
        let event = stream.message().await.expect("stream").expect("an event");
        statuses.push(event.status());
    }
    assert_eq!(statuses, [OrderStatus::Paid, OrderStatus::Confirmed]);

    let refused = orders
        .list_orders(orders_proto::ListOrdersRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(
        refused.code(),
        tonic::Code::Unauthenticated,
        "errors come back as grpc-web trailers"
    );
}

async fn preflight(shop: &TestShop, from: &str) -> http::Response<hyper::body::Incoming> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let request = http::Request::options(format!(
        "http://{}/shop.catalog.v1.CatalogService/ListProducts",
        shop.address
    ))
    .header("origin", from)
    .header("access-control-request-method", "POST")
    .header(
        "access-control-request-headers",
        "content-type,x-grpc-web,authorization",
    )
    .body(Empty::new())
    .expect("request");
    client.request(request).await.expect("preflight")
}

#[tokio::test]
async fn cors_admits_configured_origins_only_and_exposes_grpc_headers() {
    let shop = TestShop::spawn_with(|config| {
        config.cors = gateway::Cors::Origins(vec!["https://shop.example".into()]);
    })
    .await;

    let allowed = preflight(&shop, "https://shop.example").await;
    let headers = allowed.headers();
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://shop.example")
    );
    let allowed_headers = headers
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for needed in ["content-type", "x-grpc-web", "authorization"] {
        assert!(allowed_headers.contains(needed), "{allowed_headers}");
    }

    let stranger = preflight(&shop, "https://evil.example").await;
    assert!(
        stranger
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let mut catalog = CatalogServiceClient::with_origin(grpc_web(), origin(&shop));
    let mut request = tonic::Request::new(catalog_proto::ListProductsRequest::default());
    request
        .metadata_mut()
        .insert("origin", "https://shop.example".parse().expect("origin"));
    let response = catalog.list_products(request).await.expect("list");
    let exposed = response
        .metadata()
        .get("access-control-expose-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        exposed.contains("grpc-status") && exposed.contains("grpc-message"),
        "{exposed}"
    );
}

#[tokio::test]
async fn the_storefront_is_served_at_the_root_over_http1() {
    use http_body_util::BodyExt;

    let shop = TestShop::spawn().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let get = |path: String| {
        let request = http::Request::get(format!("http://{}{path}", shop.address))
            .body(Empty::new())
            .expect("request");
        client.request(request)
    };
    let page = get("/".into()).await.expect("GET /");
    assert_eq!(page.status(), http::StatusCode::OK);
    assert_eq!(
        page.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8(
        page.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
    .expect("utf-8");
    assert!(html.contains("<title>Shop</title>"));

    let script = html
        .split('"')
        .find(|part| {
            part.starts_with("./assets/")
                && std::path::Path::new(part)
                    .extension()
                    .is_some_and(|ext| ext.eq_ignore_ascii_case("js"))
        })
        .expect("the page links its script");
    let asset = get(script.trim_start_matches('.').to_owned())
        .await
        .expect("GET asset");
    assert_eq!(asset.status(), http::StatusCode::OK);

    let missing = get("/assets/nope.js".into()).await.expect("GET missing");
    assert_eq!(missing.status(), http::StatusCode::NOT_FOUND);
}

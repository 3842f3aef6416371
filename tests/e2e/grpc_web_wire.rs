//! grpc-web as it travels on the wire, framed by hand over a plain TCP
//! socket (HTTP/1.1, `Connection: close`): binary and text (base64) modes,
//! with a `Content-Length` and chunked, unary and server streaming. The
//! tonic-web client shares the server's assumptions; these bytes do not.
//! Also what the gateway answers to requests it does not serve, and that
//! its reflection describes exactly what it serves.

use std::fmt::Write as _;

use base64::{Engine, engine::general_purpose::STANDARD};
use contracts::{
    auth as auth_proto, catalog as catalog_proto,
    orders::{self as orders_proto, OrderStatus},
};
use prost::Message;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::helpers::*;

const TEXT: [&str; 2] = [
    "application/grpc-web-text",
    "application/grpc-web-text+proto",
];
const BINARY: [&str; 2] = ["application/grpc-web", "application/grpc-web+proto"];

/// How a request body's end is told.
#[derive(Debug, Clone, Copy)]
enum Framing {
    ContentLength,
    /// In two chunks split at an odd place, so a base64 quantum straddles them.
    Chunked,
}

const FRAMINGS: [Framing; 2] = [Framing::ContentLength, Framing::Chunked];

/// An HTTP/1.1 response as read off the socket.
#[derive(Debug)]
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A grpc-web call's outcome: its messages, and its headers with the
/// trailer frame's fields added (a trailers-only answer has its status in
/// the headers).
#[derive(Debug)]
struct GrpcWebAnswer {
    http_status: u16,
    metadata: http::HeaderMap,
    messages: Vec<Vec<u8>>,
}

impl GrpcWebAnswer {
    fn grpc_status(&self) -> Option<i32> {
        self.metadata
            .get("grpc-status")?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }

    /// The status with its details (`grpc-status-details-bin`).
    fn status(&self) -> tonic::Status {
        tonic::Status::from_header_map(&self.metadata).expect("a grpc-status")
    }
}

/// Sends `head` and `body` as one HTTP/1.1 request and reads the whole
/// response (the connection closes after it).
async fn exchange(shop: &TestShop, head: &str, body: &[u8]) -> HttpResponse {
    let mut socket = TcpStream::connect(shop.address).await.expect("connect");
    socket.write_all(head.as_bytes()).await.expect("write head");
    socket.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    socket.read_to_end(&mut raw).await.expect("read response");
    parse_http(&raw)
}

fn parse_http(raw: &[u8]) -> HttpResponse {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = std::str::from_utf8(&raw[..end]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut response = HttpResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let rest = &raw[end + 4..];
    response.body = if response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)
    } else if let Some(length) = response.header("content-length") {
        let length: usize = length.parse().expect("a numeric content-length");
        assert_eq!(rest.len(), length, "the body matches its content-length");
        rest.to_vec()
    } else {
        rest.to_vec()
    };
    response
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = std::str::from_utf8(&rest[..line_end]).expect("ASCII size");
        let size = usize::from_str_radix(size.split(';').next().unwrap_or(size).trim(), 16)
            .expect("a hex chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// The request head of a grpc-web call to `path`.
fn grpc_web_head(
    shop: &TestShop,
    path: &str,
    content_type: &str,
    token: Option<&str>,
    framing: Framing,
    body_length: usize,
) -> String {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\n\
         Host: {}\r\n\
         Content-Type: {content_type}\r\n\
         Accept: {content_type}\r\n\
         X-Grpc-Web: 1\r\n\
         X-User-Agent: grpc-web-javascript/0.1\r\n\
         Connection: close\r\n",
        shop.address
    );
    if let Some(token) = token {
        let _ = write!(head, "Authorization: Bearer {token}\r\n");
    }
    match framing {
        Framing::ContentLength => {
            let _ = write!(head, "Content-Length: {body_length}\r\n");
        }
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    head
}

/// `body` as the request's bytes under `framing`.
fn framed(body: &[u8], framing: Framing) -> Vec<u8> {
    match framing {
        Framing::ContentLength => body.to_vec(),
        Framing::Chunked => {
            let (first, second) = body.split_at(body.len().min(7));
            let mut out = Vec::new();
            for chunk in [first, second].into_iter().filter(|c| !c.is_empty()) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            out
        }
    }
}

fn is_text(content_type: &str) -> bool {
    content_type.starts_with("application/grpc-web-text")
}

/// One length-prefixed gRPC message frame.
fn data_frame(message: &[u8]) -> Vec<u8> {
    let mut frame = vec![0];
    frame.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

/// Calls `path` with `message` in grpc-web, as `content_type` says.
async fn grpc_web_call(
    shop: &TestShop,
    path: &str,
    content_type: &str,
    framing: Framing,
    token: Option<&str>,
    message: &impl Message,
) -> GrpcWebAnswer {
    let frame = data_frame(&message.encode_to_vec());
    let body = if is_text(content_type) {
        STANDARD.encode(frame).into_bytes()
    } else {
        frame
    };
    grpc_web_raw(shop, path, content_type, framing, token, &body).await
}

/// Sends `body` as it is (already in the wire format of `content_type`).
async fn grpc_web_raw(
    shop: &TestShop,
    path: &str,
    content_type: &str,
    framing: Framing,
    token: Option<&str>,
    body: &[u8],
) -> GrpcWebAnswer {
    let head = grpc_web_head(shop, path, content_type, token, framing, body.len());
    let response = exchange(shop, &head, &framed(body, framing)).await;
    grpc_web_answer(&response, is_text(content_type))
}

/// The frames of a grpc-web response body. Text mode may be several
/// base64 runs back to back (each padded), so it is decoded one 4-byte
/// quantum at a time, as the grpc-web JavaScript client does.
fn grpc_web_answer(response: &HttpResponse, text: bool) -> GrpcWebAnswer {
    let bytes = if text {
        let mut decoded = Vec::new();
        for quantum in response.body.chunks(4) {
            decoded.extend(STANDARD.decode(quantum).expect("base64 quanta"));
        }
        decoded
    } else {
        response.body.clone()
    };
    let mut answer = GrpcWebAnswer {
        http_status: response.status,
        metadata: http::HeaderMap::new(),
        messages: Vec::new(),
    };
    for (name, value) in &response.headers {
        insert(&mut answer.metadata, name, value);
    }
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        assert!(rest.len() >= 5, "a truncated frame header: {rest:?}");
        let flags = rest[0];
        let length = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        let payload = &rest[5..5 + length];
        if flags & 0x80 == 0 {
            answer.messages.push(payload.to_vec());
        } else {
            let trailers = std::str::from_utf8(payload).expect("ASCII trailers");
            for (name, value) in trailers.split("\r\n").filter_map(|l| l.split_once(':')) {
                insert(&mut answer.metadata, name, value);
            }
        }
        rest = &rest[5 + length..];
    }
    answer
}

fn insert(metadata: &mut http::HeaderMap, name: &str, value: &str) {
    let name = http::HeaderName::try_from(name.trim().to_ascii_lowercase()).expect("a header name");
    let value = http::HeaderValue::try_from(value.trim()).expect("a header value");
    metadata.insert(name, value);
}

const LIST_PRODUCTS: &str = "/shop.catalog.v1.CatalogService/ListProducts";
const CREATE_ORDER: &str = "/shop.orders.v1.OrderService/CreateOrder";
const WATCH_ORDER: &str = "/shop.orders.v1.OrderService/WatchOrder";

/// A shop whose breakers open at the first failure each backend is blamed
/// for, so any call wrongly blamed on a backend would make the next fail.
async fn shop_with_touchy_breakers() -> TestShop {
    TestShop::spawn_with(|config| {
        config.breaker_failures = 1;
        config.breaker_cool_down = std::time::Duration::from_secs(3600);
    })
    .await
}

/// Whether catalog still answers a native gRPC call (its breaker is closed).
async fn catalog_still_serves(shop: &TestShop) -> bool {
    shop.catalog
        .clone()
        .list_products(catalog_proto::ListProductsRequest::default())
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unary_calls_work_in_text_and_binary_mode_with_and_without_a_content_length() {
    let shop = shop_with_touchy_breakers().await;
    shop.product("Mug", 900, 5).await;

    for content_type in TEXT.into_iter().chain(BINARY) {
        for framing in FRAMINGS {
            let answer = grpc_web_call(
                &shop,
                LIST_PRODUCTS,
                content_type,
                framing,
                None,
                &catalog_proto::ListProductsRequest::default(),
            )
            .await;

            assert_eq!(
                (answer.http_status, answer.grpc_status()),
                (200, Some(0)),
                "{content_type}, {framing:?}: {answer:?}"
            );
            assert_eq!(answer.messages.len(), 1, "{content_type}, {framing:?}");
            let listed = catalog_proto::ListProductsResponse::decode(&answer.messages[0][..])
                .expect("a ListProductsResponse");
            assert_eq!(listed.products.len(), 1, "{content_type}, {framing:?}");
        }
    }
    assert!(catalog_still_serves(&shop).await, "no breaker opened");
}

#[tokio::test]
async fn the_gateways_own_service_answers_in_text_mode_with_and_without_a_content_length() {
    let shop = TestShop::spawn().await;
    let (email, password) = gateway::DEMO_CUSTOMER;

    for content_type in TEXT {
        for framing in FRAMINGS {
            let answer = grpc_web_call(
                &shop,
                "/shop.auth.v1.AuthService/Login",
                content_type,
                framing,
                None,
                &auth_proto::LoginRequest {
                    email: email.into(),
                    password: password.into(),
                },
            )
            .await;

            assert_eq!(
                answer.grpc_status(),
                Some(0),
                "{content_type}, {framing:?}: {answer:?}"
            );
            let login = auth_proto::LoginResponse::decode(&answer.messages[0][..])
                .expect("a LoginResponse");
            assert!(!login.access_token.is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_in_text_mode_can_be_watched_in_text_mode_until_it_ends() {
    let shop = shop_with_touchy_breakers().await;
    let mug = shop.product("Mug", 900, 5).await;
    let (token, _) = shop.register("text@example.com").await;

    let placed = grpc_web_call(
        &shop,
        CREATE_ORDER,
        TEXT[0],
        Framing::ContentLength,
        Some(&token),
        &shop.quoted_order(&token, "text-1", &mug, 1).await,
    )
    .await;
    assert_eq!(placed.grpc_status(), Some(0), "{placed:?}");
    let order = orders_proto::Order::decode(&placed.messages[0][..]).expect("an Order");
    assert_eq!(order.status(), OrderStatus::Confirmed);
    // Cancelled, so its stream has an end (a confirmed order's stays open
    // for its parcel's news).
    let cancelled = shop
        .orders
        .clone()
        .cancel_order(call(
            orders_proto::CancelOrderRequest {
                id: order.id.clone(),
                reason: "text mode test".into(),
            },
            Some(&token),
        ))
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(cancelled.status(), OrderStatus::Cancelled);

    for content_type in TEXT {
        for framing in FRAMINGS {
            let watched = grpc_web_call(
                &shop,
                WATCH_ORDER,
                content_type,
                framing,
                Some(&token),
                &orders_proto::WatchOrderRequest {
                    id: order.id.clone(),
                    after_sequence: 2,
                },
            )
            .await;

            assert_eq!(
                watched.grpc_status(),
                Some(0),
                "{content_type}, {framing:?}: {watched:?}"
            );
            let statuses: Vec<OrderStatus> = watched
                .messages
                .iter()
                .map(|m| orders_proto::OrderEvent::decode(&m[..]).expect("an OrderEvent"))
                .map(|event| event.status())
                .collect();
            assert_eq!(
                statuses,
                [
                    OrderStatus::Paid,
                    OrderStatus::Confirmed,
                    OrderStatus::Cancelling,
                    OrderStatus::Cancelled
                ],
                "{content_type}, {framing:?}"
            );
        }
    }
    assert!(catalog_still_serves(&shop).await, "no breaker opened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_body_is_the_callers_error_and_no_backend_is_blamed() {
    let shop = shop_with_touchy_breakers().await;

    for framing in FRAMINGS {
        let not_base64 = grpc_web_raw(
            &shop,
            LIST_PRODUCTS,
            TEXT[0],
            framing,
            None,
            b"this is not base64!!",
        )
        .await;
        let refusal = not_base64.status();
        assert_eq!(
            refusal.code(),
            tonic::Code::InvalidArgument,
            "{framing:?}: {not_base64:?}"
        );
        assert_eq!(reason(&refusal), "MALFORMED_REQUEST_BODY");

        // A frame that announces 100 bytes and ends after 3.
        let cut_short = [0, 0, 0, 0, 100, 1, 2, 3];
        let truncated =
            grpc_web_raw(&shop, LIST_PRODUCTS, BINARY[0], framing, None, &cut_short).await;
        assert_ne!(
            truncated.grpc_status(),
            Some(tonic::Code::Unavailable as i32),
            "{framing:?}: {truncated:?}"
        );
    }

    assert!(catalog_still_serves(&shop).await, "no breaker opened");
}

#[tokio::test]
async fn a_body_that_stops_before_its_content_length_does_not_open_a_breaker() {
    let shop = shop_with_touchy_breakers().await;
    let head = grpc_web_head(
        &shop,
        LIST_PRODUCTS,
        BINARY[0],
        None,
        Framing::ContentLength,
        100,
    );

    let mut socket = TcpStream::connect(shop.address).await.expect("connect");
    socket.write_all(head.as_bytes()).await.expect("head");
    socket
        .write_all(&[0, 0, 0, 0, 95, 1, 2])
        .await
        .expect("body");
    socket.shutdown().await.expect("half-close");
    let mut answer = Vec::new();
    // Whatever comes back (an answer, or the connection closed): only
    // that the gateway is done with the call matters.
    let _ = socket.read_to_end(&mut answer).await;

    assert!(catalog_still_serves(&shop).await, "no breaker opened");
}

#[tokio::test]
async fn urls_the_gateway_does_not_serve_are_not_found_and_the_storefront_still_is() {
    let shop = TestShop::spawn().await;
    let host = shop.address;

    let get = exchange(
        &shop,
        &format!("GET /nope HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(get.status, 404, "{get:?}");
    assert!(!get.body.is_empty(), "a short explanation");

    let post = exchange(
        &shop,
        &format!(
            "POST /x HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: 2\r\nConnection: close\r\n\r\n"
        ),
        b"{}",
    )
    .await;
    assert_eq!(post.status, 404, "{post:?}");

    let page = exchange(
        &shop,
        &format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("<title>Shop</title>"));
}

#[tokio::test]
async fn unknown_and_internal_methods_are_unimplemented_with_a_reason_in_grpc_web_too() {
    let shop = TestShop::spawn().await;
    for (path, why) in [
        ("/shop.payments.v1.PaymentService/Charge", "NOT_ROUTED"),
        ("/shop.nothing.v1.Nowhere/Anything", "UNIMPLEMENTED"),
    ] {
        let answer = grpc_web_raw(
            &shop,
            path,
            TEXT[0],
            Framing::ContentLength,
            None,
            STANDARD.encode(data_frame(b"")).as_bytes(),
        )
        .await;
        let status = answer.status();
        assert_eq!(
            status.code(),
            tonic::Code::Unimplemented,
            "{path}: {answer:?}"
        );
        assert_eq!(reason(&status), why, "{path}");
    }
}

/// One reflection request through the gateway, and its answer.
async fn reflect(shop: &TestShop, request: MessageRequest) -> MessageResponse {
    let mut reflection = ServerReflectionClient::new(shop.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut answers = reflection
        .server_reflection_info(tonic::codegen::tokio_stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    answers
        .message()
        .await
        .expect("an answer")
        .and_then(|answer| answer.message_response)
        .expect("a response")
}

/// The methods reflection describes for `service`.
async fn reflected_methods(shop: &TestShop, service: &str) -> Vec<String> {
    let MessageResponse::FileDescriptorResponse(files) =
        reflect(shop, MessageRequest::FileContainingSymbol(service.into())).await
    else {
        panic!("{service}: no file");
    };
    let (package, name) = service.rsplit_once('.').expect("a qualified name");
    let mut methods: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost_types::FileDescriptorProto::decode(&bytes[..]).expect("a file"))
        .filter(|file| file.package() == package)
        .flat_map(|file| file.service)
        .filter(|s| s.name() == name)
        .flat_map(|s| s.method)
        .map(|method| method.name().to_owned())
        .collect();
    methods.sort();
    methods
}

#[tokio::test]
async fn reflection_describes_the_methods_the_gateway_routes_and_no_others() {
    let shop = TestShop::spawn().await;
    let MessageResponse::ListServicesResponse(listed) =
        reflect(&shop, MessageRequest::ListServices(String::new())).await
    else {
        panic!("no service list");
    };
    let mut services: Vec<String> = listed.service.into_iter().map(|s| s.name).collect();
    services.sort();
    assert_eq!(
        services,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "shop.auth.v1.AuthService",
            "shop.cart.v1.CartService",
            "shop.catalog.v1.CatalogService",
            "shop.catalog.v1.InventoryService",
            "shop.fulfilment.v1.FulfilmentService",
            "shop.notifications.v1.NotificationService",
            "shop.orders.v1.OrderService",
            "shop.payments.v1.PaymentService",
        ]
    );

    let routed: Vec<String> = gateway::routes::policy()
        .paths()
        .map(str::to_owned)
        .collect();
    for service in services.iter().filter(|s| s.starts_with("shop.")) {
        for method in reflected_methods(&shop, service).await {
            let path = format!("/{service}/{method}");
            assert!(
                routed.contains(&path),
                "reflection shows {path}, never routed"
            );
        }
    }
    assert_eq!(
        reflected_methods(&shop, "shop.catalog.v1.InventoryService").await,
        ["AdjustStock", "GetStock", "ListReservations"]
    );
}

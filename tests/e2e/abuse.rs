//! One client cannot hurt another. While client A sends every kind of
//! abusive call (requests whose error answer is huge or quotes a huge
//! value, grpc-web-text with a Content-Length, 1-2 ms deadlines, bodies at
//! and over the size limit, garbage bodies, huge metadata, calls and
//! streams it walks away from),
//! client B's GetProduct, Login, CreateOrder and ListPayments all succeed
//! and no circuit breaker opens: through the gateway, and with A and B
//! calling catalog, orders and payments directly.
//!
//! Whether a breaker opened is read from this test's own shop, not from
//! the process-wide metrics: every test in this binary shares one metrics
//! recorder, and the resilience tests open breakers on purpose, so
//! `grpc_client_circuit_opened_total` could not be pinned on this test.
//! Instead every answer either client gets is checked for the refusal of
//! an open breaker ("circuit open"), which is what any caller gets while
//! one is open. The shop's breakers (the gateway's and orders') get a
//! cool-down longer than the test, so one that opens keeps refusing (until
//! a call already in flight comes back fine), and B's last round, after A
//! is done, sends one call down every guarded route (gateway -> catalog,
//! orders, payments; orders -> catalog, payments).

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use contracts::{
    catalog::{self as catalog_proto, catalog_service_client::CatalogServiceClient},
    fulfilment::fulfilment_service_client::FulfilmentServiceClient,
    orders::{self as orders_proto, OrderStatus, order_service_client::OrderServiceClient},
    payments::{self as payments_proto, payment_service_client::PaymentServiceClient},
};
use gateway::limits::Rate;
use http_body_util::StreamBody;
use platform::auth::Role;
use prost::Message as _;
use rand::{Rng, SeedableRng, rngs::StdRng};
use tonic::{Code, Status, transport::Channel};
use tower::ServiceExt;

use crate::{
    helpers::*,
    raw::{self, Outcome, RawCall, frame, frame_with},
};

/// How many times A repeats each abusive call: more than the five
/// consecutive failures that open a breaker.
const ROUNDS: usize = 6;

/// The largest message a server takes (tonic's default, which every
/// service keeps).
const MAX_MESSAGE: usize = 4 * 1024 * 1024;

const GET_PRODUCT: &str = "/shop.catalog.v1.CatalogService/GetProduct";
const BATCH_GET: &str = "/shop.catalog.v1.CatalogService/BatchGetProducts";
const LIST_PRODUCTS: &str = "/shop.catalog.v1.CatalogService/ListProducts";
const UPDATE_PRODUCT: &str = "/shop.catalog.v1.CatalogService/UpdateProduct";
const CREATE_ORDER: &str = "/shop.orders.v1.OrderService/CreateOrder";
const GET_ORDER: &str = "/shop.orders.v1.OrderService/GetOrder";
const WATCH_ORDER: &str = "/shop.orders.v1.OrderService/WatchOrder";
const LIST_PAYMENTS: &str = "/shop.payments.v1.PaymentService/ListPayments";
const HEALTH_WATCH: &str = "/grpc.health.v1.Health/Watch";

/// A shop whose breakers, once open, stay open for the rest of the test,
/// and whose rate limit lets all of A's calls reach the services (the
/// point is what the services and guards make of them).
async fn shop_with_sticky_breakers() -> TestShop {
    TestShop::spawn_configured(|services| {
        let an_hour = Duration::from_secs(3600);
        services.gateway.breaker_cool_down = an_hour;
        services.orders.breaker_cool_down = an_hour;
        services.gateway.rate = Rate {
            per_second: 100_000.0,
            burst: 100_000,
        };
    })
    .await
}

/// A call of A's: what it is, and how to make it.
struct Abuse {
    what: String,
    call: Box<dyn Fn() -> RawCall + Send + Sync>,
    /// A walks away on purpose: its own short time limit is no hang.
    walks_away: bool,
    /// The call deserves a gRPC answer (not a dropped stream or an HTTP
    /// error): false only where the HTTP/2 layer may refuse the headers.
    must_answer: bool,
}

impl Abuse {
    fn new(what: impl Into<String>, call: impl Fn() -> RawCall + Send + Sync + 'static) -> Self {
        Self {
            what: what.into(),
            call: Box::new(call),
            walks_away: false,
            must_answer: true,
        }
    }

    fn walking_away(mut self) -> Self {
        self.walks_away = true;
        self.must_answer = false;
        self
    }

    fn maybe_refused(mut self) -> Self {
        self.must_answer = false;
        self
    }
}

/// A message of `size` bytes in all, nearly all of them a string in field
/// 1 (the id of GetProduct and GetOrder; a wrong wire type elsewhere, which
/// the size limit must refuse before decoding anyway).
fn message_of_size(size: usize) -> Vec<u8> {
    // Tag (1 byte) and a 4-byte length: right for every size used here.
    let len = size - 5;
    let mut message = vec![0x0a];
    let mut n = len;
    for _ in 0..3 {
        message.push(u8::try_from(n & 0x7f).expect("seven bits") | 0x80);
        n >>= 7;
    }
    message.push(u8::try_from(n).expect("a size under 2^28 leaves under 0x80"));
    message.resize(size, b'x');
    message
}

/// An admin's UpdateProduct whose mask names one unknown path of 70 000
/// characters: a valid message far under the size limit, whose error
/// answer would quote that path.
fn long_mask_path(product: &str, admin: String) -> Abuse {
    let message = catalog_proto::UpdateProductRequest {
        product: Some(catalog_proto::Product {
            id: product.to_owned(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["z".repeat(70_000)],
        }),
    }
    .encode_to_vec();
    Abuse::new(
        format!("{UPDATE_PRODUCT} (an admin's) naming a 70 000-character mask path"),
        move || RawCall::new(UPDATE_PRODUCT, frame(&message)).bearer(Some(&admin)),
    )
}

fn invalid_ids(n: usize) -> catalog_proto::BatchGetProductsRequest {
    catalog_proto::BatchGetProductsRequest {
        ids: (0..n).map(|i| format!("no-such-product-{i}")).collect(),
    }
}

/// Every abusive call A makes on `path`s served by a target: `cheap` is a
/// method any caller may call, `heavy` requests get huge error answers.
fn abuses(
    cheap: (&'static str, Vec<u8>),
    heavy: Vec<(&'static str, Vec<u8>)>,
    streams: Vec<(&'static str, Vec<u8>)>,
    token: Option<String>,
) -> Vec<Abuse> {
    let token = Arc::new(token);
    let mut list = Vec::new();
    let plain = {
        let token = token.clone();
        move |path: &str, body: Vec<u8>| RawCall::new(path, body).bearer(token.as_deref())
    };
    let mut with_deadlines = heavy.clone();
    with_deadlines.push(cheap.clone());
    for (path, message) in heavy {
        let plain = plain.clone();
        list.push(Abuse::new(
            format!("{path} with a huge error answer"),
            move || plain(path, frame(&message)),
        ));
    }
    for (path, message) in with_deadlines {
        for deadline in ["1m", "2m"] {
            let plain = plain.clone();
            let message = message.clone();
            list.push(Abuse::new(
                format!("{path} with grpc-timeout {deadline}"),
                move || plain(path, frame(&message)).header("grpc-timeout", deadline),
            ));
        }
    }
    let (path, message) = cheap;
    for (what, size) in [
        ("at the size limit", MAX_MESSAGE),
        ("one byte over the size limit", MAX_MESSAGE + 1),
    ] {
        let plain = plain.clone();
        let body = frame(&message_of_size(size));
        list.push(Abuse::new(
            format!("{path} with a body {what}"),
            move || {
                let mut call = plain(path, body.clone());
                // 4 MiB through a debug build on a busy machine: slow, not stuck.
                call.timeout = Duration::from_secs(30);
                call
            },
        ));
    }
    let mut rng = StdRng::seed_from_u64(11);
    let garbage: Vec<u8> = (0..512).map(|_| rng.r#gen()).collect();
    {
        let plain = plain.clone();
        let garbage = garbage.clone();
        list.push(Abuse::new(
            format!("{path} with garbage in a frame"),
            move || plain(path, frame(&garbage)),
        ));
    }
    {
        let plain = plain.clone();
        list.push(Abuse::new(
            format!("{path} with garbage for a body"),
            move || plain(path, garbage.clone()),
        ));
    }
    {
        let plain = plain.clone();
        let message = message.clone();
        list.push(Abuse::new(
            format!("{path} with a frame claiming more than is sent"),
            move || plain(path, frame_with(false, message.len() + 1000, &message)),
        ));
    }
    {
        let plain = plain.clone();
        let message = message.clone();
        list.push(
            Abuse::new(format!("{path} with 300 extra headers"), move || {
                let mut call = plain(path, frame(&message));
                for i in 0..300 {
                    call = call.header(&format!("x-abuse-{i}"), "0123456789abcdef0123456789abcdef");
                }
                call
            })
            .maybe_refused(),
        );
    }
    for size in [12 * 1024, 1024 * 1024] {
        let plain = plain.clone();
        let message = message.clone();
        let abuse = Abuse::new(format!("{path} with a {size}-byte header"), move || {
            plain(path, frame(&message)).header("x-abuse", &"a".repeat(size))
        });
        // Within the usual 16 KiB header limit it must be served.
        list.push(if size > 16 * 1024 {
            abuse.maybe_refused()
        } else {
            abuse
        });
    }
    {
        let plain = plain.clone();
        let message = message.clone();
        list.push(
            Abuse::new(format!("{path}, the caller gone after 2 ms"), move || {
                let mut call = plain(path, frame(&message));
                call.timeout = Duration::from_millis(2);
                call
            })
            .walking_away(),
        );
    }
    for (path, message) in streams {
        let plain = plain.clone();
        list.push(Abuse::new(
            format!("{path}, the caller gone after the first message"),
            move || {
                let mut call = plain(path, frame(&message));
                call.streaming = true;
                call
            },
        ));
    }
    list
}

/// What A's calls got back, by abusive call, and what in that shows harm.
#[derive(Default)]
struct Report {
    seen: BTreeMap<String, Vec<String>>,
    harm: Vec<String>,
}

impl Report {
    fn extend(&mut self, other: Report, prefix: &str) {
        for (what, seen) in other.seen {
            self.seen.insert(format!("{prefix}{what}"), seen);
        }
        self.harm
            .extend(other.harm.into_iter().map(|h| format!("{prefix}{h}")));
    }
}

/// What in one answer to A shows harm to the shop (or a broken promise).
fn harm_in(abuse: &Abuse, outcome: &Outcome) -> Option<String> {
    let what = &abuse.what;
    match outcome {
        outcome if outcome.is_circuit_open() => Some(format!(
            "{what}: answered with an open circuit: the breaker opened ({outcome})"
        )),
        Outcome::Hung if !abuse.walks_away => {
            Some(format!("{what}: the shop left the caller hanging"))
        }
        Outcome::Answered {
            code: Some(code @ (Code::Unavailable | Code::Unknown)),
            ..
        } => Some(format!(
            "{what}: {code:?} while every service is up ({outcome}): the guard counts such \
             calls against the dependency, so a few of them open its breaker"
        )),
        Outcome::Answered { http, .. } if abuse.must_answer && *http != 200 => {
            Some(format!("{what}: no gRPC answer ({outcome})"))
        }
        Outcome::Answered {
            code: None,
            messages: 0,
            ..
        } if abuse.must_answer => Some(format!("{what}: no gRPC answer ({outcome})")),
        Outcome::Transport(_) if abuse.must_answer => Some(format!(
            "{what}: the call failed in transport instead of getting a status ({outcome})"
        )),
        _ => None,
    }
}

/// Runs every abuse `ROUNDS` times, each kind in its own task, each call
/// on a new connection to `address` (a real client's, which waits for the
/// server's answer whatever deadline it asked for), all at once.
async fn run_abuses(address: SocketAddr, abuses: Vec<Abuse>) -> Report {
    let tasks = abuses.into_iter().map(|abuse| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut harm = None;
            for _ in 0..ROUNDS {
                let outcome = (abuse.call)().send_over_new_connection(address).await;
                harm = harm.or_else(|| harm_in(&abuse, &outcome));
                if abuse.walks_away && outcome == Outcome::Hung {
                    seen.push("walked away".to_owned());
                } else {
                    seen.push(outcome.to_string());
                }
            }
            (abuse.what, seen, harm)
        })
    });
    let mut report = Report::default();
    for joined in futures_util::future::join_all(tasks).await {
        let (what, seen, harm) = joined.expect("an abuse task panicked");
        report.seen.insert(what, seen);
        report.harm.extend(harm);
    }
    report
}

/// A body that sends half a frame and never finishes, on a request A
/// drops a moment later: the server is left with a caller that vanished
/// mid-request.
async fn half_a_request_then_gone(
    address: SocketAddr,
    path: &'static str,
    token: Option<&str>,
) -> String {
    let channel = platform::client::channel(&format!("http://{address}")).expect("url");
    let half = Bytes::from(frame_with(false, 100, &[0x0a, 0x10]));
    let body = futures_util::StreamExt::chain(
        futures_util::stream::iter([Ok::<_, Status>(hyper::body::Frame::data(half))]),
        futures_util::stream::pending(),
    );
    let mut request = http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(tonic::body::Body::new(StreamBody::new(body)))
        .expect("request");
    match tokio::time::timeout(Duration::from_millis(200), channel.oneshot(request)).await {
        Err(_) => "walked away".to_owned(),
        Ok(Ok(response)) => format!("answered HTTP {} before the body ended", response.status()),
        Ok(Err(error)) => format!("transport error: {error}"),
    }
}

/// grpc-web-text POSTs with a Content-Length, as browsers' fetch sends
/// them, each on its own HTTP/1.1 connection.
async fn grpc_web_text_abuse(address: SocketAddr, product: String) -> Report {
    let mut report = Report::default();
    let calls = [
        (
            "grpc-web-text GetProduct with Content-Length",
            GET_PRODUCT,
            catalog_proto::GetProductRequest { id: product }.encode_to_vec(),
            Code::Ok,
        ),
        (
            "grpc-web-text BatchGetProducts of 500 invalid ids with Content-Length",
            BATCH_GET,
            invalid_ids(500).encode_to_vec(),
            Code::InvalidArgument,
        ),
    ];
    for (what, path, message, expected) in calls {
        let mut seen = Vec::new();
        let mut harm = None;
        for _ in 0..ROUNDS {
            let (line, code) = match raw::grpc_web_text(address, path, &message, "").await {
                Ok(answer) => (
                    format!(
                        "{}, grpc-status {:?}",
                        answer.head.lines().next().unwrap_or_default(),
                        answer.grpc_status()
                    ),
                    answer.grpc_status(),
                ),
                Err(error) => (error, None),
            };
            if code != Some(expected) && harm.is_none() {
                harm = Some(format!("{what}: expected {expected:?}, got {line}"));
            }
            seen.push(line);
        }
        report.seen.insert(what.to_owned(), seen);
        report.harm.extend(harm);
    }
    report
}

/// Client B: ordinary calls, in rounds, until told to stop (at least one
/// round), then one last round after A is done. Returns what failed.
struct ClientB {
    catalog: CatalogServiceClient<Channel>,
    orders: OrderServiceClient<Channel>,
    payments: PaymentServiceClient<Channel>,
    /// Shipping quotes, always through the gateway (as a storefront gets them).
    quotes: FulfilmentServiceClient<Channel>,
    /// Signs in through the gateway when set; else uses `token` as is.
    shop: Option<Arc<TestShop>>,
    token: String,
    product: String,
    name: &'static str,
}

impl ClientB {
    async fn round(&mut self, round: usize, failures: &mut Vec<String>) {
        let mut failed = |what: &str, status: Status| {
            failures.push(format!(
                "B ({}) round {round}: {what} failed: {:?} {}",
                self.name,
                status.code(),
                status.message()
            ));
        };
        if let Err(status) = self
            .catalog
            .get_product(catalog_proto::GetProductRequest {
                id: self.product.clone(),
            })
            .await
        {
            failed("GetProduct", status);
        }
        if let Some(shop) = &self.shop {
            let (email, password) = gateway::DEMO_CUSTOMER;
            match shop.login(email, password).await {
                Ok(token) => self.token = token,
                Err(status) => failed("Login", status),
            }
        }
        let request_id = format!("b-{}-{round}", self.name);
        let order = order_of(&request_id, &self.product, 1);
        let order = match with_quote(&self.quotes, &self.token, order).await {
            Ok(quoted) => quoted,
            Err(status) => {
                failed("GetShippingQuote", status);
                return;
            }
        };
        match self
            .orders
            .create_order(call(order, Some(&self.token)))
            .await
        {
            Ok(order) if order.get_ref().status() == OrderStatus::Confirmed => {}
            Ok(order) => failed(
                "CreateOrder",
                Status::unknown(format!(
                    "the order ended {:?} ({:?}), not CONFIRMED",
                    order.get_ref().status(),
                    order.get_ref().failure_reason()
                )),
            ),
            Err(status) => failed("CreateOrder", status),
        }
        if let Err(status) = self
            .payments
            .list_payments(call(
                payments_proto::ListPaymentsRequest::default(),
                Some(&self.token),
            ))
            .await
        {
            failed("ListPayments", status);
        }
    }

    /// Rounds until A is done, then one more; meanwhile B also browses
    /// (GetProduct) as fast as it can, so an open breaker cannot slip
    /// between two of its slower rounds unnoticed.
    async fn run_until(mut self, a_done: Arc<AtomicBool>) -> (usize, Vec<String>) {
        let browse = {
            let mut catalog = self.catalog.clone();
            let product = self.product.clone();
            let a_done = a_done.clone();
            let name = self.name;
            async move {
                let mut failures = Vec::new();
                let mut look = 0;
                while !a_done.load(Ordering::SeqCst) {
                    let request = catalog_proto::GetProductRequest {
                        id: product.clone(),
                    };
                    if let Err(status) = catalog.get_product(request).await {
                        failures.push(format!(
                            "B ({name}) browsing, look {look}: GetProduct failed: {:?} {}",
                            status.code(),
                            status.message()
                        ));
                    }
                    look += 1;
                }
                failures
            }
        };
        let rounds = async {
            let mut failures = Vec::new();
            let mut round = 0;
            loop {
                let last = a_done.load(Ordering::SeqCst);
                self.round(round, &mut failures).await;
                round += 1;
                if last {
                    return (round, failures);
                }
            }
        };
        let (browsing, (rounds, mut failures)) = tokio::join!(browse, rounds);
        failures.extend(browsing);
        (rounds, failures)
    }
}

/// Runs A's abuse (all of `a`) alongside B, and asserts B never noticed,
/// no breaker opened, and nothing in A's answers shows harm.
async fn assert_b_unhurt(
    where_: &str,
    b: ClientB,
    a: impl std::future::Future<Output = Report> + Send + 'static,
) {
    let a_done = Arc::new(AtomicBool::new(false));
    let b = tokio::spawn(b.run_until(a_done.clone()));
    let report = a.await;
    a_done.store(true, Ordering::SeqCst);
    let (rounds, b_failures) = b.await.expect("client B panicked");

    let a_saw = report
        .seen
        .iter()
        .fold(String::new(), |mut text, (what, seen)| {
            let _ = writeln!(text, "  {what}: {}", seen.join(" | "));
            text
        });
    let list = |items: &[String]| {
        let mut text = items.iter().take(12).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "  {i}");
            text
        });
        match items.len() {
            0 => text.push_str("  none\n"),
            n if n > 12 => {
                let _ = writeln!(text, "  ... and {} more", n - 12);
            }
            _ => {}
        }
        text
    };
    assert!(
        b_failures.is_empty() && report.harm.is_empty(),
        "{where_}: client A's abuse did harm.\n\
         B's calls that failed ({rounds} rounds of GetProduct, Login, CreateOrder, ListPayments):\n{}\
         harm seen in A's answers:\n{}\
         every answer A got:\n{a_saw}",
        list(&b_failures),
        list(&report.harm),
    );
}

/// Orders of A's own (quoted through the gateway of `shop`), so its
/// streams have something to watch.
async fn a_order(shop: &TestShop, product: &str, token: &str, channel: Channel) -> String {
    let order = shop.quoted_order(token, "a-own-order", product, 1).await;
    OrderServiceClient::new(channel)
        .create_order(call(order, Some(token)))
        .await
        .expect("A's own order")
        .into_inner()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_gateway_no_client_can_hurt_another() {
    let shop = Arc::new(shop_with_sticky_breakers().await);
    let product = shop.product("Steady beans", 1000, 1_000_000).await;
    let (a_token, _) = shop.register("abuser@example.com").await;
    let order = a_order(&shop, &product, &a_token, shop.channel.clone()).await;

    let web_product = product.clone();
    let mut list = abuses(
        (
            GET_PRODUCT,
            catalog_proto::GetProductRequest {
                id: product.clone(),
            }
            .encode_to_vec(),
        ),
        vec![(BATCH_GET, invalid_ids(500).encode_to_vec())],
        vec![(
            WATCH_ORDER,
            orders_proto::WatchOrderRequest {
                id: order.clone(),
                after_sequence: 0,
            }
            .encode_to_vec(),
        )],
        Some(a_token.clone()),
    );
    list.extend(abuses(
        (
            LIST_PRODUCTS,
            catalog_proto::ListProductsRequest::default().encode_to_vec(),
        ),
        vec![(CREATE_ORDER, huge_invalid_order().encode_to_vec())],
        vec![(HEALTH_WATCH, Vec::new())],
        None,
    ));
    list.push(long_mask_path(&product, shop.admin().await));
    let a = {
        let address = shop.address;
        let a_token = a_token.clone();
        async move {
            let (mut report, web, gone) = tokio::join!(
                run_abuses(address, list),
                grpc_web_text_abuse(address, web_product),
                async {
                    let mut seen = Vec::new();
                    for _ in 0..ROUNDS {
                        seen.push(half_a_request_then_gone(address, GET_PRODUCT, None).await);
                        seen.push(
                            half_a_request_then_gone(address, CREATE_ORDER, Some(&a_token)).await,
                        );
                    }
                    seen
                }
            );
            report.extend(web, "");
            report.seen.insert("half a request, then gone".into(), gone);
            report
        }
    };
    let b = ClientB {
        catalog: shop.catalog.clone(),
        orders: shop.orders.clone(),
        payments: PaymentServiceClient::new(shop.channel.clone()),
        quotes: shop.fulfilment.clone(),
        shop: Some(shop.clone()),
        token: String::new(),
        product,
        name: "gateway",
    };
    assert_b_unhurt("through the gateway", b, a).await;
}

/// An order of 500 lines, each naming no product and a negative quantity:
/// much for the service to read and refuse.
fn huge_invalid_order() -> orders_proto::CreateOrderRequest {
    orders_proto::CreateOrderRequest {
        request_id: "a-huge".into(),
        lines: (0..500)
            .map(|i| orders_proto::LineItem {
                product_id: format!("no-such-product-{i}"),
                quantity: -1,
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directly_at_each_service_no_client_can_hurt_another() {
    let shop = shop_with_sticky_breakers().await;
    let product = shop.product("Steady beans", 1000, 1_000_000).await;
    let backends = &shop.backends;
    let direct =
        |address: SocketAddr| platform::client::channel(&format!("http://{address}")).expect("url");
    let a_token = shop.keys.user_token("abuser", Role::Customer);
    let b_token = shop.keys.user_token("steady-customer", Role::Customer);
    let order = a_order(&shop, &product, &a_token, direct(backends.orders)).await;

    let catalog = abuses(
        (
            GET_PRODUCT,
            catalog_proto::GetProductRequest {
                id: product.clone(),
            }
            .encode_to_vec(),
        ),
        vec![(BATCH_GET, invalid_ids(500).encode_to_vec())],
        vec![(HEALTH_WATCH, Vec::new())],
        Some(a_token.clone()),
    );
    let mut catalog = catalog;
    catalog.push(long_mask_path(
        &product,
        shop.keys.user_token("admin-a", Role::Admin),
    ));
    let orders = abuses(
        (
            GET_ORDER,
            orders_proto::GetOrderRequest { id: order.clone() }.encode_to_vec(),
        ),
        vec![(CREATE_ORDER, huge_invalid_order().encode_to_vec())],
        vec![
            (
                WATCH_ORDER,
                orders_proto::WatchOrderRequest {
                    id: order,
                    after_sequence: 0,
                }
                .encode_to_vec(),
            ),
            (HEALTH_WATCH, Vec::new()),
        ],
        Some(a_token.clone()),
    );
    // Orders with 1-2 ms deadlines make orders call catalog and payments
    // with what is left of them.
    let mut orders = orders;
    let quoted = shop.quoted_order(&a_token, "deadline", &product, 1).await;
    for deadline in ["1m", "2m"] {
        let token = a_token.clone();
        let quoted = quoted.clone();
        orders.push(Abuse::new(
            format!("{CREATE_ORDER} (a valid order) with grpc-timeout {deadline}"),
            move || {
                let order = orders_proto::CreateOrderRequest {
                    request_id: uuid::Uuid::new_v4().to_string(),
                    ..quoted.clone()
                };
                RawCall::new(CREATE_ORDER, frame(&order.encode_to_vec()))
                    .bearer(Some(&token))
                    .header("grpc-timeout", deadline)
            },
        ));
    }
    let payments = abuses(
        (
            LIST_PAYMENTS,
            payments_proto::ListPaymentsRequest::default().encode_to_vec(),
        ),
        Vec::new(),
        vec![(HEALTH_WATCH, Vec::new())],
        Some(a_token.clone()),
    );
    let (catalog_at, orders_at, payments_at) =
        (backends.catalog, backends.orders, backends.payments);
    let a = async move {
        let (catalog, orders, payments, gone) = tokio::join!(
            run_abuses(catalog_at, catalog),
            run_abuses(orders_at, orders),
            run_abuses(payments_at, payments),
            async {
                let mut seen = Vec::new();
                for _ in 0..ROUNDS {
                    seen.push(half_a_request_then_gone(catalog_at, GET_PRODUCT, None).await);
                    seen.push(
                        half_a_request_then_gone(orders_at, CREATE_ORDER, Some(&a_token)).await,
                    );
                }
                seen
            }
        );
        let mut report = Report::default();
        report.extend(catalog, "catalog: ");
        report.extend(orders, "orders: ");
        report.extend(payments, "payments: ");
        report.seen.insert("half a request, then gone".into(), gone);
        report
    };
    let b = ClientB {
        catalog: CatalogServiceClient::new(direct(backends.catalog)),
        orders: OrderServiceClient::new(direct(backends.orders)),
        payments: PaymentServiceClient::new(direct(backends.payments)),
        quotes: shop.fulfilment.clone(),
        shop: None,
        token: b_token,
        product,
        name: "direct",
    };
    assert_b_unhurt("directly at the services", b, a).await;
}

//! kill -9 under load, on PostgreSQL, with every service its own OS
//! process: catalog, payments, fulfilment (shipping quotes) and two orders
//! replicas on one database. Checkouts (each with a shipping quote got
//! first) run while payments and the orders replicas are killed
//! (SIGKILL) and restarted at random moments. Afterwards, within the
//! documented bound, every order is at rest, and stock and money balance:
//! available + reserved + sold = initial with nothing left reserved; a
//! confirmed order captured exactly once; a failed order nets zero; every
//! wallet holds its top-ups minus what its confirmed orders took.
//!
//! The services are this test executable itself, started again as a child
//! in "service mode" (see [`service_mode`]), so `cargo test` builds
//! everything it spawns. Runs only when `TEST_DATABASE_URL` is set; the
//! shortened lease, card TTL and recovery interval are the services' own
//! settings (the `--lease`, `--card-ttl`, `--recovery-interval` flags).
//! `SHOP_CRASH_SEED` replays a run's random choices (printed at start).

use std::{
    collections::HashMap,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use contracts::{
    catalog::{self as catalog_proto, inventory_service_client::InventoryServiceClient},
    common,
    fulfilment::{self as fulfilment_proto, fulfilment_service_client::FulfilmentServiceClient},
    orders::{self as proto, OrderStatus, order_service_client::OrderServiceClient},
    payments::{self as payments_proto, payment_service_client::PaymentServiceClient},
};
use platform::{
    auth::{DEFAULT_AUDIENCE, KeyPair, Role, Signer, Verifier, issuer},
    testing::{TestDatabase, address, authorized, card, wallet},
};
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// The environment variable naming the service a child process runs.
const ROLE: &str = "SHOP_CRASH_SERVICE";

// The services' settings, shortened so a run fits in about a minute.
const LEASE: Duration = Duration::from_secs(2);
const CARD_TTL: Duration = Duration::from_secs(3);
const RECOVERY_INTERVAL: Duration = Duration::from_millis(300);
const STALE_AFTER: Duration = Duration::from_secs(1);
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
const RETRY_ATTEMPTS: u32 = 2;
const CHARGE_LEASE: Duration = Duration::from_secs(2);
const PROCESSOR_TIMEOUT: Duration = Duration::from_secs(1);

/// How long checkouts (and kills) go on.
const LOAD_FOR: Duration = Duration::from_secs(20);
/// Concurrent customers.
const CUSTOMERS: usize = 6;
/// Units of each product at the start.
const INITIAL_STOCK: i64 = 500;
/// Store credit each customer starts with.
const TOP_UP: i64 = 1_000_000;

/// The documented bound (README, "Checkout, and what happens when it is
/// interrupted"): card TTL + lease + recovery interval + payments' charge
/// lease, plus the calls left to make (at most four steps of `attempts x
/// call timeout`), counted from when the last service came back.
fn settle_bound() -> Duration {
    CARD_TTL + LEASE + RECOVERY_INTERVAL + CHARGE_LEASE + CALL_TIMEOUT * (4 * RETRY_ATTEMPTS)
}

/// In a child process: runs the service `SHOP_CRASH_SERVICE` names until it
/// is killed. In the test run itself: passes at once.
#[test]
fn service_mode() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let service = match role.as_str() {
            "catalog" => "catalog",
            "payments" => "payments",
            "fulfilment" => "fulfilment",
            _ => "orders",
        };
        let _telemetry = platform::telemetry::init(platform::telemetry::LogFormat::Pretty, service);
        // Never outlive the test run (if it was killed itself).
        let parent = std::os::unix::process::parent_id();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if std::os::unix::process::parent_id() != parent {
                    std::process::exit(0);
                }
            }
        });
        run_service(&role).await;
    });
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

async fn run_service(role: &str) {
    let verifier = Verifier::new(issuer::GATEWAY, DEFAULT_AUDIENCE)
        .trust(issuer::GATEWAY, &var("CRASH_GATEWAY_PUBLIC"))
        .and_then(|v| v.trust(issuer::ORDERS, &var("CRASH_ORDERS_PUBLIC")))
        .expect("trust list");
    let listener = tokio::net::TcpListener::bind(var("CRASH_LISTEN"))
        .await
        .expect("listen");
    let database_url = var("CRASH_DATABASE_URL");
    let forever = std::future::pending::<()>();
    match role {
        "catalog" => {
            let config = catalog::Config::new(database_url, verifier);
            catalog::serve(config, listener, forever)
                .await
                .expect("catalog");
        }
        "payments" => {
            let mut config = payments::Config::new(database_url, verifier);
            config.timing.processor_timeout = PROCESSOR_TIMEOUT;
            config.timing.charge_lease = CHARGE_LEASE;
            config.timing.duplicate_wait = Duration::from_millis(500);
            // Slow enough that kills land mid-charge now and then.
            config.card_network =
                payments::processor::card::SimulatedCardNetwork::new(Duration::from_millis(40));
            payments::serve(config, listener, forever)
                .await
                .expect("payments");
        }
        "fulfilment" => {
            let mut config = fulfilment::Config::new(database_url, verifier);
            config.catalog_url = var("CRASH_CATALOG_URL");
            fulfilment::serve(config, listener, forever)
                .await
                .expect("fulfilment");
        }
        "orders" => {
            let signer = Signer::new(
                issuer::ORDERS,
                DEFAULT_AUDIENCE,
                &var("CRASH_ORDERS_PRIVATE"),
                Duration::from_secs(60),
            )
            .expect("signer");
            let mut config = orders::Config::new(
                database_url,
                verifier,
                signer,
                var("CRASH_CATALOG_URL"),
                var("CRASH_PAYMENTS_URL"),
            );
            config.fulfilment_url = var("CRASH_FULFILMENT_URL");
            config.lease = LEASE;
            config.card_ttl = CARD_TTL;
            config.recovery_interval = RECOVERY_INTERVAL;
            config.stale_after = STALE_AFTER;
            config.call_timeout = CALL_TIMEOUT;
            config.retry_attempts = RETRY_ATTEMPTS;
            config.breaker_cool_down = Duration::from_millis(500);
            config.common.page_token_key = b"crash-test".to_vec();
            orders::serve(config, listener, forever)
                .await
                .expect("orders");
        }
        other => panic!("no service {other:?}"),
    }
}

/// A service run as a child process, which can be killed and restarted
/// on the same address.
struct Service {
    name: &'static str,
    address: SocketAddr,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    kills: u32,
}

impl Service {
    fn new(name: &'static str, env: Vec<(String, String)>, logs: &Path) -> Self {
        Self {
            name,
            address: free_address(),
            env,
            log: logs.join(format!("{name}-{}.log", uuid::Uuid::new_v4().simple())),
            child: None,
            kills: 0,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(std::env::current_exe().expect("test executable"))
            .args(["service_mode", "--exact", "--nocapture", "--test-threads=1"])
            .env(ROLE, self.name_for_role())
            .env("CRASH_LISTEN", self.address.to_string())
            .env("RUST_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start a service process");
        self.child = Some(child);
    }

    fn name_for_role(&self) -> &'static str {
        self.name.trim_end_matches(|c: char| c.is_ascii_digit())
    }

    /// SIGKILL: no draining, no cleanup, leases and in-flight work left as
    /// they are.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            self.kills += 1;
        }
    }

    fn is_running(&self) -> bool {
        self.child.is_some()
    }

    async fn wait_serving(&self) {
        let started = Instant::now();
        loop {
            let channel = Channel::from_shared(self.url())
                .expect("uri")
                .connect_timeout(Duration::from_millis(500))
                .timeout(Duration::from_secs(1))
                .connect_lazy();
            let serving = HealthClient::new(channel)
                .check(HealthCheckRequest::default())
                .await
                .is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving);
            if serving {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} never served; its log: {}",
                self.name,
                tail(&self.log)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A loopback address nothing listens on right now.
fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

fn channel(url: &str) -> Channel {
    Channel::from_shared(url.to_owned())
        .expect("uri")
        .connect_timeout(Duration::from_millis(500))
        .connect_lazy()
}

/// xorshift64*: reproducible choices without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// `below(n)` as an index: under `n`, so it fits a `usize`.
    fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.below(n as u64)).expect("below a usize")
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.below(to - from))
    }
}

/// Approved, declined, approved on the second attempt, never answered;
/// and store credit.
fn payment(rng: &mut Rng) -> common::PaymentMethod {
    match rng.below(10) {
        0..=3 => card("4242424242424242"),
        4 => card("4000000000000002"),
        5 | 6 => card("4000000000000119"),
        7 => card("4000000000000101"),
        _ => wallet(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_minus_nine_under_load_leaves_every_order_settled_and_balanced() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |url| url.is_empty()) {
        eprintln!("kill -9 test skipped: set TEST_DATABASE_URL to a PostgreSQL server to run it");
        return;
    }
    let seed = std::env::var("SHOP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| {
                    u64::try_from(d.as_nanos())
                        .expect("nanoseconds since 1970 fit a u64 until 2554")
                })
                | 1
        });
    eprintln!("kill -9 test: SHOP_CRASH_SEED={seed}");
    let started = Instant::now();

    let gateway_keys = KeyPair::generate().expect("keys");
    let orders_keys = KeyPair::generate().expect("keys");
    let users = Signer::new(
        issuer::GATEWAY,
        DEFAULT_AUDIENCE,
        &gateway_keys.private_pem,
        Duration::from_secs(600),
    )
    .expect("signer");
    let keys = vec![
        (
            "CRASH_GATEWAY_PUBLIC".to_owned(),
            gateway_keys.public_pem.clone(),
        ),
        (
            "CRASH_ORDERS_PUBLIC".to_owned(),
            orders_keys.public_pem.clone(),
        ),
        (
            "CRASH_ORDERS_PRIVATE".to_owned(),
            orders_keys.private_pem.clone(),
        ),
    ];
    let (catalog_db, payments_db, orders_db, fulfilment_db) = (
        TestDatabase::new().await,
        TestDatabase::new().await,
        TestDatabase::new().await,
        TestDatabase::new().await,
    );
    let logs = tempfile::tempdir().expect("a log directory");
    let with = |url: &str, extra: Vec<(String, String)>| {
        let mut env = keys.clone();
        env.push(("CRASH_DATABASE_URL".to_owned(), url.to_owned()));
        env.extend(extra);
        env
    };

    let mut catalog = Service::new("catalog", with(catalog_db.url(), vec![]), logs.path());
    let mut payments = Service::new("payments", with(payments_db.url(), vec![]), logs.path());
    let mut fulfilment = Service::new(
        "fulfilment",
        with(
            fulfilment_db.url(),
            vec![("CRASH_CATALOG_URL".to_owned(), catalog.url())],
        ),
        logs.path(),
    );
    let orders_env = with(
        orders_db.url(),
        vec![
            ("CRASH_CATALOG_URL".to_owned(), catalog.url()),
            ("CRASH_PAYMENTS_URL".to_owned(), payments.url()),
            ("CRASH_FULFILMENT_URL".to_owned(), fulfilment.url()),
        ],
    );
    let mut replicas = [
        Service::new("orders1", orders_env.clone(), logs.path()),
        Service::new("orders2", orders_env, logs.path()),
    ];
    catalog.start();
    payments.start();
    fulfilment.start();
    for replica in &mut replicas {
        replica.start();
    }
    catalog.wait_serving().await;
    payments.wait_serving().await;
    fulfilment.wait_serving().await;
    for replica in &replicas {
        replica.wait_serving().await;
    }

    let admin = users.sign("admin", Role::Admin).expect("token");
    let inventory = InventoryServiceClient::new(channel(&catalog.url()));
    let payments_client = PaymentServiceClient::new(channel(&payments.url()));
    let mut products = Vec::new();
    for name in ["Mug", "Tea", "Pot"] {
        let created = contracts::catalog::catalog_service_client::CatalogServiceClient::new(
            channel(&catalog.url()),
        )
        .create_product(authorized(
            catalog_proto::CreateProductRequest {
                product: Some(catalog_proto::Product {
                    name: name.into(),
                    category: "general".into(),
                    price: Some(platform::testing::usd(1_250)),
                    ..Default::default()
                }),
                initial_stock: INITIAL_STOCK,
            },
            &admin,
        ))
        .await
        .expect("create a product")
        .into_inner();
        products.push(created.id);
    }
    let customers: Vec<String> = (0..CUSTOMERS).map(|i| format!("customer-{i}")).collect();
    for customer in &customers {
        payments_client
            .clone()
            .top_up_wallet(authorized(
                payments_proto::TopUpWalletRequest {
                    user_id: customer.clone(),
                    amount: Some(platform::testing::usd(TOP_UP)),
                    idempotency_key: format!("top-up-{customer}"),
                    reason: "test credit".into(),
                },
                &admin,
            ))
            .await
            .expect("top up");
    }

    // Load: each customer places orders through either replica, with a
    // deadline, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let placed = Arc::new(AtomicU64::new(0));
    let answers = Arc::new(Mutex::new(HashMap::<String, u64>::new()));
    let replica_urls: Vec<String> = replicas.iter().map(Service::url).collect();
    let quotes = FulfilmentServiceClient::new(channel(&fulfilment.url()));
    let mut load = tokio::task::JoinSet::new();
    for (i, customer) in customers.iter().enumerate() {
        let token = users.sign(customer, Role::Customer).expect("token");
        let clients: Vec<_> = replica_urls
            .iter()
            .map(|url| OrderServiceClient::new(channel(url)))
            .collect();
        let (stop, placed, answers, products, mut quotes) = (
            stop.clone(),
            placed.clone(),
            answers.clone(),
            products.clone(),
            quotes.clone(),
        );
        let mut rng = Rng(seed.wrapping_add(i as u64 * 7919) | 1);
        load.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let first = rng.index(3);
                let lines = (0..=rng.index(2))
                    .map(|k| proto::LineItem {
                        product_id: products[(first + k) % 3].clone(),
                        quantity: 1 + i64::try_from(rng.below(3)).expect("under 3"),
                    })
                    .collect::<Vec<_>>();
                let quote = quotes
                    .get_shipping_quote(authorized(
                        fulfilment_proto::GetShippingQuoteRequest {
                            address: Some(address()),
                            lines: lines
                                .iter()
                                .map(|l| fulfilment_proto::ShippingLine {
                                    product_id: l.product_id.clone(),
                                    quantity: l.quantity,
                                })
                                .collect(),
                        },
                        &token,
                    ))
                    .await
                    .expect("a shipping quote (fulfilment is never killed)")
                    .into_inner();
                let cheapest = quote.options.first().expect("an option").code.clone();
                let mut request = authorized(
                    proto::CreateOrderRequest {
                        request_id: format!("load-{n}"),
                        lines,
                        payment_method: Some(payment(&mut rng)),
                        shipping_address: Some(address()),
                        shipping_quote_id: quote.id,
                        shipping_option: cheapest,
                    },
                    &token,
                );
                request.set_timeout(Duration::from_secs(2));
                let mut client = clients[rng.index(2)].clone();
                let answer = match client.create_order(request).await {
                    Ok(order) => format!("order {:?}", order.into_inner().status()),
                    Err(status) => format!("error {:?}", status.code()),
                };
                placed.fetch_add(1, Ordering::Relaxed);
                *answers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(answer)
                    .or_default() += 1;
                tokio::time::sleep(Duration::from_millis(rng.below(50))).await;
            }
        });
    }

    // Chaos: kill -9 payments or a replica at random moments; bring it
    // back a little later.
    let mut rng = Rng(seed);
    let chaos_until = Instant::now() + LOAD_FOR;
    while Instant::now() < chaos_until {
        tokio::time::sleep(rng.millis(500, 2_000)).await;
        let victim: &mut Service = match rng.index(3) {
            0 => &mut payments,
            n => &mut replicas[n - 1],
        };
        victim.kill();
        tokio::time::sleep(rng.millis(200, 1_500)).await;
        victim.start();
    }
    stop.store(true, Ordering::Relaxed);
    while load.join_next().await.is_some() {}
    let [first, second] = &mut replicas;
    for service in [&mut payments, first, second] {
        if !service.is_running() {
            service.start();
        }
    }
    payments.wait_serving().await;
    for replica in &replicas {
        replica.wait_serving().await;
    }
    let back_at = Instant::now();
    eprintln!(
        "kill -9 test: {} checkouts ({:?}); kills: payments {}, orders {} and {}",
        placed.load(Ordering::Relaxed),
        answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        payments.kills,
        replicas[0].kills,
        replicas[1].kills
    );

    // Every order at rest within the bound.
    let orders_client = OrderServiceClient::new(channel(&replicas[0].url()));
    let orders = loop {
        let orders = all_orders(&orders_client, &admin).await;
        let unsettled: Vec<_> = orders
            .iter()
            .filter(|o| {
                !matches!(
                    o.status(),
                    OrderStatus::Confirmed | OrderStatus::Failed | OrderStatus::Cancelled
                )
            })
            .map(|o| (o.id.clone(), o.status()))
            .collect();
        if unsettled.is_empty() {
            break orders;
        }
        assert!(
            back_at.elapsed() < settle_bound(),
            "{} orders not at rest {:?} after the services came back: {unsettled:?}\n\
             orders1 log:\n{}\norders2 log:\n{}",
            unsettled.len(),
            settle_bound(),
            tail(&replicas[0].log),
            tail(&replicas[1].log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut outcomes = HashMap::<String, usize>::new();
    for order in &orders {
        *outcomes
            .entry(format!("{:?} {:?}", order.status(), order.failure_reason()))
            .or_default() += 1;
    }
    eprintln!(
        "kill -9 test: {} orders at rest {:?} after the services came back (bound {:?}): {outcomes:?}",
        orders.len(),
        back_at.elapsed(),
        settle_bound()
    );

    // Stock balances.
    for product in &products {
        let stock = inventory
            .clone()
            .get_stock(authorized(
                catalog_proto::GetStockRequest {
                    product_id: product.clone(),
                },
                &admin,
            ))
            .await
            .expect("get stock")
            .into_inner();
        let sold: i64 = orders
            .iter()
            .filter(|o| o.status() == OrderStatus::Confirmed)
            .flat_map(|o| &o.lines)
            .filter(|l| &l.product_id == product)
            .map(|l| l.quantity)
            .sum();
        assert_eq!(
            stock.available + stock.reserved + sold,
            INITIAL_STOCK,
            "stock of {product}: {stock:?}, sold {sold}"
        );
        assert_eq!(stock.reserved, 0, "units left reserved: {stock:?}");
    }

    // Money balances.
    let all_payments = all_payments(&payments_client, &admin).await;
    let mut by_order: HashMap<&str, Vec<&payments_proto::Payment>> = HashMap::new();
    for p in &all_payments {
        by_order.entry(p.order_id.as_str()).or_default().push(p);
    }
    let minor = platform::testing::minor;
    for order in &orders {
        let paid = by_order.remove(order.id.as_str()).unwrap_or_default();
        let captures = paid.iter().filter(|p| minor(&p.captured) > 0).count();
        let net: i64 = paid
            .iter()
            .map(|p| minor(&p.captured) - minor(&p.refunded))
            .sum();
        assert!(
            paid.iter()
                .all(|p| p.status() != payments_proto::PaymentStatus::Processing),
            "order {} has a payment still processing: {paid:?}",
            order.id
        );
        match order.status() {
            OrderStatus::Confirmed => {
                assert_eq!(captures, 1, "order {} captured {captures} times", order.id);
                assert_eq!(net, minor(&order.total), "order {} net", order.id);
            }
            _ => assert_eq!(
                net,
                0,
                "order {} ({:?}) kept money",
                order.id,
                order.status()
            ),
        }
    }
    assert!(by_order.is_empty(), "payments for no order: {by_order:?}");
    for customer in &customers {
        let wallet = payments_client
            .clone()
            .get_wallet(authorized(
                payments_proto::GetWalletRequest {
                    user_id: customer.clone(),
                    currency_code: "USD".into(),
                },
                &admin,
            ))
            .await
            .expect("wallet")
            .into_inner();
        let spent: i64 = all_payments
            .iter()
            .filter(|p| &p.user_id == customer)
            .filter(|p| {
                p.method
                    .as_ref()
                    .is_some_and(|m| m.method_type() == common::PaymentMethodType::Wallet)
            })
            .map(|p| minor(&p.captured) - minor(&p.refunded))
            .sum();
        assert_eq!(
            minor(&wallet.balance),
            TOP_UP - spent,
            "wallet of {customer}"
        );
    }
    eprintln!("kill -9 test: passed in {:?}", started.elapsed());
}

async fn all_orders(client: &OrderServiceClient<Channel>, admin: &str) -> Vec<proto::Order> {
    let mut orders = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .clone()
            .list_orders(authorized(
                proto::ListOrdersRequest {
                    page_size: 100,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                admin,
            ))
            .await
            .expect("list orders")
            .into_inner();
        orders.extend(page.orders);
        if page.next_page_token.is_empty() {
            return orders;
        }
        page_token = page.next_page_token;
    }
}

async fn all_payments(
    client: &PaymentServiceClient<Channel>,
    admin: &str,
) -> Vec<payments_proto::Payment> {
    let mut payments = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .clone()
            .list_payments(authorized(
                payments_proto::ListPaymentsRequest {
                    page_size: 100,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
                admin,
            ))
            .await
            .expect("list payments")
            .into_inner();
        payments.extend(page.payments);
        if page.next_page_token.is_empty() {
            return payments;
        }
        page_token = page.next_page_token;
    }
}

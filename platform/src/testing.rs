//! Test helpers shared by every service's tests: the service under test on
//! a loopback port ([`TestServer`]), a throwaway database per test (SQLite,
//! or PostgreSQL when `TEST_DATABASE_URL` is set), tokens minted with
//! throwaway keys, and the operations checks every service passes
//! ([`operations`]).

use std::{collections::HashMap, time::Duration};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::auth::{DEFAULT_AUDIENCE, KeyPair, Role, Signer, Verifier, issuer};

mod net;
pub mod operations;
mod server;
pub use net::{Behaviour, FakeBackend, TestCa, TestCert, health_check_whose_body_breaks_off};
pub use server::{Shutdown, TestServer};

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<PostgresCleanup>,
}

struct PostgresCleanup {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// A fresh, empty database: a new PostgreSQL database on the server of
    /// `TEST_DATABASE_URL` if it is set, else a SQLite file in a temp dir.
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::postgres(admin_url).await,
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir for SQLite");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self {
            url,
            _sqlite_dir: Some(dir),
            postgres: None,
        }
    }

    async fn postgres(admin_url: String) -> Self {
        let name = format!("shop_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        Self {
            url: with_database(&admin_url, &name),
            _sqlite_dir: None,
            postgres: Some(PostgresCleanup { admin_url, name }),
        }
    }

    /// The URL to hand to the service under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is the PostgreSQL variant.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(PostgresCleanup { admin_url, name }) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async code; a short-lived thread with its own
        // runtime removes the database (FORCE closes the test's pool).
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            // Bounded: a test must not hang on its cleanup; a database
            // left behind is harmless (its name is unique).
            let drop = async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            };
            runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(60), drop).await })
                .ok()
                .flatten()
        });
        let _ = cleanup.join();
    }
}

/// `url` pointing at database `name` on the same server.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Throwaway keys for the gateway and named services, and a verifier that
/// trusts them, the way a deployment's trust list would.
pub struct TestAuth {
    verifier: Verifier,
    gateway: Signer,
    services: HashMap<String, Signer>,
    stranger: Signer,
}

impl TestAuth {
    /// Keys for the gateway (user tokens) and the orders service.
    pub fn new() -> Self {
        Self::with_services(&[issuer::ORDERS])
    }

    /// Keys for the gateway and each named service issuer.
    pub fn with_services(services: &[&str]) -> Self {
        let ttl = Duration::from_secs(300);
        let signer = |name: &str, keys: &KeyPair| {
            Signer::new(name, DEFAULT_AUDIENCE, &keys.private_pem, ttl).expect("test signer")
        };
        let gateway_keys = KeyPair::generate().expect("test keys");
        let mut verifier = Verifier::new(issuer::GATEWAY, DEFAULT_AUDIENCE)
            .trust(issuer::GATEWAY, &gateway_keys.public_pem)
            .expect("trust gateway");
        let mut signers = HashMap::new();
        for name in services {
            let keys = KeyPair::generate().expect("test keys");
            verifier = verifier
                .trust(name, &keys.public_pem)
                .expect("trust service");
            signers.insert((*name).to_owned(), signer(name, &keys));
        }
        let stranger_keys = KeyPair::generate().expect("test keys");
        Self {
            verifier,
            gateway: signer(issuer::GATEWAY, &gateway_keys),
            services: signers,
            stranger: signer("stranger", &stranger_keys),
        }
    }

    /// The verifier to configure the service under test with.
    pub fn verifier(&self) -> Verifier {
        self.verifier.clone()
    }

    /// The gateway's signer (for a gateway under test).
    pub fn gateway_signer(&self) -> Signer {
        self.gateway.clone()
    }

    /// A gateway-issued token for `user_id` with `role`.
    pub fn user_token(&self, user_id: &str, role: Role) -> String {
        self.gateway.sign(user_id, role).expect("sign user token")
    }

    /// A token from service `issuer` acting for `user_id`.
    pub fn service_token(&self, issuer: &str, user_id: &str, role: Role) -> String {
        self.services
            .get(issuer)
            .unwrap_or_else(|| panic!("no test keys for service {issuer}"))
            .sign(user_id, role)
            .expect("sign service token")
    }

    /// A service signer, for code under test that calls other services.
    pub fn service_signer(&self, issuer: &str) -> Signer {
        self.services
            .get(issuer)
            .unwrap_or_else(|| panic!("no test keys for service {issuer}"))
            .clone()
    }

    /// An admin token signed by an issuer nobody trusts.
    pub fn untrusted_token(&self) -> String {
        self.stranger.sign("intruder", Role::Admin).expect("sign")
    }

    /// An admin token claiming to be from the gateway, signed with the wrong key.
    pub fn forged_token(&self) -> String {
        let keys = KeyPair::generate().expect("test keys");
        Signer::new(
            issuer::GATEWAY,
            DEFAULT_AUDIENCE,
            &keys.private_pem,
            Duration::from_secs(300),
        )
        .expect("signer")
        .sign("intruder", Role::Admin)
        .expect("sign")
    }
}

impl Default for TestAuth {
    fn default() -> Self {
        Self::new()
    }
}

/// A request carrying `authorization: Bearer <token>`.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .expect("a token is valid header text");
    request.metadata_mut().insert("authorization", value);
    request
}

/// Asserts `result` failed with `code`, and returns the status.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: tonic::Code,
) -> tonic::Status {
    match result {
        Err(status) if status.code() == code => status,
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// The fields an INVALID_ARGUMENT status names in its BadRequest details.
#[track_caller]
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The stable reason in a status's ErrorInfo ("" if none).
pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// A metadata value of a status's ErrorInfo ("" if none).
pub fn info(status: &tonic::Status, key: &str) -> String {
    use tonic_types::StatusExt;
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

/// Follows a listing's page tokens from the first page to the last: `page`
/// gets each token ("" first) and answers with that page's items and the
/// next token. Returns every item and how many pages there were.
pub async fn every_page<T, F, Fut>(mut page: F) -> (Vec<T>, usize)
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = (Vec<T>, String)>,
{
    let (mut items, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let (mut found, next) = page(token).await;
        pages += 1;
        items.append(&mut found);
        if next.is_empty() {
            return (items, pages);
        }
        token = next;
    }
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

/// US dollars, in cents.
pub fn usd(amount_minor: i64) -> contracts::common::Money {
    contracts::common::Money {
        currency_code: "USD".to_owned(),
        amount_minor,
    }
}

/// The minor units of an optional amount (0 when absent).
pub fn minor(money: &Option<contracts::common::Money>) -> i64 {
    money.as_ref().map_or(0, |m| m.amount_minor)
}

/// A card method with `number`, good until December 2099 (the simulated
/// network decides by the number).
pub fn card(number: &str) -> contracts::common::PaymentMethod {
    card_with(number, 12, 2099, "123")
}

/// A card method with every field chosen.
pub fn card_with(
    number: &str,
    exp_month: i32,
    exp_year: i32,
    cvc: &str,
) -> contracts::common::PaymentMethod {
    use contracts::common::{Card, PaymentMethod, payment_method::Method};
    PaymentMethod {
        method: Some(Method::Card(Card {
            number: number.to_owned(),
            exp_month,
            exp_year,
            cvc: cvc.to_owned(),
            holder_name: "Ada Lovelace".to_owned(),
        })),
    }
}

/// The wallet (store credit) method.
pub fn wallet() -> contracts::common::PaymentMethod {
    use contracts::common::{PaymentMethod, Wallet, payment_method::Method};
    PaymentMethod {
        method: Some(Method::Wallet(Wallet {})),
    }
}

/// A shipping address in London.
pub fn address() -> contracts::common::Address {
    contracts::common::Address {
        recipient: "Ada Lovelace".to_owned(),
        line1: "12 Analytical Row".to_owned(),
        line2: String::new(),
        city: "London".to_owned(),
        region: String::new(),
        postal_code: "N1 9GU".to_owned(),
        country_code: "GB".to_owned(),
    }
}

/// Every span this process finishes from now on, collected in memory (for
/// tests about traces). Installs the process-wide subscriber on first use,
/// with no log output; a subscriber installed earlier keeps its place.
pub fn capture_spans() -> opentelemetry_sdk::trace::InMemorySpanExporter {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::prelude::*;
    static SPANS: std::sync::OnceLock<opentelemetry_sdk::trace::InMemorySpanExporter> =
        std::sync::OnceLock::new();
    SPANS
        .get_or_init(|| {
            let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
            let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_simple_exporter(exporter.clone())
                .build();
            let traces = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
            let _ = tracing_subscriber::registry()
                .with(traces.with_filter(tracing_subscriber::filter::LevelFilter::INFO))
                .try_init();
            exporter
        })
        .clone()
}

/// Runs `sql` on the database at `database_url` (a test reaching behind a
/// service's back, e.g. to break a row); returns the rows it touched.
pub async fn execute_sql(database_url: &str, sql: &str) -> usize {
    let db = crate::db::Db::connect(database_url, 1, crate::db::Migrations::NONE)
        .await
        .expect("open the service's database");
    let query = diesel::sql_query(sql.to_owned());
    let done: Result<usize, crate::db::DbError> = async {
        Ok(crate::on_db!(&db, |conn| query
            .clone()
            .execute(conn)
            .await?))
    }
    .await;
    done.expect("run the SQL")
}

/// Every event a service's outbox holds (pending or published), oldest
/// first, read from its database at `database_url`.
pub async fn outbox_events(database_url: &str) -> Vec<contracts::events::Event> {
    use diesel::{ExpressionMethods, QueryDsl};
    use prost::Message;

    use crate::events::store::event_outbox;

    let db = crate::db::Db::connect(database_url, 1, crate::db::Migrations::NONE)
        .await
        .expect("open the service's database");
    let read: Result<Vec<Vec<u8>>, crate::db::DbError> = async {
        Ok(crate::on_db!(&db, |conn| {
            event_outbox::table
                .order(event_outbox::id.asc())
                .select(event_outbox::envelope)
                .load(conn)
                .await?
        }))
    }
    .await;
    read.expect("read the outbox")
        .iter()
        .map(|bytes| contracts::events::Event::decode(bytes.as_slice()).expect("an event"))
        .collect()
}

/// Whether the consumer `consumer` of the service whose database is at
/// `database_url` has applied the event `event_id` (its inbox holds it).
pub async fn inbox_holds(database_url: &str, consumer: &str, event_id: &str) -> bool {
    use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};

    use crate::events::store::event_inbox;

    let db = crate::db::Db::connect(database_url, 1, crate::db::Migrations::NONE)
        .await
        .expect("open the service's database");
    let read: Result<Option<String>, crate::db::DbError> = async {
        Ok(crate::on_db!(&db, |conn| {
            event_inbox::table
                .filter(event_inbox::consumer.eq(consumer))
                .filter(event_inbox::event_id.eq(event_id))
                .select(event_inbox::event_id)
                .first(conn)
                .await
                .optional()?
        }))
    }
    .await;
    read.expect("read the inbox").is_some()
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn test_database_urls_keep_server_and_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}

//! The one way tests start a payments service: [`TestApp::spawn`].

pub use platform::testing::{
    card, card_with, concurrently, eventually, every_page, expect_code, info, minor, reason, usd,
    violated_fields, wallet,
};

use std::sync::Arc;

use contracts::{
    common::PaymentMethod,
    payments::{self as proto, payment_service_client::PaymentServiceClient},
};
use payments::{
    Config,
    domain::{Currency, LedgerEntry, PaymentId, UserId},
    processor::card::SimulatedCardNetwork,
    store::Store,
};
use platform::{
    auth::{Role, issuer},
    clock::Clock,
    db::{Db, DbError},
    testing::{TestAuth, TestDatabase, TestServer, authorized},
};
use tonic::{Request, Status, transport::Channel};

/// The customer most tests act for.
pub const CUSTOMER: &str = "customer-1";
/// The admin most tests act as.
pub const ADMIN: &str = "admin-1";

/// A running payments service, typed clients to it, and a second way into
/// its database for what the API does not show (the ledger).
pub struct TestApp {
    pub payments: PaymentServiceClient<Channel>,
    pub auth: Arc<TestAuth>,
    pub clock: Clock,
    /// The simulated card network the service charges cards on.
    pub network: SimulatedCardNetwork,
    // Stops the service when the app is dropped.
    _server: TestServer<payments::StartError>,
    store: Store,
    db: Db,
    database_url: String,
    config: Config,
    _database: Option<TestDatabase>,
}

impl TestApp {
    /// A payments service with the embedded defaults and a manual clock.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A payments service whose configuration `configure` may change first.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase::new().await;
        let auth = Arc::new(TestAuth::new());
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let mut config = config(database.url(), &auth, &clock);
        configure(&mut config);
        let database_url = database.url().to_owned();
        Self::start(config, auth, clock, database_url, Some(database)).await
    }

    /// A second replica of this service: the same database, card network,
    /// clock, keys and trust list, with `configure` applied; its own
    /// server. Keep `self` alive as long as the replica: it owns the
    /// database.
    pub async fn replica_with(&self, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.config.clone();
        configure(&mut config);
        let (auth, clock, url) = (self.auth.clone(), self.clock.clone(), &self.database_url);
        Self::start(config, auth, clock, url.clone(), None).await
    }

    async fn start(
        config: Config,
        auth: Arc<TestAuth>,
        clock: Clock,
        database_url: String,
        database: Option<TestDatabase>,
    ) -> Self {
        let serving = config.clone();
        let server =
            TestServer::spawn(|listener, shutdown| payments::serve(serving, listener, shutdown))
                .await;
        // Serving means connected and migrated: only then open the tests'
        // own way into the database.
        server.wait_until_serving().await;
        let db = Db::connect(&database_url, 2, payments::store::migrations())
            .await
            .expect("the tests' own connection");
        Self {
            payments: PaymentServiceClient::new(server.channel()),
            auth,
            network: config.card_network.clone(),
            store: Store::new(db.clone(), clock.clone()),
            clock,
            _server: server,
            db,
            database_url,
            config,
            _database: database,
        }
    }

    /// `message` with an admin's token.
    pub fn as_admin<T>(&self, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token(ADMIN, Role::Admin))
    }

    /// `message` with the token of customer `user_id`.
    pub fn as_customer<T>(&self, user_id: &str, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token(user_id, Role::Customer))
    }

    /// `message` with the orders service's token, acting for `user_id`.
    pub fn as_orders_for<T>(&self, user_id: &str, message: T) -> Request<T> {
        authorized(
            message,
            &self
                .auth
                .service_token(issuer::ORDERS, user_id, Role::Customer),
        )
    }

    /// `message` with the orders service's token, acting for [`CUSTOMER`].
    pub fn as_orders<T>(&self, message: T) -> Request<T> {
        self.as_orders_for(CUSTOMER, message)
    }

    /// Charges [`CUSTOMER`] as the orders service would.
    pub async fn charge(&self, request: proto::ChargeRequest) -> Result<proto::Payment, Status> {
        self.payments
            .clone()
            .charge(self.as_orders(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The events the service has written to its outbox, oldest first.
    pub async fn events(&self) -> Vec<contracts::events::Event> {
        platform::testing::outbox_events(&self.database_url).await
    }

    /// Refunds as the orders service would; `amount` `None` refunds the rest.
    pub async fn refund(
        &self,
        key: &str,
        payment_id: &str,
        amount: Option<i64>,
    ) -> Result<proto::Payment, Status> {
        self.payments
            .clone()
            .refund(self.as_orders(proto::RefundRequest {
                idempotency_key: key.to_owned(),
                payment_id: payment_id.to_owned(),
                amount: amount.map(usd),
                reason: String::new(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// A payment, read as an admin.
    pub async fn payment(&self, id: &str) -> proto::Payment {
        self.payments
            .clone()
            .get_payment(self.as_admin(proto::GetPaymentRequest { id: id.to_owned() }))
            .await
            .expect("get payment")
            .into_inner()
    }

    /// Tops up `user_id`'s USD wallet as an admin.
    pub async fn top_up(
        &self,
        key: &str,
        user_id: &str,
        amount_minor: i64,
    ) -> proto::WalletAccount {
        self.payments
            .clone()
            .top_up_wallet(self.as_admin(top_up_request(key, user_id, amount_minor)))
            .await
            .expect("top up")
            .into_inner()
    }

    /// `user_id`'s USD wallet balance, read as an admin.
    pub async fn balance(&self, user_id: &str) -> i64 {
        self.payments
            .clone()
            .get_wallet(self.as_admin(proto::GetWalletRequest {
                user_id: user_id.to_owned(),
                currency_code: "USD".to_owned(),
            }))
            .await
            .expect("get wallet")
            .into_inner()
            .balance
            .expect("a balance")
            .amount_minor
    }

    /// Runs one SQL statement on the service's database, as an operator
    /// with a database console could.
    pub async fn execute_sql(&self, sql: &str) -> Result<usize, DbError> {
        use diesel_async::RunQueryDsl;
        Ok(platform::on_db!(&self.db, |conn| {
            diesel::sql_query(sql).execute(conn).await?
        }))
    }

    /// Everything the database holds, as text: the database files' bytes
    /// (SQLite), or every row of every table (PostgreSQL).
    pub async fn database_contents(&self) -> String {
        match &self.db {
            Db::Sqlite(_) => {
                let path = self
                    .database_url
                    .strip_prefix("sqlite://")
                    .expect("a SQLite URL");
                let mut bytes = Vec::new();
                // Recent writes may still be in the write-ahead log.
                for suffix in ["", "-wal"] {
                    if let Ok(mut file) = std::fs::read(format!("{path}{suffix}")) {
                        bytes.append(&mut file);
                    }
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Db::Postgres(pool) => {
                use diesel_async::RunQueryDsl;

                #[derive(diesel::QueryableByName)]
                struct Dump {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    dump: String,
                }
                let tables = [
                    "payments",
                    "charge_leases",
                    "refunds",
                    "wallets",
                    "top_ups",
                    "ledger_entries",
                ];
                let rows = tables
                    .map(|table| format!("SELECT t::text AS r FROM {table} t"))
                    .join(" UNION ALL ");
                let sql = format!(
                    "SELECT COALESCE(string_agg(r, ' '), '') AS dump FROM ({rows}) AS all_rows"
                );
                let mut conn = pool.get().await.expect("a connection");
                diesel::sql_query(sql)
                    .get_result::<Dump>(&mut *conn)
                    .await
                    .expect("dump every row")
                    .dump
            }
        }
    }

    /// The ledger entries of a payment, straight from the database.
    pub async fn ledger(&self, payment_id: &str) -> Vec<LedgerEntry> {
        let id = PaymentId::parse(payment_id).expect("a payment id");
        self.store
            .payment_ledger(id)
            .await
            .expect("read the ledger")
    }

    /// The ledger entries of `user_id` in USD, straight from the database.
    pub async fn user_ledger(&self, user_id: &str) -> Vec<LedgerEntry> {
        let user = UserId::parse(user_id).expect("a user id");
        let usd = Currency::parse("USD").expect("USD");
        self.store
            .user_ledger(&user, &usd)
            .await
            .expect("read the ledger")
    }
}

/// A charge of `amount_minor` USD for order `order-<key>`.
pub fn charge_request(key: &str, amount_minor: i64, method: PaymentMethod) -> proto::ChargeRequest {
    proto::ChargeRequest {
        idempotency_key: key.to_owned(),
        order_id: format!("order-{key}"),
        amount: Some(usd(amount_minor)),
        payment_method: Some(method),
    }
}

/// A top-up of `amount_minor` USD for `user_id`.
pub fn top_up_request(key: &str, user_id: &str, amount_minor: i64) -> proto::TopUpWalletRequest {
    proto::TopUpWalletRequest {
        user_id: user_id.to_owned(),
        amount: Some(usd(amount_minor)),
        idempotency_key: key.to_owned(),
        reason: "goodwill credit".to_owned(),
    }
}

/// The payments configuration every test starts from: the embedded
/// defaults on `database_url`, trusting `auth`'s keys, on `clock`.
pub fn config(database_url: &str, auth: &TestAuth, clock: &Clock) -> Config {
    let mut config = Config::new(database_url, auth.verifier());
    config.common.clock = clock.clone();
    config.common.pool_size = 8;
    config
}

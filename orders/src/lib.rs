//! The orders service: orders and the checkout saga (reserve stock -> charge
//! -> commit), with shipping priced from a quote, compensation, crash
//! recovery, idempotent creation, the parcel followed to its delivery and a
//! live status stream.
//!
//! Layers, calling downwards only: [`api`] (tonic, validation, ownership,
//! error mapping) and [`handler`] (the fulfilment's shipment events) ->
//! [`checkout`] (the saga driver) and [`recovery`] -> [`domain`] (pure
//! rules and the saga state machine) -> [`store`] (diesel) and [`clients`]
//! (calls to catalog, payments and fulfilment).

pub mod api;
pub mod checkout;
pub mod clients;
pub mod domain;
pub mod error;
pub mod events;
pub mod handler;
pub mod notify;
pub mod recovery;
pub mod store;
pub mod vault;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::orders::order_service_server::OrderServiceServer;
use platform::{
    auth::{Signer, Verifier},
    client::{Caller, ChannelOptions, connect, upstream},
    config::CommonConfig,
    paging::PageTokens,
    resilience::Guard,
    service::Service,
};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use platform::service::StartError;

use crate::{
    api::OrdersApi,
    checkout::{Checkout, Leases},
    clients::{Dependencies, RetryBudget, RetryPolicy, Upstreams},
    domain::{Numbers, OrderStatus},
    notify::Notifier,
    store::Store,
    vault::CardVault,
};

/// Everything the orders service needs to run. [`Config::new`] gives the
/// embedded defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database, trust list, clock, page-token key, drain delay, TLS.
    pub common: CommonConfig,
    /// This service's key, to call catalog and payments for a user.
    pub signer: Signer,
    /// Where the catalog service is, e.g. `http://127.0.0.1:50051`.
    pub catalog_url: String,
    /// Where the payments service is, e.g. `http://127.0.0.1:50053`.
    pub payments_url: String,
    /// Where the fulfilment service is (shipping quotes, cancelled
    /// shipments); `http://127.0.0.1:50056` by default.
    pub fulfilment_url: String,
    /// Deadline of every outgoing call.
    pub call_timeout: Duration,
    /// Attempts per step when a dependency is briefly unavailable.
    pub retry_attempts: u32,
    /// Wait before the first retry; doubles each time.
    pub retry_backoff: Duration,
    /// Retries each dependency allows, so they cannot amplify an outage.
    pub retry_budget: RetryBudget,
    /// How channels to catalog, payments and fulfilment are built: TLS for `https://`
    /// URLs, and how often their names are resolved again.
    pub channels: ChannelOptions,
    /// Most calls in flight to each dependency.
    pub max_in_flight: usize,
    /// Consecutive failures of a dependency that open its circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker fails calls at once before a trial call.
    pub breaker_cool_down: Duration,
    /// How often stalled orders are looked for.
    pub recovery_interval: Duration,
    /// How long an order must sit untouched mid-saga to count as stalled.
    pub stale_after: Duration,
    /// How long a driver owns an order's saga without renewing its lease
    /// (renewed before every step, and every recovery pass while this
    /// process holds the order's card). Keep it above `recovery_interval`
    /// and above the longest step (`call_timeout` times `retry_attempts`).
    pub lease: Duration,
    /// How long a card order's card is kept in memory for its charge; then
    /// an order not charged yet fails as PAYMENT_INCOMPLETE.
    pub card_ttl: Duration,
    /// How often watchers look for changes made by other replicas.
    pub watch_poll: Duration,
    /// How long a repeated CreateOrder waits for the first to settle.
    pub settle_wait: Duration,
    /// Where new order numbers come from: the CSPRNG (tests may give a
    /// sequence, to make numbers collide).
    pub numbers: Numbers,
    /// Test failpoint: stop driving sagas as if the process died right after
    /// an order reached this status (feature `failpoints`, tests only).
    #[cfg(feature = "failpoints")]
    pub halt_after: Option<OrderStatus>,
}

impl Config {
    /// Embedded-mode defaults.
    pub fn new(
        database_url: impl Into<String>,
        verifier: Verifier,
        signer: Signer,
        catalog_url: impl Into<String>,
        payments_url: impl Into<String>,
    ) -> Self {
        Self::with_common(
            CommonConfig::new(database_url, verifier),
            signer,
            catalog_url,
            payments_url,
        )
    }

    /// The orders service's own defaults around `common`.
    pub fn with_common(
        common: CommonConfig,
        signer: Signer,
        catalog_url: impl Into<String>,
        payments_url: impl Into<String>,
    ) -> Self {
        Self {
            common,
            signer,
            catalog_url: catalog_url.into(),
            payments_url: payments_url.into(),
            fulfilment_url: "http://127.0.0.1:50056".into(),
            call_timeout: Duration::from_secs(3),
            retry_attempts: 3,
            retry_backoff: Duration::from_millis(100),
            retry_budget: RetryBudget {
                share: 0.2,
                reserve_per_second: 5,
            },
            channels: ChannelOptions::default(),
            max_in_flight: 128,
            breaker_failures: Guard::default().failures_to_open,
            breaker_cool_down: Guard::default().cool_down,
            recovery_interval: Duration::from_secs(10),
            stale_after: Duration::from_secs(30),
            lease: Duration::from_secs(60),
            card_ttl: Duration::from_secs(300),
            watch_poll: Duration::from_secs(1),
            settle_wait: Duration::from_secs(5),
            numbers: Numbers::random(),
            #[cfg(feature = "failpoints")]
            halt_after: None,
        }
    }
}

/// Runs the orders service on `listener` until `shutdown` completes:
/// connects to and migrates the database, starts the recovery loop,
/// follows the shipments' events, and serves OrderService.
pub async fn serve(
    mut config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    // A shipment's delivered event must not be applied before its shipped
    // one (the order would skip SHIPPED, and shipped would then be stale).
    config.common.events.consumer.ordered = true;
    let db = config.common.connect(store::migrations()).await?;
    let store = Store::new(db.clone(), config.common.clock.clone());
    // Orders placed before orders had numbers get theirs before anything
    // is answered, so every order anyone sees has one.
    let numbered = store
        .number_old_orders(&config.numbers)
        .await
        .map_err(|e| StartError::setup("numbering the orders placed before numbers", e))?;
    if numbered > 0 {
        tracing::info!(numbered, "numbered the orders placed before numbers");
    }
    let deps = dependencies(&config)?;
    let vault = CardVault::default();
    let notifier = Notifier::default();
    let checkout = Checkout::new(
        store.clone(),
        deps.clone(),
        vault,
        notifier.clone(),
        Leases {
            lease: config.lease,
            card_ttl: config.card_ttl,
        },
        halt_after(&config),
    );
    if config.recovery_interval >= config.lease {
        tracing::warn!(
            recovery_interval = ?config.recovery_interval,
            lease = ?config.lease,
            "the recovery interval should be well below the lease: leases of held cards may lapse"
        );
    }
    let recovery = recovery::run(
        store.clone(),
        checkout.clone(),
        config.recovery_interval,
        config.stale_after,
    );
    let parcels = handler::EventHandler::new(store.clone(), checkout.clone(), notifier.clone());
    let api = OrdersApi::new(
        store,
        checkout,
        api::orders::ApiParts {
            deps,
            numbers: config.numbers.clone(),
            notifier,
            tokens: PageTokens::new(&config.common.page_token_key),
            settle_wait: config.settle_wait,
            watch_poll: config.watch_poll,
        },
    );

    let mut service = Service::new(
        "orders",
        config.common,
        db,
        Routes::new(OrderServiceServer::new(api)),
        &api::SERVICE_NAMES,
        api::policy(),
    );
    service.background.spawn("saga recovery", recovery);
    service.consume_events(handler::CONSUMER, Arc::new(parcels));
    service.publish_events();
    platform::service::serve_service(service, listener, shutdown).await?;
    Ok(())
}

/// The clients to catalog, payments and fulfilment `config` describes,
/// over guarded channels, each with its own retry budget.
pub fn dependencies(config: &Config) -> Result<Dependencies, StartError> {
    let guard = Guard {
        timeout: config.call_timeout,
        max_in_flight: config.max_in_flight,
        failures_to_open: config.breaker_failures.max(1),
        cool_down: config.breaker_cool_down,
    };
    let deps = Dependencies::new(
        Upstreams {
            catalog: upstream(
                "orders",
                "catalog",
                guard,
                connect(&config.catalog_url, &config.channels)?,
            ),
            payments: upstream(
                "orders",
                "payments",
                guard,
                connect(&config.payments_url, &config.channels)?,
            ),
            fulfilment: upstream(
                "orders",
                "fulfilment",
                guard,
                connect(&config.fulfilment_url, &config.channels)?,
            ),
        },
        Caller::new(config.signer.clone(), config.call_timeout),
        RetryPolicy {
            attempts: config.retry_attempts.max(1),
            first_backoff: config.retry_backoff,
            budget: config.retry_budget,
        },
    );
    Ok(deps)
}

/// The failpoint of [`Config::halt_after`]; always off in a build without
/// the `failpoints` feature.
fn halt_after(config: &Config) -> Option<OrderStatus> {
    #[cfg(feature = "failpoints")]
    return config.halt_after;
    #[cfg(not(feature = "failpoints"))]
    {
        let _ = config;
        None
    }
}

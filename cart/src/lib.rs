//! The cart service: server-side carts that follow the customer from one
//! device to another. Every write carries the cart's etag (optimistic
//! concurrency: a stale one is ABORTED, nothing is lost) and a request id
//! (a retry is applied once); anonymous carts are addressed by an
//! unguessable id and merged into the customer's cart at sign-in; idle
//! carts expire. Prices and availability come from the catalog's product
//! events, kept in a local table, so no call ever waits on the catalog.
//!
//! Layers, calling downwards only: [`api`] (tonic, callers, validation,
//! error mapping) and [`handler`] (events) and the expiry sweep (a
//! `platform::sweeper` task) -> [`domain`] (limits and rules) -> [`store`] (diesel on SQLite or
//! PostgreSQL). [`serve`] assembles them.

pub mod api;
pub mod domain;
pub mod error;
pub mod handler;
pub mod store;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::cart::cart_service_server::CartServiceServer;
use platform::{
    auth::Verifier,
    client::{ChannelOptions, connect, upstream},
    config::CommonConfig,
    resilience::Guard,
    service::Service,
};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use platform::service::StartError;

use crate::{handler::EventHandler, store::Store};

/// How long a cart nobody changes is kept, by default: 30 days.
pub const DEFAULT_IDLE_EXPIRY: Duration = Duration::from_secs(30 * 24 * 3600);

/// Everything the cart service needs to run. [`Config::new`] gives the
/// embedded defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database, trust list, clock, page-token key, drain delay, TLS, events.
    pub common: CommonConfig,
    /// How long an idle cart (one nobody changed) is kept.
    pub idle_expiry: Duration,
    /// How often the sweeper looks for expired carts.
    pub sweep_interval: Duration,
    /// Where the orders service is, e.g. `http://127.0.0.1:50052`
    /// (CheckoutCart places orders there).
    pub orders_url: String,
    /// Deadline of each order placed (CreateOrder runs the checkout).
    pub checkout_timeout: Duration,
    /// How the channel to the orders service is built: TLS for `https://`.
    pub channels: ChannelOptions,
}

impl Config {
    /// The service on a database and a trust list, placing orders at
    /// `orders_url` (see [`Config::with_common`]).
    pub fn new(
        database_url: impl Into<String>,
        verifier: Verifier,
        orders_url: impl Into<String>,
    ) -> Self {
        Self::with_common(CommonConfig::new(database_url, verifier), orders_url)
    }

    /// The service's own defaults around `common`: carts kept for
    /// [`DEFAULT_IDLE_EXPIRY`], swept every minute; a checkout may take 10
    /// seconds.
    pub fn with_common(common: CommonConfig, orders_url: impl Into<String>) -> Self {
        Self {
            common,
            idle_expiry: DEFAULT_IDLE_EXPIRY,
            sweep_interval: Duration::from_secs(60),
            orders_url: orders_url.into(),
            checkout_timeout: Duration::from_secs(10),
            channels: ChannelOptions::default(),
        }
    }
}

/// Runs the cart service on `listener` until `shutdown` completes:
/// connects to and migrates the database, consumes the catalog's product
/// events and the orders' outcomes, sweeps expired carts, and serves
/// CartService (whose checkout calls the orders service).
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let Config {
        common,
        idle_expiry,
        sweep_interval,
        orders_url,
        checkout_timeout,
        channels,
    } = config;
    let db = common.connect(store::migrations()).await?;
    let store = Store::new(db.clone(), common.clock.clone(), idle_expiry);
    let guard = Guard {
        timeout: checkout_timeout,
        ..Guard::default()
    };
    let orders = upstream("cart", "orders", guard, connect(&orders_url, &channels)?);
    let api = api::CartApi::new(
        store.clone(),
        common.verifier.clone(),
        api::Orders::new(orders, checkout_timeout),
    );
    let routes = Routes::new(CartServiceServer::new(api));
    let handler = EventHandler::new(common.clock.clone(), idle_expiry);
    let mut service = Service::new(
        "cart",
        common,
        db,
        routes,
        &api::SERVICE_NAMES,
        api::policy(),
    );
    service.consume_events(handler::CONSUMER, Arc::new(handler));
    // Idle carts go; each is deleted only while still expired, so a write
    // racing the sweep keeps its cart.
    let sweep = platform::sweeper::run("expired carts deleted", sweep_interval, move |limit| {
        let store = store.clone();
        async move { store.delete_expired(limit).await }
    });
    service.background.spawn("cart expiry", sweep);
    platform::service::serve_service(service, listener, shutdown).await?;
    Ok(())
}

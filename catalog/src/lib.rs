//! The catalog service: products (public reads, admin writes) and stock
//! with all-or-nothing, idempotent reservations for the orders service.
//!
//! Layers, calling downwards only: [`api`] (tonic, validation, access rules,
//! error mapping) -> [`domain`] (validated values and rules) -> [`store`]
//! (diesel on SQLite or PostgreSQL). [`serve`] assembles them.

pub mod api;
pub mod cache;
pub mod domain;
pub mod error;
pub mod seed;
pub mod store;
pub mod sweeper;

use std::{future::Future, time::Duration};

use contracts::catalog::{
    catalog_service_server::CatalogServiceServer, inventory_service_server::InventoryServiceServer,
};
use platform::{
    auth::Verifier,
    clock::Clock,
    db::{Db, DbError},
    server::{ServeError, ServerSetup},
};
use tokio::net::TcpListener;
use tonic::service::Routes;

use platform::paging::PageTokens;

use crate::{cache::ProductCache, store::Store};

/// Everything the catalog needs to run. [`Config::new`] gives the embedded
/// defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Most PostgreSQL connections.
    pub pool_size: usize,
    /// Whose tokens to believe.
    pub verifier: Verifier,
    /// Where "now" comes from.
    pub clock: Clock,
    /// How long a reservation holds its units before it expires.
    pub reservation_hold: Duration,
    /// How often expired reservations are looked for.
    pub sweep_interval: Duration,
    /// How long a product stays cached (writes from this process invalidate
    /// at once); zero turns the cache off.
    pub cache_ttl: Duration,
    /// Key for page tokens; replicas must share it.
    pub page_token_key: Vec<u8>,
    /// Load the demo catalog into an empty database.
    pub seed_demo: bool,
    /// How long to keep serving after going NOT_SERVING on shutdown.
    pub drain_delay: Duration,
    /// TLS on the port (mutual TLS when it requires client certificates);
    /// `None`, plaintext, is the embedded default.
    pub tls: Option<platform::tls::ServerTls>,
}

impl Config {
    /// Embedded-mode defaults for a database and a trust list.
    pub fn new(database_url: impl Into<String>, verifier: Verifier) -> Self {
        Self {
            database_url: database_url.into(),
            pool_size: 10,
            verifier,
            clock: Clock::System,
            reservation_hold: Duration::from_secs(15 * 60),
            sweep_interval: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(2),
            page_token_key: platform::paging::random_key(),
            seed_demo: false,
            drain_delay: Duration::ZERO,
            tls: None,
        }
    }
}

/// Why the catalog could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot load the demo catalog: {0}")]
    Seed(#[from] error::Error),
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Runs the catalog on `listener` until `shutdown` completes: connects to
/// and migrates the database, seeds it if asked, starts the reservation
/// sweeper, and serves CatalogService and InventoryService.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let db = Db::connect(&config.database_url, config.pool_size, store::migrations()).await?;
    let store = Store::new(db.clone(), config.clock.clone(), config.reservation_hold);
    if config.seed_demo {
        let added = seed::seed_demo(&store).await?;
        if added > 0 {
            tracing::info!(products = added, "loaded the demo catalog");
        }
    }

    let sweeper = tokio::spawn(sweeper::run(store.clone(), config.sweep_interval));
    let catalog = api::CatalogApi::new(
        store.clone(),
        ProductCache::new(config.cache_ttl),
        PageTokens::new(&config.page_token_key),
    );
    let routes = Routes::new(CatalogServiceServer::new(catalog))
        .add_service(InventoryServiceServer::new(api::InventoryApi::new(store)));

    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        database = db.backend(),
        "catalog serving"
    );
    let served = platform::server::serve_tls(
        ServerSetup {
            name: "catalog",
            database: Some(db.clone()),
            routes,
            service_names: api::SERVICE_NAMES.to_vec(),
            policy: api::policy(),
            verifier: config.verifier,
            drain_delay: config.drain_delay,
        },
        config.tls,
        listener,
        shutdown,
    )
    .await;
    sweeper.abort();
    served?;
    tracing::info!("catalog stopped");
    Ok(())
}

//! The payments service: card and wallet charges that are idempotent by
//! key, refunds that never exceed the capture, store-credit wallets that
//! never go below zero, and an append-only ledger of every movement.
//!
//! Layers, calling downwards only: [`api`] (tonic, validation, access
//! rules, error mapping) -> [`service`] (the charge, refund and top-up
//! flows) -> [`processor`] (where money moves: the simulated card network,
//! wallets) and [`store`] (diesel on SQLite or PostgreSQL), all speaking
//! [`domain`] values. [`serve`] assembles them.

pub mod api;
pub mod domain;
pub mod error;
pub mod processor;
pub mod service;
pub mod store;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::payments::payment_service_server::PaymentServiceServer;
use platform::{
    auth::Verifier,
    clock::Clock,
    db::{Db, DbError},
    paging::PageTokens,
    server::{ServeError, ServerSetup},
};
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::{
    processor::{Processors, card::SimulatedCardNetwork, wallet::WalletProcessor},
    service::{Payments, Timing},
    store::Store,
};

/// Everything the payments service needs to run. [`Config::new`] gives the
/// embedded defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Most PostgreSQL connections.
    pub pool_size: usize,
    /// Whose tokens to believe.
    pub verifier: Verifier,
    /// Where "now" comes from (leases, card expiry, timestamps).
    pub clock: Clock,
    /// The card network cards are charged on. Clones share one network,
    /// so tests can look at what it was asked.
    pub card_network: SimulatedCardNetwork,
    /// Processor timeout, charge lease and how long repeats wait.
    pub timing: Timing,
    /// Key for page tokens; replicas must share it.
    pub page_token_key: Vec<u8>,
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
            card_network: SimulatedCardNetwork::default(),
            timing: Timing::default(),
            page_token_key: platform::paging::random_key(),
            drain_delay: Duration::ZERO,
            tls: None,
        }
    }
}

/// Why the payments service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Runs the payments service on `listener` until `shutdown` completes:
/// connects to and migrates the database, and serves PaymentService.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let db = Db::connect(&config.database_url, config.pool_size, store::migrations()).await?;
    let store = Store::new(db.clone(), config.clock.clone());
    let processors = Processors::new(
        Arc::new(config.card_network.clone()),
        Arc::new(WalletProcessor),
    );
    let payments = Payments::new(store, processors, config.clock.clone(), config.timing);
    let api = api::PaymentsApi::new(payments, PageTokens::new(&config.page_token_key));
    let routes = Routes::new(PaymentServiceServer::new(api));

    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        database = db.backend(),
        "payments serving"
    );
    platform::server::serve_tls(
        ServerSetup {
            name: "payments",
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
    .await?;
    tracing::info!("payments stopped");
    Ok(())
}

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
pub mod events;
pub mod processor;
pub mod service;
pub mod store;

use std::{future::Future, sync::Arc};

use contracts::payments::payment_service_server::PaymentServiceServer;
use platform::{auth::Verifier, config::CommonConfig, paging::PageTokens, service::Service};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use platform::service::StartError;

use crate::{
    processor::{Processors, card::SimulatedCardNetwork, wallet::WalletProcessor},
    service::{Payments, Timing},
    store::Store,
};

/// Everything the payments service needs to run. [`Config::new`] gives the
/// embedded defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database, trust list, clock (leases, card expiry, timestamps),
    /// page-token key, drain delay, TLS.
    pub common: CommonConfig,
    /// The card network cards are charged on. Clones share one network,
    /// so tests can look at what it was asked.
    pub card_network: SimulatedCardNetwork,
    /// Processor timeout, charge lease and how long repeats wait.
    pub timing: Timing,
}

impl Config {
    /// Payments on a database and a trust list, with the embedded-mode
    /// defaults: a simulated card network without latency, default timing.
    pub fn new(database_url: impl Into<String>, verifier: Verifier) -> Self {
        Self::with_common(CommonConfig::new(database_url, verifier))
    }

    /// The payments service's own parts (card network, timing) around `common`.
    pub fn with_common(common: CommonConfig) -> Self {
        Self {
            common,
            card_network: SimulatedCardNetwork::default(),
            timing: Timing::default(),
        }
    }
}

/// Runs the payments service on `listener` until `shutdown` completes:
/// connects to and migrates the database, and serves PaymentService.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let Config {
        common,
        card_network,
        timing,
    } = config;
    let db = common.connect(store::migrations()).await?;
    let store = Store::new(db.clone(), common.clock.clone());
    let processors = Processors::new(Arc::new(card_network), Arc::new(WalletProcessor));
    let payments = Payments::new(store, processors, common.clock.clone(), timing);
    let api = api::PaymentsApi::new(payments, PageTokens::new(&common.page_token_key));
    let routes = Routes::new(PaymentServiceServer::new(api));
    let mut service = Service::new(
        "payments",
        common,
        db,
        routes,
        &api::SERVICE_NAMES,
        api::policy(),
    );
    service.publish_events();
    platform::service::serve_service(service, listener, shutdown).await?;
    Ok(())
}

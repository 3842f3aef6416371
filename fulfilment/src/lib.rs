//! The fulfilment service: shipments of confirmed orders. A shipment is
//! created, once, from the orders' `orders.order.confirmed` event; admins
//! (the warehouse) pack it, ship it with a carrier and tracking number, and
//! mark it delivered; an order cancelled before its parcel left cancels
//! it. Every change publishes a `fulfilment.shipment.*` event. An optional
//! demo mode walks shipments to delivered by itself.
//!
//! Layers, calling downwards only: [`api`] (tonic, callers, validation,
//! error mapping) and [`handler`] (events) and [`demo`] (the demo sweep)
//! -> [`domain`] (values and the status machine) -> [`store`] (diesel on
//! SQLite or PostgreSQL, with [`events`] written to the outbox).
//! [`serve`] assembles them.

pub mod api;
pub mod convert;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod handler;
pub mod store;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::fulfilment::fulfilment_service_server::FulfilmentServiceServer;
use platform::{auth::Verifier, config::CommonConfig, paging::PageTokens, service::Service};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use platform::service::StartError;

use crate::{handler::EventHandler, store::Store};

/// Everything the fulfilment service needs to run. [`Config::new`] gives
/// the embedded defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database, trust list, clock, page-token key, drain delay, TLS, events.
    pub common: CommonConfig,
    /// The demo mode: how long a shipment sits in a status before it is
    /// moved to the next by itself. `None` (the default): never.
    pub demo_advance: Option<Duration>,
    /// How often the demo mode looks for shipments to move.
    pub demo_sweep_interval: Duration,
}

impl Config {
    /// The service on a database and a trust list (see [`Config::with_common`]).
    pub fn new(database_url: impl Into<String>, verifier: Verifier) -> Self {
        Self::with_common(CommonConfig::new(database_url, verifier))
    }

    /// The service's own defaults around `common`: no demo mode.
    pub fn with_common(common: CommonConfig) -> Self {
        Self {
            common,
            demo_advance: None,
            demo_sweep_interval: Duration::from_secs(1),
        }
    }
}

/// Runs the fulfilment service on `listener` until `shutdown` completes:
/// connects to and migrates the database, consumes the orders' events,
/// publishes its own, runs the demo mode if asked, and serves
/// FulfilmentService.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let Config {
        mut common,
        demo_advance,
        demo_sweep_interval,
    } = config;
    // An order's cancelled event must not be applied before its confirmed
    // one (it would find no shipment to cancel).
    common.events.consumer.ordered = true;
    let db = common.connect(store::migrations()).await?;
    let store = Store::new(db.clone(), common.clock.clone());
    let api = api::FulfilmentApi::new(store.clone(), PageTokens::new(&common.page_token_key));
    let routes = Routes::new(FulfilmentServiceServer::new(api));
    let handler = EventHandler::new(common.clock.clone());
    let mut service = Service::new(
        "fulfilment",
        common,
        db,
        routes,
        &api::SERVICE_NAMES,
        api::policy(),
    );
    service.consume_events(handler::CONSUMER, Arc::new(handler));
    service.publish_events();
    if let Some(advance) = demo_advance.filter(|a| !a.is_zero()) {
        tracing::info!(
            ?advance,
            "fulfilment demo mode: shipments move along by themselves"
        );
        let sweep =
            platform::sweeper::run("demo shipments moved", demo_sweep_interval, move |limit| {
                let store = store.clone();
                async move { demo::advance(&store, advance, limit).await }
            });
        service.background.spawn("fulfilment demo", sweep);
    }
    platform::service::serve_service(service, listener, shutdown).await?;
    Ok(())
}

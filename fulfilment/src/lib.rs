//! The fulfilment service: shipping quotes and shipments of confirmed
//! orders. A signed-in user asks for a shipping quote (GetShippingQuote):
//! the parcel's products priced and weighed by the catalog, the options
//! priced by the shipping rules (a TOML file, [`domain::shipping`]), kept
//! for a while; the orders service checks the chosen option when the order
//! is placed (CheckShippingQuote). A shipment is created, once, from the
//! orders' `orders.order.confirmed` event; admins (the warehouse) pack it,
//! ship it with a carrier and tracking number, and mark it delivered; the
//! orders service cancels it when the order is cancelled before the parcel
//! left (CancelShipment, even before the confirmed event arrived). Every
//! change publishes a `fulfilment.shipment.*` event. An optional demo mode
//! walks shipments to delivered by itself.
//!
//! Layers, calling downwards only: [`api`] (tonic, callers, validation,
//! error mapping, with [`catalog`] the catalog's client) and [`handler`]
//! (events) and [`demo`] (the demo sweep) -> [`domain`] (values, the
//! status machine, shipping rules and quotes) -> [`store`] (diesel on
//! SQLite or PostgreSQL, with [`events`] written to the outbox). [`serve`]
//! assembles them.

pub mod api;
pub mod catalog;
pub mod convert;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod handler;
pub mod store;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::fulfilment::fulfilment_service_server::FulfilmentServiceServer;
use platform::{
    auth::Verifier,
    client::{ChannelOptions, connect, upstream},
    config::CommonConfig,
    paging::PageTokens,
    resilience::Guard,
    service::Service,
};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use platform::service::StartError;

use crate::{
    api::Quoting, catalog::Catalog, domain::shipping::Rules, handler::EventHandler, store::Store,
};

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
    /// How shipping is priced: the built-in rules (`shipping-rules.toml`)
    /// unless a file is given.
    pub shipping_rules: Arc<Rules>,
    /// Where the catalog service is, e.g. `http://127.0.0.1:50051`.
    pub catalog_url: String,
    /// How the channel to the catalog is built: TLS for `https://`, and
    /// how often its name is resolved again.
    pub channels: ChannelOptions,
    /// Deadline of every call to the catalog.
    pub call_timeout: Duration,
    /// Consecutive failures of the catalog that open its circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker fails calls at once before a trial call.
    pub breaker_cool_down: Duration,
    /// How long a shipping quote holds (the binary takes up to 24 hours).
    pub quote_ttl: Duration,
    /// How long an expired quote is kept (so checking it answers "expired",
    /// not "not found") before the sweep deletes it.
    pub quote_grace: Duration,
    /// How often expired quotes are swept.
    pub quote_sweep_interval: Duration,
}

impl Config {
    /// The service on a database and a trust list (see [`Config::with_common`]).
    pub fn new(database_url: impl Into<String>, verifier: Verifier) -> Self {
        Self::with_common(CommonConfig::new(database_url, verifier))
    }

    /// The service's own defaults around `common`: no demo mode, the
    /// built-in shipping rules, the catalog on its embedded address.
    pub fn with_common(common: CommonConfig) -> Self {
        Self {
            common,
            demo_advance: None,
            demo_sweep_interval: Duration::from_secs(1),
            shipping_rules: Arc::new(builtin_rules()),
            catalog_url: "http://127.0.0.1:50051".into(),
            channels: ChannelOptions::default(),
            call_timeout: Duration::from_secs(3),
            breaker_failures: Guard::default().failures_to_open,
            breaker_cool_down: Guard::default().cool_down,
            quote_ttl: Duration::from_secs(30 * 60),
            quote_grace: Duration::from_secs(24 * 60 * 60),
            quote_sweep_interval: Duration::from_secs(60),
        }
    }
}

/// The rules built into the binary; a test checks they are valid, so a
/// failure here is a broken build, not a runtime condition.
fn builtin_rules() -> Rules {
    Rules::default_rules().unwrap_or_else(|e| panic!("the built-in shipping rules: {e}"))
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
        shipping_rules,
        catalog_url,
        channels,
        call_timeout,
        breaker_failures,
        breaker_cool_down,
        quote_ttl,
        quote_grace,
        quote_sweep_interval,
    } = config;
    let guard = Guard {
        timeout: call_timeout,
        failures_to_open: breaker_failures.max(1),
        cool_down: breaker_cool_down,
        ..Guard::default()
    };
    let catalog = Catalog::new(
        upstream(
            "fulfilment",
            "catalog",
            guard,
            connect(&catalog_url, &channels)?,
        ),
        call_timeout,
    );
    let quoting = Quoting {
        rules: shipping_rules,
        catalog,
        ttl: time::Duration::try_from(quote_ttl).unwrap_or(time::Duration::MAX),
    };
    // An order's cancelled event must not be applied before its confirmed
    // one (it would find no shipment to cancel).
    common.events.consumer.ordered = true;
    let db = common.connect(store::migrations()).await?;
    let store = Store::new(db.clone(), common.clock.clone());
    let api = api::FulfilmentApi::new(
        store.clone(),
        PageTokens::new(&common.page_token_key),
        quoting,
    );
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
    let quotes = store.clone();
    let sweep = platform::sweeper::run(
        "expired shipping quotes deleted",
        quote_sweep_interval,
        move |limit| {
            let store = quotes.clone();
            async move {
                let before = store.now() - quote_grace;
                store.delete_expired_quotes(before, limit).await
            }
        },
    );
    service.background.spawn("shipping quotes sweep", sweep);
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

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
pub mod events;
pub mod image_store;
pub mod seed;
pub mod store;

use std::{future::Future, sync::Arc, time::Duration};

use contracts::catalog::{
    catalog_service_server::CatalogServiceServer, inventory_service_server::InventoryServiceServer,
};
use platform::{auth::Verifier, config::CommonConfig, paging::PageTokens, service::Service};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use image_store::{ImageStore, ImageStoreArgs};
pub use platform::service::StartError;

use crate::{
    cache::ProductCache,
    store::{S3Blobs, S3Config, Store},
};

/// Largest request message CatalogService takes: a 4 MiB image
/// ([`domain::image::MAX_IMAGE_BYTES`]) and room for its id and alt text.
pub const MAX_CATALOG_MESSAGE_BYTES: usize = domain::image::MAX_IMAGE_BYTES + 16 * 1024;

/// Everything the catalog needs to run. [`Config::new`] gives the embedded
/// defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database, trust list, clock, page-token key, drain delay, TLS.
    pub common: CommonConfig,
    /// How long a reservation holds its units before it expires.
    pub reservation_hold: Duration,
    /// How often expired reservations are looked for.
    pub sweep_interval: Duration,
    /// How long a product stays cached (writes from this process, stock
    /// changes included, invalidate at once); zero turns the cache off. It
    /// bounds how stale another replica's availability can be, which the
    /// contract promises is "a few seconds at most".
    pub cache_ttl: Duration,
    /// Load the demo catalog into an empty database.
    pub seed_demo: bool,
    /// Available units below which `catalog.stock.low` is published.
    pub low_stock_threshold: i64,
    /// Where images' bytes are kept.
    pub images: ImageStore,
}

impl Config {
    /// The catalog on a database and a trust list, with the embedded-mode
    /// defaults (see [`Config::with_common`]).
    pub fn new(database_url: impl Into<String>, verifier: Verifier) -> Self {
        Self::with_common(CommonConfig::new(database_url, verifier))
    }

    /// The catalog's own defaults around `common`: 15-minute holds swept
    /// every 30 s, products cached for 2 s, no demo data, images in the
    /// database.
    pub fn with_common(common: CommonConfig) -> Self {
        Self {
            common,
            reservation_hold: Duration::from_secs(15 * 60),
            sweep_interval: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(2),
            seed_demo: false,
            low_stock_threshold: store::LOW_STOCK_THRESHOLD,
            images: ImageStore::Database,
        }
    }
}

/// Runs the catalog on `listener` until `shutdown` completes: connects to
/// and migrates the database, checks the image store, seeds it if asked,
/// starts the reservation sweeper, and serves CatalogService and
/// InventoryService.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let Config {
        common,
        reservation_hold,
        sweep_interval,
        cache_ttl,
        seed_demo,
        low_stock_threshold,
        images,
    } = config;
    let db = common.connect(store::migrations()).await?;
    let mut store = Store::new(db.clone(), common.clock.clone(), reservation_hold)
        .with_low_stock(low_stock_threshold);
    if let ImageStore::S3(s3) = &images {
        store = store.with_blobs(Arc::new(s3_blobs(s3).await?));
    }
    if seed_demo {
        let added = seed::seed_demo(&store)
            .await
            .map_err(|e| StartError::setup("cannot load the demo catalog", e))?;
        if added > 0 {
            tracing::info!(products = added, "loaded the demo catalog");
        }
    }

    // One cache for both services and the sweeper: products show their
    // availability, so stock changes forget the products they touch.
    let cache = ProductCache::new(cache_ttl);
    let tokens = PageTokens::new(&common.page_token_key);
    let catalog = api::CatalogApi::new(store.clone(), cache.clone(), tokens.clone());
    let inventory = api::InventoryApi::new(store.clone(), cache.clone(), tokens);
    // An image upload is up to 4 MiB of content plus its other fields, just
    // over gRPC's default 4 MiB message limit; this service (only) takes a
    // little more. Larger messages are refused with RESOURCE_EXHAUSTED.
    let catalog =
        CatalogServiceServer::new(catalog).max_decoding_message_size(MAX_CATALOG_MESSAGE_BYTES);
    let routes = Routes::new(catalog).add_service(InventoryServiceServer::new(inventory));
    let mut service = Service::new(
        "catalog",
        common,
        db,
        routes,
        &api::SERVICE_NAMES,
        api::policy(),
    );
    // Expired holds go back on sale; one conditional update per
    // reservation, so replicas sweeping at once release each once.
    let sweep = platform::sweeper::run(
        "expired reservations released",
        sweep_interval,
        move |limit| {
            let (store, cache) = (store.clone(), cache.clone());
            async move {
                store
                    .release_expired(limit, |product| cache.invalidate(&product))
                    .await
            }
        },
    );
    service.background.spawn("reservation sweeper", sweep);
    service.publish_events();
    platform::service::serve_service(service, listener, shutdown).await?;
    Ok(())
}

/// The bucket `config` names, once it has shown it can be written, read and
/// deleted from; a failure names the flags that set it.
async fn s3_blobs(config: &S3Config) -> Result<S3Blobs, StartError> {
    let cannot = |error| {
        StartError::setup(
            format!(
                "cannot keep images in the S3 bucket {:?} at {} (check --images-s3-bucket, \
                 --images-s3-endpoint, --images-s3-region and the AWS_* credentials)",
                config.bucket,
                config.endpoint.as_deref().unwrap_or("AWS"),
            ),
            error,
        )
    };
    let blobs = S3Blobs::new(config).map_err(cannot)?;
    blobs.check().await.map_err(cannot)?;
    tracing::info!(bucket = %config.bucket, "images are kept in S3");
    Ok(blobs)
}

//! The `catalog` binary: flags (with environment fallbacks) -> [`catalog::Config`]
//! -> [`catalog::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use platform::config::{CommonArgs, parse_duration};
use tokio::net::TcpListener;

/// Shop's catalog service: products, stock and reservations over gRPC.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// Load the demo catalog (about 20 products) into an empty database.
    #[arg(long, env = "SEED_DEMO")]
    seed_demo: bool,

    /// How long a reservation holds its units before it expires.
    #[arg(long, env = "RESERVATION_HOLD", default_value = "15m", value_parser = parse_duration)]
    reservation_hold: Duration,

    /// How often expired reservations are released.
    #[arg(long, env = "SWEEP_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    sweep_interval: Duration,

    /// How long other replicas' product and stock changes (availability) may
    /// take to show; the contract promises a few seconds at most (0 = no cache).
    #[arg(long, env = "PRODUCT_CACHE_TTL", default_value = "2s", value_parser = parse_duration)]
    product_cache_ttl: Duration,

    /// Publish `catalog.stock.low` when a product's available units fall
    /// below this.
    #[arg(long, env = "LOW_STOCK_THRESHOLD", default_value_t = catalog::store::LOW_STOCK_THRESHOLD)]
    low_stock_threshold: i64,

    #[command(flatten)]
    images: catalog::ImageStoreArgs,
}

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("catalog", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = catalog::Config::with_common(args.common.config("catalog")?);
    config.reservation_hold = args.reservation_hold;
    config.sweep_interval = args.sweep_interval;
    config.cache_ttl = args.product_cache_ttl;
    config.seed_demo = args.seed_demo;
    config.low_stock_threshold = args.low_stock_threshold;
    config.images = args.images.config()?;
    catalog::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

//! The `catalog` binary: flags (with environment fallbacks) -> [`catalog::Config`]
//! -> [`catalog::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use platform::config::{CommonArgs, parse_duration};

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

    /// How long other replicas' product changes may take to show (0 = no cache).
    #[arg(long, env = "PRODUCT_CACHE_TTL", default_value = "2s", value_parser = parse_duration)]
    product_cache_ttl: Duration,

    /// Secret for page tokens; replicas must share it. Default: random per process.
    #[arg(long, env = "PAGE_TOKEN_SECRET", hide_env_values = true)]
    page_token_secret: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let telemetry = platform::telemetry::init(args.common.log_format, "catalog");
    let result = run(args).await;
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One readable line, no backtrace: this is what an operator sees.
            eprintln!("catalog: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = catalog::Config::new(
        args.common.database_url_for("catalog"),
        args.common.verifier()?,
    );
    config.pool_size = args.common.database_pool_size;
    config.reservation_hold = args.reservation_hold;
    config.sweep_interval = args.sweep_interval;
    config.cache_ttl = args.product_cache_ttl;
    config.seed_demo = args.seed_demo;
    config.drain_delay = args.common.drain_delay;
    config.tls = args.common.server_tls()?;
    if let Some(secret) = args.page_token_secret {
        config.page_token_key = secret.into_bytes();
    }
    platform::admin::start(args.common.metrics_listen).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    catalog::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

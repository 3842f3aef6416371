//! The `orders` binary: flags (with environment fallbacks) -> [`orders::Config`]
//! -> [`orders::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use platform::{
    auth::{Signer, issuer},
    config::{CommonArgs, parse_duration, read_signing_key},
};
use tokio::net::TcpListener;

/// Shop's orders service: orders and the checkout saga over gRPC.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50052")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// The catalog service's URL.
    #[arg(long, env = "CATALOG_URL", default_value = "http://127.0.0.1:50051")]
    catalog_url: String,

    /// The payments service's URL.
    #[arg(long, env = "PAYMENTS_URL", default_value = "http://127.0.0.1:50053")]
    payments_url: String,

    /// The fulfilment service's URL (shipping quotes, cancelled shipments).
    #[arg(long, env = "FULFILMENT_URL", default_value = "http://127.0.0.1:50056")]
    fulfilment_url: String,

    /// This service's Ed25519 private key (PKCS#8 PEM), to sign the tokens
    /// it calls catalog, payments and fulfilment with.
    #[arg(long, env = "SIGNING_KEY_FILE")]
    signing_key_file: PathBuf,

    /// The issuer name its tokens carry (catalog, payments and fulfilment
    /// trust it by name).
    #[arg(long, env = "TOKEN_ISSUER", default_value = issuer::ORDERS)]
    token_issuer: String,

    /// Deadline of every call to catalog, payments and fulfilment.
    #[arg(long, env = "CALL_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    call_timeout: Duration,

    /// How often stalled checkouts are looked for.
    #[arg(long, env = "RECOVERY_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    recovery_interval: Duration,

    /// How long a replica owns a checkout without renewing its lease; a
    /// crashed replica's checkouts are taken over this long after.
    #[arg(long, env = "ORDER_LEASE", default_value = "60s", value_parser = parse_duration)]
    lease: Duration,

    /// How long card details are kept in memory for a checkout's charge;
    /// a card order not charged by then fails as PAYMENT_INCOMPLETE.
    #[arg(long, env = "CARD_TTL", default_value = "5m", value_parser = parse_duration)]
    card_ttl: Duration,

    /// How long a checkout must sit untouched to be resumed by recovery.
    #[arg(long, env = "STALE_AFTER", default_value = "30s", value_parser = parse_duration)]
    stale_after: Duration,

    /// Most calls in flight to each of catalog, payments and fulfilment.
    #[arg(long, env = "MAX_CALLS_IN_FLIGHT", default_value_t = 128)]
    max_calls_in_flight: usize,

    #[command(flatten)]
    breaker: platform::resilience::BreakerArgs,
}

platform::service_args!(Args);

/// Service tokens are short-lived: they only need to outlive one call.
const SERVICE_TOKEN_TTL: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("orders", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let signer = Signer::new(
        &args.token_issuer,
        &args.common.token_audience,
        &read_signing_key(&args.signing_key_file)?,
        SERVICE_TOKEN_TTL,
    )?;
    let mut config = orders::Config::with_common(
        args.common.config("orders")?,
        signer,
        args.catalog_url,
        args.payments_url,
    );
    config.fulfilment_url = args.fulfilment_url;
    config.call_timeout = args.call_timeout;
    config.recovery_interval = args.recovery_interval;
    config.stale_after = args.stale_after;
    config.lease = args.lease;
    config.card_ttl = args.card_ttl;
    config.channels = args.common.channel_options()?;
    config.max_in_flight = args.max_calls_in_flight;
    config.breaker_failures = args.breaker.breaker_failures;
    config.breaker_cool_down = args.breaker.breaker_cool_down;
    orders::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

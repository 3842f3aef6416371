//! The `payments` binary: flags (with environment fallbacks) ->
//! [`payments::Config`] -> [`payments::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use payments::processor::card::SimulatedCardNetwork;
use platform::config::{CommonArgs, parse_duration};

/// Shop's payments service: charges, refunds and wallets over gRPC.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50053")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// Longest wait for the card network's answer; longer is transient
    /// trouble (UNAVAILABLE, retry with the same key).
    #[arg(long, env = "PROCESSOR_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    processor_timeout: Duration,

    /// How long a charge attempt owns its payment before a repeat may take
    /// it over (after a crash). Keep it above --processor-timeout.
    #[arg(long, env = "CHARGE_LEASE", default_value = "30s", value_parser = parse_duration)]
    charge_lease: Duration,

    /// How long a repeated charge waits for the first call still in flight
    /// before answering CHARGE_IN_PROGRESS.
    #[arg(long, env = "DUPLICATE_WAIT", default_value = "5s", value_parser = parse_duration)]
    duplicate_wait: Duration,

    /// Simulated card network latency per call.
    #[arg(long, env = "CARD_NETWORK_LATENCY", default_value = "0s", value_parser = parse_duration)]
    card_network_latency: Duration,

    /// Secret for page tokens; replicas must share one. Default: random per process.
    #[arg(long, env = "PAGE_TOKEN_SECRET", hide_env_values = true)]
    page_token_secret: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let telemetry = platform::telemetry::init(args.common.log_format, "payments");
    let result = run(args).await;
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One readable line, no backtrace: this is what an operator sees.
            eprintln!("payments: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = payments::Config::new(
        args.common.database_url_for("payments"),
        args.common.verifier()?,
    );
    config.pool_size = args.common.database_pool_size;
    config.drain_delay = args.common.drain_delay;
    config.tls = args.common.server_tls()?;
    config.timing.processor_timeout = args.processor_timeout;
    config.timing.charge_lease = args.charge_lease;
    config.timing.duplicate_wait = args.duplicate_wait;
    config.card_network = SimulatedCardNetwork::new(args.card_network_latency);
    if let Some(secret) = args.page_token_secret {
        config.page_token_key = secret.into_bytes();
    }
    platform::admin::start(args.common.metrics_listen).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    payments::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

//! The `payments` binary: flags (with environment fallbacks) ->
//! [`payments::Config`] -> [`payments::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use payments::processor::card::SimulatedCardNetwork;
use platform::config::{CommonArgs, parse_duration};
use tokio::net::TcpListener;

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
}

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("payments", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = payments::Config::with_common(args.common.config("payments")?);
    config.timing.processor_timeout = args.processor_timeout;
    config.timing.charge_lease = args.charge_lease;
    config.timing.duplicate_wait = args.duplicate_wait;
    config.card_network = SimulatedCardNetwork::new(args.card_network_latency);
    payments::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

//! The `fulfilment` binary: flags (with environment fallbacks) ->
//! [`fulfilment::Config`] -> [`fulfilment::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use platform::config::{CommonArgs, parse_duration};
use tokio::net::TcpListener;

/// Shop's fulfilment service: shipments of confirmed orders.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50056")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// Demo mode: move every shipment one step (packed, shipped with "Demo
    /// Post", delivered) once it has sat in its status this long. 0 (the
    /// default) is off; never for a real warehouse.
    #[arg(long, env = "FULFILMENT_DEMO_ADVANCE", default_value = "0", value_parser = parse_duration)]
    demo_advance: Duration,
}

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("fulfilment", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = fulfilment::Config::with_common(args.common.config("fulfilment")?);
    config.demo_advance = Some(args.demo_advance).filter(|a| !a.is_zero());
    fulfilment::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

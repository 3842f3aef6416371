//! The `cart` binary: flags (with environment fallbacks) ->
//! [`cart::Config`] -> [`cart::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use platform::config::{CommonArgs, parse_duration};
use tokio::net::TcpListener;

/// Shop's cart service: server-side carts.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50055")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// How long a cart nobody changes is kept before it is deleted (720h:
    /// 30 days).
    #[arg(long, env = "CART_IDLE_EXPIRY", default_value = "720h", value_parser = parse_duration)]
    idle_expiry: Duration,

    /// How often expired carts are looked for.
    #[arg(long, env = "CART_SWEEP_INTERVAL", default_value = "1m", value_parser = parse_duration)]
    sweep_interval: Duration,

    /// The orders service's URL (CheckoutCart places the order there, with
    /// the customer's own token).
    #[arg(long, env = "ORDERS_URL", default_value = "http://127.0.0.1:50052")]
    orders_url: String,

    /// Deadline of each order placed from a cart (CreateOrder runs the
    /// whole checkout: stock, payment).
    #[arg(long, env = "CHECKOUT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    checkout_timeout: Duration,
}

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("cart", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = cart::Config::with_common(args.common.config("cart")?, args.orders_url);
    config.idle_expiry = args.idle_expiry;
    config.sweep_interval = args.sweep_interval;
    config.checkout_timeout = args.checkout_timeout;
    config.channels = args.common.channel_options()?;
    cart::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

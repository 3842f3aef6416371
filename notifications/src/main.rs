//! The `notifications` binary: flags (with environment fallbacks) ->
//! [`notifications::Config`] -> [`notifications::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use notifications::{MailTransport, Shop, domain::RetryPolicy};
use platform::config::{CommonArgs, parse_duration};
use tokio::net::TcpListener;

/// Shop's notifications service: the emails customers get.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:50054")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// The SMTP server: `smtp://[USER:PASSWORD@]HOST[:PORT]` (plain;
    /// `?tls=required` for STARTTLS) or `smtps://...` (TLS). Default: no
    /// server, each email written as an .eml file in <data-dir>/mail.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,

    /// The From of every email.
    #[arg(long, env = "MAIL_FROM", default_value = notifications::DEFAULT_MAIL_FROM)]
    mail_from: String,

    /// The shop's name, as emails show it.
    #[arg(long, env = "SHOP_NAME", default_value = "Shop")]
    shop_name: String,

    /// Where customers find the shop, linked from every email.
    #[arg(long, env = "SHOP_URL", default_value = "http://127.0.0.1:8080/")]
    shop_url: String,

    /// Attempts at sending an email before it is FAILED.
    #[arg(long, env = "MAIL_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=100))]
    max_attempts: i32,

    /// The wait after a failed attempt; it doubles after each one...
    #[arg(long, env = "MAIL_RETRY_BACKOFF", default_value = "10s", value_parser = parse_duration)]
    retry_backoff: Duration,

    /// ...up to this.
    #[arg(long, env = "MAIL_RETRY_BACKOFF_MAX", default_value = "10m", value_parser = parse_duration)]
    retry_backoff_max: Duration,

    /// Longest one attempt may take.
    #[arg(long, env = "MAIL_SEND_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    send_timeout: Duration,

    /// How long an email waits for its recipient's address (the user's
    /// registration event) before it is FAILED.
    #[arg(long, env = "MAIL_ADDRESS_WAIT", default_value = "24h", value_parser = parse_duration)]
    address_wait: Duration,
}

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("notifications", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let transport = match args.smtp_url {
        Some(url) => MailTransport::Smtp(url),
        None => MailTransport::Files(args.common.data_dir.join("mail")),
    };
    let mut config =
        notifications::Config::with_common(args.common.config("notifications")?, transport);
    config.mail_from = args.mail_from;
    config.shop = Shop {
        name: args.shop_name,
        url: args.shop_url,
    };
    config.sending.send_timeout = args.send_timeout;
    config.sending.address_wait = args.address_wait;
    config.sending.retry = RetryPolicy {
        max_attempts: args.max_attempts,
        base: args.retry_backoff,
        cap: args.retry_backoff_max,
    };
    notifications::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

//! The `fulfilment` binary: flags (with environment fallbacks) ->
//! [`fulfilment::Config`] -> [`fulfilment::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use clap::Parser;
use fulfilment::domain::shipping::Rules;
use platform::{
    config::{CommonArgs, parse_duration},
    resilience::BreakerArgs,
};
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

    /// The shipping rules (zones, options, prices, free shipping): a TOML
    /// file like the built-in `shipping-rules.toml`, which is used when
    /// none is given. Invalid rules stop the service at start.
    #[arg(long, env = "SHIPPING_RULES")]
    shipping_rules: Option<PathBuf>,

    /// Where the catalog service is (prices and weights for quotes).
    #[arg(long, env = "CATALOG_URL", default_value = "http://127.0.0.1:50051")]
    catalog_url: String,

    /// How long a shipping quote holds (CreateOrder must name it before):
    /// more than 0, at most 24h.
    #[arg(long, env = "QUOTE_TTL", default_value = "30m", value_parser = parse_duration)]
    quote_ttl: Duration,

    #[command(flatten)]
    breaker: BreakerArgs,
}

/// The rules in `path`, or the built-in ones; the error names the file
/// and the problem.
fn shipping_rules(path: Option<&PathBuf>) -> Result<Rules, Box<dyn std::error::Error>> {
    let Some(path) = path else {
        return Ok(Rules::default_rules()?);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the shipping rules {}: {e}", path.display()))?;
    Ok(Rules::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Longest a quote may hold: it is for one checkout, and prices and
/// weights change.
const MAX_QUOTE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("fulfilment", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    if args.quote_ttl.is_zero() || args.quote_ttl > MAX_QUOTE_TTL {
        return Err("--quote-ttl must be more than 0 and at most 24h".into());
    }
    let mut config = fulfilment::Config::with_common(args.common.config("fulfilment")?);
    config.demo_advance = Some(args.demo_advance).filter(|a| !a.is_zero());
    config.shipping_rules = Arc::new(shipping_rules(args.shipping_rules.as_ref())?);
    config.catalog_url = args.catalog_url;
    config.channels = args.common.channel_options()?;
    config.quote_ttl = args.quote_ttl;
    config.breaker_failures = args.breaker.breaker_failures;
    config.breaker_cool_down = args.breaker.breaker_cool_down;
    fulfilment::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_come_from_the_file_named_or_are_the_built_in_ones() {
        let built_in = shipping_rules(None).expect("the built-in rules");
        let path = std::env::temp_dir().join(format!("rules-{}.toml", std::process::id()));
        let euro = fulfilment::domain::shipping::DEFAULT_RULES.replace("\"USD\"", "\"EUR\"");
        std::fs::write(&path, euro).expect("a rules file");
        let from_file = shipping_rules(Some(&path));
        std::fs::write(&path, "currency = \"USD\"").expect("a rules file");
        let broken = shipping_rules(Some(&path)).map(drop);
        std::fs::remove_file(&path).expect("removed");

        assert_eq!(built_in.currency().as_str(), "USD");
        assert_eq!(from_file.expect("rules").currency().as_str(), "EUR");
        let error = broken.expect_err("incomplete rules").to_string();
        assert!(error.contains(&path.display().to_string()), "{error}");
        assert!(error.contains("invalid shipping rules"), "{error}");
        let missing = shipping_rules(Some(&path)).map(drop);
        assert!(missing.is_err());
    }
}

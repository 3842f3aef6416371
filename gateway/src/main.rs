//! The `gateway` binary: flags (with environment fallbacks) ->
//! [`gateway::Config`] -> [`gateway::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use gateway::{Account, Cors, limits::Rate};
use platform::{
    auth::{KeyPair, Signer, issuer},
    config::{CommonArgs, parse_duration, read_signing_key},
};
use tokio::net::TcpListener;

/// Shop's gateway: the public gRPC and grpc-web entry, and accounts.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    #[command(flatten)]
    common: CommonArgs,

    /// The gateway's Ed25519 private key (PKCS#8 PEM): it signs user tokens.
    #[arg(long, env = "SIGNING_KEY_FILE")]
    signing_key_file: PathBuf,

    /// How long an access token lives.
    #[arg(long, env = "TOKEN_TTL", default_value = "15m", value_parser = parse_duration)]
    token_ttl: Duration,

    #[arg(long, env = "CATALOG_URL", default_value = "http://127.0.0.1:50051")]
    catalog_url: String,
    #[arg(long, env = "ORDERS_URL", default_value = "http://127.0.0.1:50052")]
    orders_url: String,
    #[arg(long, env = "PAYMENTS_URL", default_value = "http://127.0.0.1:50053")]
    payments_url: String,
    #[arg(
        long,
        env = "NOTIFICATIONS_URL",
        default_value = "http://127.0.0.1:50054"
    )]
    notifications_url: String,

    /// A backend's URL, as NAME=URL with the name the route table gives it
    /// (e.g. `cart=http://cart:50055`); repeat it, or comma-separate them
    /// in BACKENDS. It is how a backend without a flag of its own is given,
    /// and it wins over --catalog-url and the like.
    #[arg(long = "backend", env = "BACKENDS", value_delimiter = ',', value_parser = parse_backend)]
    backends: Vec<(String, String)>,

    /// A browser origin allowed to call the gateway (grpc-web from another
    /// site); repeat it, or `*` for any (development only). The storefront
    /// served by the gateway itself needs none.
    #[arg(long = "cors-origin", env = "CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,

    /// A proxy (CIDR, e.g. the ingress controller's pod network) whose
    /// X-Forwarded-For names the client for the per-address limits; repeat
    /// it. Without one, the TCP peer is the client.
    #[arg(long = "trusted-proxy", env = "TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<ipnet::IpNet>,

    /// Calls per second per user (or per client address when anonymous).
    #[arg(long, env = "RATE_PER_SECOND", default_value_t = 50.0)]
    rate_per_second: f64,
    /// Burst size of that limit.
    #[arg(long, env = "RATE_BURST", default_value_t = 100)]
    rate_burst: u32,

    /// Login and Register attempts per second per client address (stricter
    /// than the call rate: it slows password guessing). Raise it only where
    /// many accounts sign in from one address on purpose, as a load test does.
    #[arg(long, env = "SIGN_IN_RATE_PER_SECOND", default_value_t = 0.5)]
    sign_in_rate_per_second: f64,
    /// Burst size of the sign-in limit.
    #[arg(long, env = "SIGN_IN_RATE_BURST", default_value_t = 10)]
    sign_in_rate_burst: u32,

    /// Create this admin account at start, or make the account an admin and
    /// reset its password (with --admin-password).
    #[arg(long, env = "ADMIN_EMAIL", requires = "admin_password")]
    admin_email: Option<String>,
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,

    /// Most calls in flight to each backend.
    #[arg(long, env = "MAX_CALLS_IN_FLIGHT", default_value_t = 512)]
    max_calls_in_flight: usize,

    #[command(flatten)]
    breaker: platform::resilience::BreakerArgs,

    /// Create the demo accounts (see the README) if they are missing.
    #[arg(long, env = "DEMO_ACCOUNTS")]
    demo_accounts: bool,
}

platform::service_args!(Args);

#[tokio::main]
async fn main() -> ExitCode {
    platform::binary::run_main("gateway", run).await
}

async fn run(args: Args, listener: TcpListener) -> Result<(), Box<dyn std::error::Error>> {
    let pem = read_signing_key(&args.signing_key_file)?;
    let keys = KeyPair::from_private_pem(&pem)?;
    let audience = &args.common.token_audience;
    let signer = Signer::new(issuer::GATEWAY, audience, &keys.private_pem, args.token_ttl)?;
    // Its own key, plus any earlier key of its own named in TRUSTED_ISSUERS
    // while a rotation is under way; never another issuer's (service tokens
    // are not for the public edge).
    if let Some(other) = args
        .common
        .trusted_issuers
        .iter()
        .find(|trusted| trusted.issuer != issuer::GATEWAY)
    {
        return Err(format!(
            "the gateway trusts only its own issuer {:?} (an earlier key while rotating), not {:?}",
            issuer::GATEWAY,
            other.issuer
        )
        .into());
    }
    // The public port takes the certificate only: browsers present none,
    // so --tls-client-ca belongs to internal services.
    let mut common = args.common.config("gateway")?;
    common.verifier = common.verifier.trust(issuer::GATEWAY, &keys.public_pem)?;

    let mut config = gateway::Config::with_common(
        common,
        signer,
        [
            ("catalog".to_owned(), args.catalog_url),
            ("orders".to_owned(), args.orders_url),
            ("payments".to_owned(), args.payments_url),
            ("notifications".to_owned(), args.notifications_url),
        ]
        .into_iter()
        .chain(args.backends),
    );
    config.channels = args.common.channel_options()?;
    config.max_in_flight = args.max_calls_in_flight;
    config.breaker_failures = args.breaker.breaker_failures;
    config.breaker_cool_down = args.breaker.breaker_cool_down;
    config.trusted_proxies = args.trusted_proxies;
    config.cors = if args.cors_origins.iter().any(|o| o == "*") {
        Cors::AnyOrigin
    } else {
        Cors::Origins(args.cors_origins)
    };
    config.rate = Rate {
        per_second: args.rate_per_second,
        burst: args.rate_burst,
    };
    config.sign_in_rate = Rate {
        per_second: args.sign_in_rate_per_second,
        burst: args.sign_in_rate_burst,
    };
    config.demo_accounts = args.demo_accounts;
    if let (Some(email), Some(password)) = (args.admin_email, args.admin_password) {
        config.admin = Some(Account { email, password });
    }
    gateway::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

/// `NAME=URL`, for `--backend`.
fn parse_backend(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, url)) if !name.is_empty() && !url.is_empty() => {
            Ok((name.to_owned(), url.to_owned()))
        }
        _ => Err(format!("expected NAME=URL, got {arg:?}")),
    }
}

//! The `gateway` binary: flags (with environment fallbacks) ->
//! [`gateway::Config`] -> [`gateway::serve`] until SIGINT/SIGTERM.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use gateway::{Account, Cors, limits::Rate};
use platform::{
    auth::{KeyPair, Signer, Verifier, issuer},
    config::{CommonArgs, parse_duration},
};

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

    /// A browser origin allowed to call the gateway (grpc-web from another
    /// site); repeat it, or `*` for any (development only). The storefront
    /// served by the gateway itself needs none.
    #[arg(long = "cors-origin", env = "CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,

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

    /// Create the demo accounts (see the README) if they are missing.
    #[arg(long, env = "DEMO_ACCOUNTS")]
    demo_accounts: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    platform::telemetry::init(args.common.log_format);
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gateway: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let pem = std::fs::read_to_string(&args.signing_key_file).map_err(|e| {
        format!(
            "cannot read the signing key {}: {e}",
            args.signing_key_file.display()
        )
    })?;
    let keys = KeyPair::from_private_pem(&pem)?;
    let audience = &args.common.token_audience;
    let signer = Signer::new(issuer::GATEWAY, audience, &keys.private_pem, args.token_ttl)?;
    let verifier =
        Verifier::new(issuer::GATEWAY, audience).trust(issuer::GATEWAY, &keys.public_pem)?;

    let mut config = gateway::Config::new(
        args.common.database_url_for("gateway"),
        signer,
        verifier,
        [args.catalog_url, args.orders_url, args.payments_url],
    );
    config.pool_size = args.common.database_pool_size;
    config.drain_delay = args.common.drain_delay;
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
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    gateway::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

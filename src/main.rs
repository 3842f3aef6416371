//! `shop`: runs Shop on one machine with one command (`cargo run`).
//!
//! For now that is the catalog service with the demo catalog, on the
//! embedded SQLite default; the other services join it as they land.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::Parser;
use platform::{auth, telemetry::LogFormat};

const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SHOP_GIT_COMMIT"),
    ")"
);

/// Shop on one machine: every service in one process, data in one directory.
#[derive(Parser, Debug)]
#[command(version = VERSION, about)]
struct Args {
    /// Directory for the SQLite databases.
    #[arg(long, env = "SHOP_DATA_DIR", default_value = ".shop-data")]
    data_dir: PathBuf,

    /// Where the catalog service listens.
    #[arg(long, env = "CATALOG_LISTEN", default_value = "127.0.0.1:50051")]
    catalog_listen: SocketAddr,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    platform::telemetry::init(args.log_format);
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("shop: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let database_url = format!("sqlite://{}", args.data_dir.join("catalog.db").display());
    let verifier = auth::Verifier::new(auth::issuer::GATEWAY, auth::DEFAULT_AUDIENCE);
    let mut config = catalog::Config::new(database_url, verifier);
    config.seed_demo = true;

    let listener = tokio::net::TcpListener::bind(args.catalog_listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.catalog_listen))?;
    print_welcome(args.catalog_listen);
    catalog::serve(config, listener, platform::shutdown::signal()).await?;
    Ok(())
}

fn print_welcome(catalog: SocketAddr) {
    println!(
        "\nShop {VERSION} is starting.\n\
         \n  catalog   {catalog}   (gRPC, with reflection)\n\
         \nTry:\n\
         \n  grpcurl -plaintext {catalog} list\
         \n  grpcurl -plaintext -d '{{\"page_size\": 3}}' {catalog} shop.catalog.v1.CatalogService/ListProducts\
         \n  grpcurl -plaintext -d '{{\"query\": \"coffee\"}}' {catalog} shop.catalog.v1.CatalogService/ListProducts\
         \n\nCtrl-C stops it.\n"
    );
}

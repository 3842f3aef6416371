//! `shop`: runs Shop on one machine with one command (`cargo run`): the
//! gateway (storefront, accounts, public API), catalog (with a demo
//! catalog), orders, payments, notifications, cart and fulfilment (its demo
//! mode on: shipments move along by themselves) on loopback, with SQLite
//! files, development keys and the emails the shop sends (as .eml files,
//! unless --smtp-url names a server) in one data directory, and demo
//! accounts.
//!
//! `shop token` mints a development token with the local gateway key, for
//! calling the services directly; `shop admin` creates or promotes an admin;
//! `shop loadgen` drives a running shop and measures it (`bench/run` also
//! uses the hidden `shop bench-echo`, the reference it measures against).

mod devkeys;

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use platform::{
    auth::{DEFAULT_AUDIENCE, Role, Signer, Verifier, issuer},
    binary::bind,
    events::{AmqpConfig, Broker, EventsConfig, LocalBus, Transport},
    telemetry::LogFormat,
};

const VERSION: &str = platform::build::VERSION_LINE;

/// Shop on one machine: every service in one process, data in one directory.
#[derive(Parser, Debug)]
#[command(version = VERSION, about)]
struct Args {
    /// Directory for the SQLite databases and development keys.
    #[arg(
        long,
        env = "SHOP_DATA_DIR",
        default_value = ".shop-data",
        global = true
    )]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create an admin account, or make an existing account an admin and
    /// set its password (the gateway's accounts database in the data dir).
    Admin {
        /// The admin's email address (the account is created if it does not
        /// exist).
        #[arg(long)]
        email: String,
        /// The admin's new password: 10 to 128 characters, any characters
        /// including spaces. Quote it for the shell.
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Create the data directory if it does not exist (the shop's own
        /// `cargo run` creates it on first start).
        #[arg(long)]
        init: bool,
    },
    /// Print a development access token (signed with the local dev key).
    Token {
        /// The user the token speaks for.
        #[arg(long, default_value = "dev-user")]
        user: String,
        /// The user's role.
        #[arg(long, value_enum, default_value_t = RoleArg::Customer)]
        role: RoleArg,
        /// How long the token lives.
        #[arg(long, default_value = "1h", value_parser = platform::config::parse_duration)]
        ttl: Duration,
        /// Create the data directory and its keys if they do not exist
        /// (a token signed with new keys is refused by a shop that has its
        /// own).
        #[arg(long)]
        init: bool,
    },
    /// Drive a running shop with generated clients; report throughput,
    /// latency percentiles and errors by gRPC code.
    Loadgen(Box<shop::loadgen::Args>),
    /// The benchmark's reference: a bare tonic server answering GetProduct
    /// with a fixed product (see bench/run).
    #[command(hide = true)]
    BenchEcho {
        #[arg(long, default_value = "127.0.0.1:50150")]
        listen: SocketAddr,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Customer,
    Admin,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Where the gateway (storefront and public API) listens.
    #[arg(long, env = "GATEWAY_LISTEN", default_value = "127.0.0.1:8080")]
    gateway_listen: SocketAddr,

    /// Where a service listens, as NAME=ADDRESS (e.g. `catalog=127.0.0.1:6051`);
    /// repeat it, or comma-separate them in SHOP_LISTEN. Each service not
    /// named listens on loopback at its port in the `services` list.
    #[arg(long = "listen", env = "SHOP_LISTEN", value_delimiter = ',', value_parser = shop::listed::parse_listen)]
    listen: Vec<(&'static str, SocketAddr)>,

    /// Where every service's Prometheus metrics are served (`GET /metrics`).
    #[arg(long, env = "METRICS_LISTEN", default_value = "127.0.0.1:8081")]
    metrics_listen: SocketAddr,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    log_format: LogFormat,

    /// RabbitMQ for the services' events, as
    /// `amqp://USER:PASSWORD@HOST:PORT/VHOST` (`%2f` is the default vhost).
    /// Without it, events travel through the services' databases.
    #[arg(long, env = "AMQP_URL", hide_env_values = true)]
    amqp_url: Option<String>,

    /// How often the demo warehouse moves each shipment a step along
    /// (packed, shipped, delivered); `0` turns it off, leaving shipping to
    /// the back office.
    #[arg(long, env = "FULFILMENT_DEMO_ADVANCE", default_value = "20s", value_parser = platform::config::parse_duration)]
    demo_advance: Duration,

    /// Send the shop's emails through this SMTP server
    /// (`smtp://[USER:PASSWORD@]HOST[:PORT]`, `?tls=required` for STARTTLS,
    /// or `smtps://...`) instead of writing them as .eml files into
    /// <data-dir>/mail.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,

    #[command(flatten)]
    images: catalog::ImageStoreArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Some(Command::Token {
            user,
            role,
            ttl,
            init,
        }) => existing_data(&args.data_dir, init)
            .and_then(|()| token(&args.data_dir, &user, role, ttl)),
        Some(Command::Admin {
            email,
            password,
            init,
        }) => match existing_data(&args.data_dir, init) {
            Ok(()) => admin(&args.data_dir, email, password).await,
            Err(error) => Err(error),
        },
        Some(Command::Loadgen(loadgen_args)) => loadgen(&loadgen_args).await,
        Some(Command::BenchEcho { listen }) => bench_echo(listen).await,
        None => {
            let telemetry = platform::telemetry::init(args.run.log_format, "shop");
            let result = run(args.data_dir, args.run).await;
            telemetry.shutdown().await;
            result
        }
    };
    platform::binary::exit("shop", result)
}

/// Says on stderr which data directory a command works on, and refuses one
/// that holds no shop (a mistyped path, or the wrong working directory)
/// unless `init` asks for it to be created: keys invented there would sign
/// tokens the running shop refuses, and an admin created there would be in
/// no shop.
fn existing_data(data_dir: &std::path::Path, init: bool) -> Result<(), Box<dyn std::error::Error>> {
    let shown = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let holds_shop = data_dir.join("gateway.db").is_file() || devkeys::keys_dir(data_dir).is_dir();
    if !holds_shop && !init {
        return Err(format!(
            "no shop data in {} (start the shop there once with `cargo run`, name \
             another directory with --data-dir or SHOP_DATA_DIR, or pass --init to \
             create it)",
            shown.display()
        )
        .into());
    }
    eprintln!("shop: data directory {}", shown.display());
    Ok(())
}

fn token(
    data_dir: &std::path::Path,
    user: &str,
    role: RoleArg,
    ttl: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let key = devkeys::load_or_create(&devkeys::keys_dir(data_dir), issuer::GATEWAY)?;
    let signer = Signer::new(issuer::GATEWAY, DEFAULT_AUDIENCE, &key.private_pem, ttl)?;
    let role = match role {
        RoleArg::Customer => Role::Customer,
        RoleArg::Admin => Role::Admin,
    };
    println!("{}", signer.sign(user, role)?);
    Ok(())
}

async fn loadgen(args: &shop::loadgen::Args) -> Result<(), Box<dyn std::error::Error>> {
    let report = shop::loadgen::run(args).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    if report.failed() {
        // Loud even with --json, where stdout belongs to the script.
        eprintln!(
            "shop loadgen: {} of {} calls FAILED",
            report.total.errors, report.total.calls
        );
        if args.fail_on_error {
            return Err("calls failed (--fail-on-error)".into());
        }
    }
    Ok(())
}

async fn bench_echo(listen: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    shop::echo::serve(
        bind(listen, "--listen").await?,
        platform::shutdown::signal(),
    )
    .await?;
    Ok(())
}

/// The gateway's configuration in the all-in-one mode.
fn gateway_config(
    data_dir: &std::path::Path,
    url: impl Fn(&str) -> Result<String, String>,
) -> Result<gateway::Config, Box<dyn std::error::Error>> {
    let key = devkeys::load_or_create(&devkeys::keys_dir(data_dir), issuer::GATEWAY)?;
    let signer = Signer::new(
        issuer::GATEWAY,
        DEFAULT_AUDIENCE,
        &key.private_pem,
        Duration::from_secs(15 * 60),
    )?;
    let verifier =
        Verifier::new(issuer::GATEWAY, DEFAULT_AUDIENCE).trust(issuer::GATEWAY, &key.public_pem)?;
    // Every backend the route table names, where the all-in-one runs it.
    let backends = gateway::routes::backends()
        .into_iter()
        .map(|name| Ok((name, url(name)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut config = gateway::Config::new(sqlite(data_dir, "gateway"), signer, verifier, backends);
    config.demo_accounts = true;
    Ok(config)
}

fn sqlite(data_dir: &std::path::Path, service: &str) -> String {
    format!(
        "sqlite://{}",
        data_dir.join(format!("{service}.db")).display()
    )
}

async fn admin(
    data_dir: &std::path::Path,
    email: String,
    password: String,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = gateway::Config::new(
        sqlite(data_dir, "gateway"),
        Signer::new(
            issuer::GATEWAY,
            DEFAULT_AUDIENCE,
            &devkeys::load_or_create(&devkeys::keys_dir(data_dir), issuer::GATEWAY)?.private_pem,
            Duration::from_secs(60),
        )?,
        Verifier::new(issuer::GATEWAY, DEFAULT_AUDIENCE),
        // Creating an account calls no backend.
        std::iter::empty::<(String, String)>(),
    );
    config.admin = Some(gateway::Account { email, password });
    let user = gateway::create_accounts_only(&config).await?;
    println!("{} is an admin (user id {})", user.email, user.id);
    Ok(())
}

async fn run(data_dir: PathBuf, args: RunArgs) -> Result<(), Box<dyn std::error::Error>> {
    let listeners = shop::Listeners::bind(addresses(&args)).await?;
    let url = |name: &str| match listeners.address(name) {
        Some(address) => Ok(format!("http://{address}")),
        None => Err(format!("the all-in-one runs no service called {name:?}")),
    };

    let keys = devkeys::keys_dir(&data_dir);
    let gateway_key = devkeys::load_or_create(&keys, issuer::GATEWAY)?;
    let orders_key = devkeys::load_or_create(&keys, issuer::ORDERS)?;
    let verifier = Verifier::new(issuer::GATEWAY, DEFAULT_AUDIENCE)
        .trust(issuer::GATEWAY, &gateway_key.public_pem)?
        .trust(issuer::ORDERS, &orders_key.public_pem)?;
    let mut catalog = catalog::Config::new(sqlite(&data_dir, "catalog"), verifier.clone());
    catalog.seed_demo = true;
    catalog.images = args.images.config()?;
    let orders_signer = Signer::new(
        issuer::ORDERS,
        DEFAULT_AUDIENCE,
        &orders_key.private_pem,
        Duration::from_secs(60),
    )?;
    let mut notifications = notifications::Config::new(
        sqlite(&data_dir, "notifications"),
        verifier.clone(),
        data_dir.join("mail"),
    );
    if let Some(url) = &args.smtp_url {
        notifications.transport = notifications::MailTransport::Smtp(url.clone());
    }
    notifications.shop.url = format!("{}/", url("gateway")?);
    let mail = notifications.transport.describe();
    let cart = cart::Config::new(sqlite(&data_dir, "cart"), verifier.clone(), url("orders")?);
    let mut fulfilment = fulfilment::Config::new(sqlite(&data_dir, "fulfilment"), verifier.clone());
    // A newcomer sees an order reach DELIVERED without playing the warehouse.
    fulfilment.demo_advance = Some(args.demo_advance).filter(|a| !a.is_zero());
    // Quotes price and weigh the products with the catalog.
    fulfilment.catalog_url = url("catalog")?;
    let mut services = shop::Services {
        catalog,
        payments: payments::Config::new(sqlite(&data_dir, "payments"), verifier.clone()),
        orders: orders::Config::new(
            sqlite(&data_dir, "orders"),
            verifier,
            orders_signer,
            url("catalog")?,
            url("payments")?,
        ),
        notifications,
        cart,
        fulfilment,
        gateway: gateway_config(&data_dir, url)?,
    };
    // Orders prices shipping and cancels shipments with the fulfilment
    // service of this process.
    services.orders.fulfilment_url = url("fulfilment")?;
    // With no broker (a laptop), events travel through the services'
    // databases; with one, every service uses it, as in a deployment.
    let transport = match &args.amqp_url {
        Some(url) => Transport::Amqp(Broker::new(AmqpConfig::new(url))),
        None => Transport::Local(LocalBus::new()),
    };
    services.set_events(&EventsConfig {
        transport,
        ..Default::default()
    });

    // The demo customer's starting wallet balance, once the services are up.
    let demo_admin = Signer::new(
        issuer::GATEWAY,
        DEFAULT_AUDIENCE,
        &gateway_key.private_pem,
        Duration::from_secs(60),
    )?;

    platform::admin::start(Some(args.metrics_listen)).await?;
    check_databases(&data_dir).await?;
    tokio::spawn(fund_demo_wallet(
        url("gateway")?,
        url("payments")?,
        demo_admin,
    ));
    print_welcome(&listeners, args.metrics_listen, &mail, &data_dir);
    shop::serve(services, listeners, platform::shutdown::signal()).await?;
    Ok(())
}

/// Checks every service's database file before the welcome, so a damaged
/// one is the only thing printed rather than an error after the banner.
async fn check_databases(data_dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<PathBuf> = shop::listed::services()
        .iter()
        .filter(|service| service.database)
        .map(|service| data_dir.join(format!("{}.db", service.name)))
        .collect();
    tokio::task::spawn_blocking(move || {
        files
            .iter()
            .try_for_each(|file| platform::db::check_sqlite_file(file))
    })
    .await??;
    Ok(())
}

/// Gives the demo customer their starting wallet balance (see
/// `shop::demo`); a shop that cannot is still usable, so it only says so.
async fn fund_demo_wallet(gateway: String, payments: String, admin: Signer) {
    if let Err(why) = shop::demo::fund_demo_customer(gateway, payments, admin).await {
        eprintln!("could not give the demo customer a wallet balance: {why}");
    }
}

/// Each listed service's address: loopback at its listed port, the
/// gateway at --gateway-listen, or what --listen says.
fn addresses(args: &RunArgs) -> Vec<(&'static str, SocketAddr)> {
    shop::listed::services()
        .into_iter()
        .map(|service| {
            let default = match service.name {
                "gateway" => args.gateway_listen,
                _ => SocketAddr::from(([127, 0, 0, 1], service.port)),
            };
            let given = args
                .listen
                .iter()
                .rev()
                .find(|(name, _)| *name == service.name);
            (service.name, given.map_or(default, |(_, address)| *address))
        })
        .collect()
}

fn print_welcome(
    listeners: &shop::Listeners,
    metrics: SocketAddr,
    mail: &str,
    data_dir: &std::path::Path,
) {
    let data = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let data = data.display();
    let address = |name: &str| {
        listeners
            .address(name)
            .map(|a| a.to_string())
            .unwrap_or_default()
    };
    let gateway = address("gateway");
    let internal: Vec<String> = shop::listed::services()
        .iter()
        .filter(|s| !s.public)
        .map(|s| format!("{} {}", s.name, address(s.name)))
        .collect();
    let internal = internal.join("   ");
    let (customer, customer_password) = gateway::DEMO_CUSTOMER;
    let (admin, admin_password) = gateway::DEMO_ADMIN;
    println!(
        "\nShop {VERSION} is starting.\n\
         \n  storefront  http://{gateway}/\
         \n  gateway     {gateway}  (public gRPC and grpc-web)\
         \n  REST/JSON   http://{gateway}/v1/  (OpenAPI: http://{gateway}/v1/openapi.json)\
         \n  API docs    http://{gateway}/docs\
         \n  internal    {internal}\
         \n  metrics     http://{metrics}/metrics\
         \n  emails      {mail}\
         \n  data        {data}\n\
         \nDemo accounts: {customer} / {customer_password}, {admin} / {admin_password}\n\
         \nTry:\n\
         \n  grpcurl -plaintext {gateway} list\
         \n  grpcurl -plaintext -d '{{\"page_size\": 3}}' {gateway} shop.catalog.v1.CatalogService/ListProducts\
         \n  grpcurl -plaintext -d '{{\"email\": \"{customer}\", \"password\": \"{customer_password}\"}}' {gateway} shop.auth.v1.AuthService/Login\
         \n\nCtrl-C stops it.\n"
    );
}

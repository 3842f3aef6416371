//! The gateway: Shop's only public entry. It serves accounts
//! (`shop.auth.v1.AuthService`), forwards the public gRPC API to catalog,
//! orders and payments without re-encoding messages, speaks native gRPC and
//! grpc-web (binary and text; HTTP/1.1 and HTTP/2) on one port, and
//! applies the access table, rate limits, deadlines, request ids and CORS
//! on the way in. It serves exactly its access table plus health and
//! reflection (which describes just that); any other method is
//! UNIMPLEMENTED and any other URL 404.

pub mod accounts;
pub mod client_address;
pub mod deadline;
pub mod edge;
pub mod error;
pub mod limits;
pub mod proxy;
pub mod reflection;
pub mod routes;
pub mod web;

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    time::Duration,
};

use client_address::TrustedProxies;
use contracts::auth::auth_service_server::AuthServiceServer;
use http::{HeaderName, Method, header};
use platform::{
    auth::{Signer, Verifier},
    client::{ChannelOptions, ClientError},
    clock::Clock,
    db::{Db, DbError},
    metrics::GrpcMetricsLayer,
    resilience::Guard,
    server::{Listing, Protocols, ServeError},
    tls::ServerTls,
};
use tokio::net::TcpListener;
use tonic::service::Routes;
use tower::ServiceExt;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
};

use crate::{
    accounts::{AuthApi, UserStore, throttle::LoginThrottle},
    edge::{EdgeLayer, EdgeRules},
    limits::{KeyedLimit, Rate},
    proxy::Proxy,
};

/// Which browser origins may call the gateway (grpc-web from another site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    /// Any origin: development only.
    AnyOrigin,
    /// Exactly these origins, e.g. `https://shop.example.com`.
    Origins(Vec<String>),
}

/// A user account to create at start (or promote / reset, for the admin).
#[derive(Clone)]
pub struct Account {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Everything the gateway needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The accounts database: `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    pub pool_size: usize,
    pub clock: Clock,
    /// Signs access tokens (the gateway's private key and token lifetime).
    pub signer: Signer,
    /// Trusts the gateway's own public key only: callers from outside
    /// cannot present service tokens.
    pub verifier: Verifier,
    /// Where each backend of the route table ([`routes::ROUTED`]) is, by
    /// name: `catalog` -> `http://127.0.0.1:50051`. Every backend the table
    /// names needs one; no other may be given.
    pub backends: BTreeMap<String, String>,
    pub cors: Cors,
    /// Calls per signed-in user, or per client address when anonymous.
    pub rate: Rate,
    /// Login and Register attempts per client address.
    pub sign_in_rate: Rate,
    /// Login attempts per account.
    pub login_per_account: Rate,
    pub default_timeout: Duration,
    pub max_timeout: Duration,
    pub max_stream: Duration,
    /// An admin to create, or promote and reset, at start.
    pub admin: Option<Account>,
    /// Create the demo admin and customer accounts if missing.
    pub demo_accounts: bool,
    pub drain_delay: Duration,
    /// TLS on the public port (certificate and key; no client
    /// certificates). `None`, plaintext, is the embedded default.
    pub tls: Option<ServerTls>,
    /// How channels to the backends are built: TLS (mutual, with the
    /// gateway's own certificate) for `https://` URLs, name re-resolution.
    pub channels: ChannelOptions,
    /// Most calls in flight to each backend.
    pub max_in_flight: usize,
    /// Consecutive failures of a backend that open its circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker fails calls at once before a trial call.
    pub breaker_cool_down: Duration,
    /// Proxies (the ingress controller) whose `X-Forwarded-For` names the
    /// client, for the per-address limits. None by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The demo accounts `--demo-accounts` creates (the README names them).
pub const DEMO_ADMIN: (&str, &str) = ("admin@shop.test", "admin-password-123");
pub const DEMO_CUSTOMER: (&str, &str) = ("customer@shop.test", "customer-password-123");

impl Config {
    /// Embedded-mode defaults (CORS open: development).
    pub fn new(
        database_url: impl Into<String>,
        signer: Signer,
        verifier: Verifier,
        backends: impl IntoIterator<Item = (impl Into<String>, String)>,
    ) -> Self {
        Self {
            database_url: database_url.into(),
            pool_size: 10,
            clock: Clock::System,
            signer,
            verifier,
            backends: backends
                .into_iter()
                .map(|(name, url)| (name.into(), url))
                .collect(),
            cors: Cors::AnyOrigin,
            rate: Rate {
                per_second: 50.0,
                burst: 100,
            },
            sign_in_rate: Rate {
                per_second: 0.5,
                burst: 10,
            },
            login_per_account: Rate {
                per_second: 0.1,
                burst: 5,
            },
            default_timeout: Duration::from_secs(10),
            max_timeout: Duration::from_secs(30),
            max_stream: Duration::from_secs(30 * 60),
            admin: None,
            demo_accounts: false,
            drain_delay: Duration::ZERO,
            tls: None,
            channels: ChannelOptions::default(),
            max_in_flight: 512,
            breaker_failures: Guard::default().failures_to_open,
            breaker_cool_down: Guard::default().cool_down,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Backend(#[from] ClientError),
    #[error("no URL for the backend {0:?} (give it with --backend {0}=URL)")]
    MissingBackend(&'static str),
    #[error("unknown backend {0:?}: the route table names {known:?}", known = routes::backends())]
    UnknownBackend(String),
    #[error("invalid CORS origin {0:?}")]
    Cors(String),
    #[error("cannot create the accounts asked for: {0}")]
    Accounts(#[from] error::Error),
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Runs the gateway on `listener` until `shutdown` completes.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let db = Db::connect(
        &config.database_url,
        config.pool_size,
        accounts::store::migrations(),
    )
    .await?;
    let throttle = LoginThrottle::new(config.login_per_account, config.sign_in_rate);
    let auth = AuthApi::new(
        UserStore::new(db.clone(), config.clock.clone()),
        config.signer.clone(),
        throttle.clone(),
    );
    create_accounts(&auth, &config).await?;

    // The edge has already capped each call's deadline; the guard holds
    // calls to that, whatever the backend does.
    let guard = Guard {
        timeout: config.max_timeout,
        max_in_flight: config.max_in_flight,
        failures_to_open: config.breaker_failures.max(1),
        cool_down: config.breaker_cool_down,
    };
    let names = routes::backends();
    if let Some(unknown) = config
        .backends
        .keys()
        .find(|n| !names.contains(&n.as_str()))
    {
        return Err(StartError::UnknownBackend(unknown.clone()));
    }
    let mut backends = HashMap::new();
    for name in names {
        let url = config
            .backends
            .get(name)
            .ok_or(StartError::MissingBackend(name))?;
        let channel = platform::client::connect(url, &config.channels)?;
        backends.insert(name, proxy::upstream(name, guard, channel));
    }
    let proxy = Proxy::new(&backends);
    // Any gRPC call the gateway does not serve itself (accounts) is
    // forwarded, or refused there if the service is unknown.
    let router = Routes::new(AuthServiceServer::new(auth))
        .into_axum_router()
        .fallback_service(
            proxy.map_request(|request: http::Request<axum::body::Body>| {
                request.map(tonic::body::Body::new)
            }),
        );

    let calls = KeyedLimit::new(config.rate);
    let sign_ins = KeyedLimit::new(config.sign_in_rate);
    let housekeeping = tokio::spawn({
        let (calls, sign_ins) = (calls.clone(), sign_ins.clone());
        async move {
            let mut every_minute = tokio::time::interval(Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                calls.forget_idle();
                sign_ins.forget_idle();
                throttle.forget_idle();
            }
        }
    });
    let policy = routes::policy();
    let public_contract = reflection::public_contract(&policy);
    let edge = EdgeRules {
        policy,
        verifier: config.verifier.clone(),
        calls,
        sign_ins,
        deadlines: deadline::Deadlines {
            default: config.default_timeout,
            max: config.max_timeout,
            max_stream: config.max_stream,
        },
        trusted_proxies: TrustedProxies::new(config.trusted_proxies.clone()),
    };
    let request_id = HeaderName::from_static(platform::telemetry::REQUEST_ID_HEADER);
    let layers = tower::ServiceBuilder::new()
        // A request id: the client's, or a new one; sent on to the services
        // and returned, so one id finds a call's log lines on every hop.
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(request_id))
        // A span per request, so everything below logs inside it.
        .layer(platform::telemetry::rpc_trace_layer("gateway"))
        // Browsers on other origins: answer preflights, expose gRPC headers.
        .layer(cors(&config.cors)?)
        // The storefront's page and assets (plain HTTP GETs).
        .layer(web::WebLayer)
        // grpc-web (binary and text) in, native gRPC below, and back out.
        .layer(tonic_web::GrpcWebLayer::new())
        // Request counts, latencies and calls in flight, as native gRPC
        // (grpc-web included), rejections by the edge rules included.
        .layer(GrpcMetricsLayer::server("gateway"))
        // Answers bounded, and a caller's going away recorded as CANCELLED
        // (inside the metrics, so they see it so), as on every service.
        .layer(platform::answers::AnswersLayer)
        // Access table, rate limits and deadlines.
        .layer(EdgeLayer::new(edge))
        .into_inner();

    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        "gateway serving"
    );
    let served = platform::server::serve_layered(
        Listing {
            name: "gateway",
            database: Some(db),
            routes: Routes::from(router),
            service_names: routes::public_services(),
            descriptors: Some(public_contract),
        },
        layers,
        Protocols::Http1AndHttp2,
        config.drain_delay,
        config.tls,
        listener,
        shutdown,
    )
    .await;
    housekeeping.abort();
    served?;
    tracing::info!("gateway stopped");
    Ok(())
}

/// Creates the accounts `config` asks for, without serving: the admin
/// bootstrap for command lines. Returns the admin.
pub async fn create_accounts_only(config: &Config) -> Result<accounts::domain::User, StartError> {
    let db = Db::connect(&config.database_url, 1, accounts::store::migrations()).await?;
    let throttle = LoginThrottle::new(config.login_per_account, config.sign_in_rate);
    let auth = AuthApi::new(
        UserStore::new(db, config.clock.clone()),
        config.signer.clone(),
        throttle,
    );
    let admin = config
        .admin
        .as_ref()
        .ok_or_else(|| error::Error::invalid("admin", "is required"))?;
    Ok(auth.ensure_admin(&admin.email, &admin.password).await?)
}

async fn create_accounts(auth: &AuthApi, config: &Config) -> Result<(), error::Error> {
    if config.demo_accounts {
        auth.ensure_customer(DEMO_CUSTOMER.0, DEMO_CUSTOMER.1, "Demo Customer")
            .await?;
        if auth.has_no_admin(DEMO_ADMIN.0).await? {
            auth.ensure_admin(DEMO_ADMIN.0, DEMO_ADMIN.1).await?;
        }
    }
    if let Some(admin) = &config.admin {
        let user = auth.ensure_admin(&admin.email, &admin.password).await?;
        tracing::info!(user_id = %user.id, email = %user.email, "admin account ready");
    }
    Ok(())
}

fn cors(config: &Cors) -> Result<CorsLayer, StartError> {
    let origins = match config {
        Cors::AnyOrigin => AllowOrigin::any(),
        Cors::Origins(list) => AllowOrigin::list(
            list.iter()
                .map(|o| o.parse().map_err(|_| StartError::Cors(o.clone())))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let grpc = |name: &'static str| HeaderName::from_static(name);
    Ok(CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            grpc("x-grpc-web"),
            grpc("x-user-agent"),
            grpc("grpc-timeout"),
            grpc(platform::telemetry::REQUEST_ID_HEADER),
        ])
        .expose_headers([
            grpc("grpc-status"),
            grpc("grpc-message"),
            grpc("grpc-status-details-bin"),
            grpc(platform::telemetry::REQUEST_ID_HEADER),
        ])
        .max_age(Duration::from_secs(3600)))
}

//! The gateway: Shop's only public entry. It serves accounts
//! (`shop.auth.v1.AuthService`), forwards the public gRPC API to catalog,
//! orders and payments without re-encoding messages, speaks native gRPC and
//! grpc-web (binary and text; HTTP/1.1 and HTTP/2) on one port, and
//! applies the access table, rate limits, deadlines, request ids and CORS
//! on the way in. It serves exactly its access table plus health and
//! reflection (which describes just that); any other method is
//! UNIMPLEMENTED and any other URL 404.
//!
//! The same methods answer REST/JSON under `/v1/` ([`rest`]): each request
//! is matched against the contract's `google.api.http` rules and becomes
//! the native gRPC call it stands for, sent down through the same layers
//! (metrics, the edge, the proxy; [`translate`]), so REST cannot be judged
//! differently from gRPC; `/v1/openapi.json` documents the routes, and
//! `/docs` shows that document as a page ([`web`]). Product images are
//! files at `/images/{id}` ([`images`]), each a GetImageContent call down
//! the same layers.

pub mod accounts;
pub mod client_address;
pub mod deadline;
pub mod edge;
pub mod error;
pub mod images;
pub mod limits;
pub mod proxy;
pub mod reflection;
pub mod rest;
pub mod routes;
pub mod translate;
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
    client::ChannelOptions,
    config::CommonConfig,
    db::Db,
    metrics::GrpcMetricsLayer,
    paging::PageTokens,
    resilience::Guard,
    server::{Listing, Protocols},
    service::Background,
};

pub use platform::service::StartError;
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
    /// The accounts database, clock, drain delay and TLS (on the public
    /// port: certificate and key, no client certificates). Its verifier
    /// trusts the gateway's own public key only: callers from outside
    /// cannot present service tokens.
    pub common: CommonConfig,
    /// Signs access tokens (the gateway's private key and token lifetime).
    pub signer: Signer,
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
        Self::with_common(CommonConfig::new(database_url, verifier), signer, backends)
    }

    /// The gateway's own defaults around `common`.
    pub fn with_common(
        common: CommonConfig,
        signer: Signer,
        backends: impl IntoIterator<Item = (impl Into<String>, String)>,
    ) -> Self {
        Self {
            common,
            signer,
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
            channels: ChannelOptions::default(),
            max_in_flight: 512,
            breaker_failures: Guard::default().failures_to_open,
            breaker_cool_down: Guard::default().cool_down,
            trusted_proxies: Vec::new(),
        }
    }
}

/// A backend table that does not match the route table.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("no URL for the backend {0:?} (give it with --backend {0}=URL)")]
    Missing(&'static str),
    #[error("unknown backend {0:?}: the route table names {known:?}", known = routes::backends())]
    Unknown(String),
}

/// Each backend the route table names with its URL, or why the table
/// given does not fit.
fn known_backends(
    given: &BTreeMap<String, String>,
) -> Result<Vec<(&'static str, &String)>, StartError> {
    let refused = |e| StartError::setup("the gateway's backends", e);
    let names = routes::backends();
    if let Some(unknown) = given.keys().find(|n| !names.contains(&n.as_str())) {
        return Err(refused(BackendError::Unknown(unknown.clone())));
    }
    names
        .into_iter()
        .map(|name| match given.get(name) {
            Some(url) => Ok((name, url)),
            None => Err(refused(BackendError::Missing(name))),
        })
        .collect()
}

/// Runs the gateway on `listener` until `shutdown` completes.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let db = config.common.connect(accounts::store::migrations()).await?;
    let throttle = LoginThrottle::new(config.login_per_account, config.sign_in_rate);
    let auth = AuthApi::new(
        UserStore::new(db.clone(), config.common.clock.clone()),
        config.signer.clone(),
        throttle.clone(),
        PageTokens::new(&config.common.page_token_key),
    );
    create_accounts(&auth, &config)
        .await
        .map_err(|e| StartError::setup("cannot create the accounts asked for", e))?;

    // The edge has already capped each call's deadline; the guard holds
    // calls to that, whatever the backend does.
    let guard = Guard {
        timeout: config.max_timeout,
        max_in_flight: config.max_in_flight,
        failures_to_open: config.breaker_failures.max(1),
        cool_down: config.breaker_cool_down,
    };
    let mut backends = HashMap::new();
    for (name, url) in known_backends(&config.backends)? {
        let channel = platform::client::connect(url, &config.channels)?;
        backends.insert(name, proxy::upstream(name, guard, channel));
    }
    let proxy = Proxy::new(&backends);
    // Any gRPC call the gateway does not serve itself (accounts) is
    // forwarded, or refused there if the service is unknown.
    let sweeper = auth.clone();
    let router = Routes::new(AuthServiceServer::new(auth))
        .into_axum_router()
        .fallback_service(
            proxy.map_request(|request: http::Request<axum::body::Body>| {
                request.map(tonic::body::Body::new)
            }),
        );

    let calls = KeyedLimit::new(config.rate);
    let sign_ins = KeyedLimit::new(config.sign_in_rate);
    let mut background = Background::new();
    // Accounts publish `accounts.user.registered` from the outbox.
    platform::events::start_relay(
        &mut background,
        "gateway",
        &db,
        &config.common.events,
        &config.common.clock,
    );
    // Expired refresh, reset and verification tokens go.
    background.spawn(
        "account token sweeper",
        platform::sweeper::run(
            "expired account tokens deleted",
            Duration::from_secs(10 * 60),
            move |limit| {
                let auth = sweeper.clone();
                async move { auth.sweep_tokens(limit).await }
            },
        ),
    );
    background.spawn("limit housekeeping", {
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
    let rest = rest::Rest::new(&policy)
        .map_err(|e| StartError::setup("the REST routes of the contract", e))?;
    let images = images::Images::new(rest.rpc_status().clone());
    let public_contract = reflection::public_contract(&policy);
    let edge = EdgeRules {
        policy,
        verifier: config.common.verifier.clone(),
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
        // A span per request, so everything below logs inside it; the
        // calls REST and images make get their own (crate::translate).
        .layer(platform::telemetry::rpc_trace_layer(
            "gateway",
            platform::telemetry::CallLog::Edge,
        ))
        // Browsers on other origins: answer preflights, expose gRPC headers.
        .layer(cors(&config.cors)?)
        // REST/JSON under /v1/: each request becomes the gRPC call it
        // stands for and goes down through every layer below, the edge
        // included; the answer comes back as JSON.
        .layer(translate::TranslateLayer::new(rest))
        // Product images (`/images/{id}`): GetImageContent calls through
        // the same layers, answered as image files.
        .layer(translate::TranslateLayer::new(images))
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

    let listing = Listing {
        name: "gateway",
        database: Some(db.clone()),
        routes: Routes::from(router),
        service_names: routes::public_services(),
        descriptors: Some(public_contract),
    };
    let Config { common, .. } = config;
    platform::service::supervise("gateway", Some(&db), background, listener, |listener| {
        platform::server::serve_layered(
            listing,
            layers,
            Protocols::Http1AndHttp2,
            common.drain_delay,
            common.tls,
            listener,
            shutdown,
        )
    })
    .await?;
    Ok(())
}

/// Creates the accounts `config` asks for, without serving: the admin
/// bootstrap for command lines. Returns the admin.
pub async fn create_accounts_only(config: &Config) -> Result<accounts::domain::User, StartError> {
    let db = Db::connect(
        &config.common.database_url,
        1,
        accounts::store::migrations(),
    )
    .await?;
    let throttle = LoginThrottle::new(config.login_per_account, config.sign_in_rate);
    let auth = AuthApi::new(
        UserStore::new(db, config.common.clock.clone()),
        config.signer.clone(),
        throttle,
        PageTokens::new(&config.common.page_token_key),
    );
    let admin = async {
        let admin = config
            .admin
            .as_ref()
            .ok_or_else(|| error::Error::invalid("admin", "is required"))?;
        auth.ensure_admin(&admin.email, &admin.password).await
    };
    admin
        .await
        .map_err(|e| StartError::setup("cannot create the accounts asked for", e))
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
                .map(|o| {
                    o.parse()
                        .map_err(|e| StartError::setup(format!("invalid CORS origin {o:?}"), e))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let grpc = |name: &'static str| HeaderName::from_static(name);
    Ok(CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::POST,
            Method::GET,
            Method::OPTIONS,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            grpc("x-grpc-web"),
            grpc("x-user-agent"),
            grpc("grpc-timeout"),
            grpc(platform::telemetry::REQUEST_ID_HEADER),
            grpc(rest::call::TIMEOUT_HEADERS[0]),
            grpc(rest::call::TIMEOUT_HEADERS[1]),
        ])
        .expose_headers([
            grpc("grpc-status"),
            grpc("grpc-message"),
            grpc("grpc-status-details-bin"),
            grpc(platform::telemetry::REQUEST_ID_HEADER),
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600)))
}

//! Flags every service shares, each with an environment-variable fallback,
//! and safe defaults for the embedded (single machine, SQLite) mode.
//! A service's `main.rs` flattens [`CommonArgs`] into its own clap parser
//! and turns them into the [`CommonConfig`] its `Config` embeds.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use crate::{
    auth::{AuthError, Verifier},
    client::{ChannelOptions, ClientTls},
    clock::Clock,
    db::{Db, DbError, Migrations},
    events::{AmqpConfig, Broker, EventsConfig, Transport},
    telemetry::LogFormat,
    tls::{ServerTls, TlsError},
};

/// What every service needs to run, whatever it does: its database, whose
/// tokens it believes, its clock, its page-token key, how it drains and
/// whether it serves TLS. Each service's `Config` embeds it as `common`.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: String,
    /// Most PostgreSQL connections.
    pub pool_size: usize,
    /// Whose tokens to believe.
    pub verifier: Verifier,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Key for page tokens; replicas must share it.
    pub page_token_key: Vec<u8>,
    /// How long to keep serving after going NOT_SERVING on shutdown.
    pub drain_delay: Duration,
    /// TLS on the port (mutual TLS when it requires client certificates);
    /// `None`, plaintext, is the embedded default.
    pub tls: Option<ServerTls>,
    /// How events travel (off until a transport is configured).
    pub events: EventsConfig,
}

impl CommonConfig {
    /// The embedded-mode defaults for a database and a trust list: the
    /// system clock, a random page-token key, no drain delay, plaintext.
    pub fn new(database_url: impl Into<String>, verifier: Verifier) -> Self {
        Self {
            database_url: database_url.into(),
            pool_size: 10,
            verifier,
            clock: Clock::System,
            page_token_key: crate::paging::random_key(),
            drain_delay: Duration::ZERO,
            tls: None,
            events: EventsConfig::default(),
        }
    }

    /// Opens the database and runs the service's pending migrations.
    pub async fn connect(&self, migrations: Migrations) -> Result<Db, DbError> {
        Db::connect(&self.database_url, self.pool_size, migrations).await
    }
}

/// Why the flags do not make a configuration: a file they name cannot be
/// read or does not hold what it should.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {what} {}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// The private key (PEM) at `path`, for a service that signs tokens.
pub fn read_signing_key(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        what: "the signing key",
        path: path.to_owned(),
        source,
    })
}

/// Flags shared by every service binary.
#[derive(clap::Args, Debug, Clone)]
pub struct CommonArgs {
    /// Database URL: `sqlite://PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
    /// Default: a SQLite file named after the service in --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory for embedded-mode files (SQLite databases, development keys).
    #[arg(long, env = "SHOP_DATA_DIR", default_value = ".shop-data")]
    pub data_dir: PathBuf,

    /// Maximum PostgreSQL connections in the pool (SQLite always uses one
    /// writer connection).
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10)]
    pub database_pool_size: usize,

    /// Log format: `pretty` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// A token issuer to trust, as ISSUER=PUBLIC_KEY_PEM_FILE (Ed25519 SPKI).
    /// Repeat the flag, or separate entries with commas in the variable.
    #[arg(
        long = "trusted-issuer",
        env = "TRUSTED_ISSUERS",
        value_delimiter = ',',
        value_name = "ISSUER=PEM_FILE"
    )]
    pub trusted_issuers: Vec<TrustedIssuer>,

    /// The issuer of user tokens (the gateway). Tokens from other trusted
    /// issuers are service tokens acting for a user.
    #[arg(long, env = "USER_TOKEN_ISSUER", default_value = "shop-gateway")]
    pub user_token_issuer: String,

    /// The audience every accepted token must name.
    #[arg(long, env = "TOKEN_AUDIENCE", default_value = "shop")]
    pub token_audience: String,

    /// Where to serve Prometheus metrics (`GET /metrics`), e.g.
    /// `0.0.0.0:9090`. Off when not given.
    #[arg(long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// How long to keep serving after reporting NOT_SERVING on shutdown, so
    /// load balancers stop sending new calls first (e.g. `5s` on Kubernetes).
    #[arg(long, env = "DRAIN_DELAY", default_value = "0s", value_parser = parse_duration)]
    pub drain_delay: Duration,

    /// This service's TLS certificate (PEM, chain leaf first): serve TLS
    /// instead of plaintext, and present it as client identity on
    /// `https://` calls to other services.
    #[arg(long, env = "TLS_CERT_FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "TLS_KEY_FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Require callers to present a certificate signed by this CA (PEM):
    /// mutual TLS, for internal services.
    #[arg(long, env = "TLS_CLIENT_CA_FILE", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// The CA (PEM) that signs the other services' certificates, to verify
    /// them on `https://` calls.
    #[arg(long, env = "TLS_CA_FILE")]
    pub tls_ca: Option<PathBuf>,

    /// How often the host names of other services are resolved again, so
    /// calls spread over replicas as they come and go.
    #[arg(long, env = "DNS_REFRESH", default_value = "5s", value_parser = parse_duration)]
    pub dns_refresh: Duration,

    /// Secret for page tokens; replicas must share it. Default: random per process.
    #[arg(long, env = "PAGE_TOKEN_SECRET", hide_env_values = true)]
    pub page_token_secret: Option<String>,

    /// RabbitMQ for events between services, as
    /// `amqp://USER:PASSWORD@HOST:PORT/VHOST` (`%2f` is the default vhost).
    /// Without it, events wait in the service's outbox.
    #[arg(long, env = "AMQP_URL", hide_env_values = true)]
    pub amqp_url: Option<String>,
}

impl CommonArgs {
    /// The configuration these flags give `service`: its database, trust
    /// list, pool, drain delay, TLS and page-token key, every file they
    /// name read here, once.
    pub fn config(&self, service: &str) -> Result<CommonConfig, ConfigError> {
        let mut config = CommonConfig::new(self.database_url_for(service), self.verifier()?);
        config.pool_size = self.database_pool_size;
        config.drain_delay = self.drain_delay;
        config.tls = self.server_tls()?;
        if let Some(secret) = &self.page_token_secret {
            config.page_token_key = secret.clone().into_bytes();
        }
        if let Some(url) = &self.amqp_url {
            config.events.transport = Transport::Amqp(Broker::new(AmqpConfig::new(url)));
        }
        Ok(config)
    }

    /// The database URL to use: the flag, or `sqlite://<data-dir>/<service>.db`.
    pub fn database_url_for(&self, service: &str) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join(format!("{service}.db")).display()
            ),
        }
    }

    /// A verifier trusting the configured issuers.
    pub fn verifier(&self) -> Result<Verifier, AuthError> {
        let mut verifier = Verifier::new(&self.user_token_issuer, &self.token_audience);
        for trusted in &self.trusted_issuers {
            let pem = std::fs::read_to_string(&trusted.public_key_file).map_err(|e| {
                AuthError::BadKey(format!(
                    "cannot read the public key of issuer {:?} from {}: {e}",
                    trusted.issuer,
                    trusted.public_key_file.display()
                ))
            })?;
            verifier = verifier.trust(&trusted.issuer, &pem)?;
        }
        Ok(verifier)
    }
}

impl CommonArgs {
    /// The server's TLS settings, if --tls-cert is given.
    pub fn server_tls(&self) -> Result<Option<ServerTls>, TlsError> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let tls = ServerTls::from_pem(&read(cert)?, &read(key)?)?;
        Ok(Some(match &self.tls_client_ca {
            Some(ca) => tls.require_client_certs(&read(ca)?)?,
            None => tls,
        }))
    }

    /// How to build channels to other services.
    pub fn channel_options(&self) -> Result<ChannelOptions, TlsError> {
        let tls = match &self.tls_ca {
            Some(ca) => {
                let tls = ClientTls::new(read(ca)?);
                Some(match (&self.tls_cert, &self.tls_key) {
                    (Some(cert), Some(key)) => tls.with_identity(read(cert)?, read(key)?),
                    _ => tls,
                })
            }
            None => None,
        };
        Ok(ChannelOptions {
            tls,
            resolve_every: self.dns_refresh.max(Duration::from_secs(1)),
            ..ChannelOptions::default()
        })
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        what: path.display().to_string(),
        detail: e.to_string(),
    })
}

/// One entry of the trust list: an issuer and the file holding its public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub public_key_file: PathBuf,
}

impl FromStr for TrustedIssuer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((issuer, file)) if !issuer.trim().is_empty() && !file.trim().is_empty() => {
                Ok(Self {
                    issuer: issuer.trim().to_owned(),
                    public_key_file: PathBuf::from(file.trim()),
                })
            }
            _ => Err(format!("expected ISSUER=PEM_FILE, got {s:?}")),
        }
    }
}

/// Parses `250ms`, `5s`, `2m` or `1h` (and `0`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{s:?} has no unit (use ms, s, m or h)"))?;
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} does not start with a number"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("{s:?} has an unknown unit (use ms, s, m or h)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 days").is_err());
    }

    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn flags(args: &[&str]) -> Result<CommonArgs, clap::Error> {
        use clap::Parser;
        Flags::try_parse_from(std::iter::once("service").chain(args.iter().copied()))
            .map(|f| f.common)
    }

    #[test]
    fn plaintext_is_the_default_and_a_certificate_needs_its_key() {
        let common = flags(&[]).expect("no flags");
        assert!(common.server_tls().expect("nothing to read").is_none());
        assert!(
            common
                .channel_options()
                .expect("nothing to read")
                .tls
                .is_none()
        );

        assert!(flags(&["--tls-cert", "cert.pem"]).is_err());
        assert!(flags(&["--tls-client-ca", "ca.pem"]).is_err());
    }

    #[test]
    fn missing_tls_files_are_named_in_the_error() {
        let common = flags(&["--tls-ca", "/nonexistent/ca.pem"]).expect("flags");
        let error = common.channel_options().expect_err("no such file");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn a_broker_url_selects_rabbitmq_and_is_never_shown_whole() {
        let common = flags(&[]).expect("no flags");
        let config = common.config("orders").expect("nothing to read");
        assert!(matches!(config.events.transport, Transport::Off));

        let common = flags(&["--amqp-url", "amqp://shop:s3cret@rabbit:5672/%2f"]).expect("flags");
        let config = common.config("orders").expect("nothing to read");
        let Transport::Amqp(broker) = &config.events.transport else {
            panic!(
                "expected the broker transport, got {:?}",
                config.events.transport
            );
        };
        assert_eq!(broker.config().exchange, "shop.events");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("amqp://shop:***@rabbit:5672/%2f"), "{shown}");
    }

    #[test]
    fn trusted_issuers_parse_as_issuer_equals_file() {
        let parsed: TrustedIssuer = "shop-orders=/keys/orders.pem".parse().expect("valid");
        assert_eq!(parsed.issuer, "shop-orders");
        assert_eq!(parsed.public_key_file, PathBuf::from("/keys/orders.pem"));
        assert!("no-equals-sign".parse::<TrustedIssuer>().is_err());
        assert!("=file".parse::<TrustedIssuer>().is_err());
    }
}

//! Calls to other services: channels built once (connecting lazily, so a
//! dependency that starts later is fine) and requests that carry a deadline
//! and this service's token acting for the user being served.
//!
//! gRPC keeps one long-lived HTTP/2 connection per channel, so a channel to
//! a Kubernetes ClusterIP would pin every call to one pod. A dependency
//! named by a DNS host (a headless Service) therefore gets a *balanced*
//! channel: one connection per address the name resolves to, re-resolved
//! every few seconds as pods come and go, calls spread over all of them.
//! A literal IP (or `localhost`, the embedded mode) keeps a single channel.

use std::{
    collections::HashSet, fmt, future::Future, net::SocketAddr, pin::Pin, sync::Arc, time::Duration,
};

use tonic::{
    Request, Status,
    metadata::AsciiMetadataValue,
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Uri, channel::Change},
};

use crate::auth::{AuthError, Principal, Role, Signer};

/// How long to wait for a TCP connection to a dependency.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest header list (and so trailers-only error answer) accepted
/// from a dependency: 4 times HTTP/2's usual 16 KiB, so a large but legal
/// answer passes. Our own answers stay far below it (see `crate::error`).
const MAX_HEADER_LIST_BYTES: u32 = 64 * 1024;

/// How many address changes may wait for the balancer.
const CHANGE_CAPACITY: usize = 64;

/// A channel to `url` (e.g. `http://127.0.0.1:50051`) with the default
/// options: plaintext, DNS names re-resolved every 5 seconds.
pub fn channel(url: &str) -> Result<Channel, InvalidUrl> {
    connect(url, &ChannelOptions::default()).map_err(|e| match e {
        ClientError::InvalidUrl(url) => url,
        ClientError::Tls(_) => InvalidUrl(url.to_owned()),
    })
}

/// A channel to `url`; clone it freely. `https://` URLs use the TLS
/// settings of `options` (which must then be present). A DNS host name
/// other than `localhost` gives a balanced channel over its addresses.
pub fn connect(url: &str, options: &ChannelOptions) -> Result<Channel, ClientError> {
    let invalid = || ClientError::InvalidUrl(InvalidUrl(url.to_owned()));
    let uri: Uri = url.parse().map_err(|_| invalid())?;
    let scheme = uri.scheme_str().ok_or_else(invalid)?.to_owned();
    let host = uri.host().ok_or_else(invalid)?.to_owned();
    let tls = match scheme.as_str() {
        "http" => None,
        "https" => Some(options.tls.as_ref().ok_or(ClientError::Tls(
            "an https:// dependency needs a CA to verify it (--tls-ca)".to_owned(),
        ))?),
        _ => return Err(invalid()),
    };
    let port = uri
        .port_u16()
        .unwrap_or(if tls.is_some() { 443 } else { 80 });
    let tls_config = tls.map(|tls| tls.config_for(host.trim_matches(['[', ']'])));
    if !is_dns_name(&host) {
        let endpoint = endpoint(url, tls_config.as_ref()).map_err(|_| invalid())?;
        return Ok(endpoint.connect_lazy());
    }
    // Check once that an address of this form builds, so the resolver
    // task can never meet a bad endpoint later.
    endpoint(&format!("{scheme}://127.0.0.1:{port}"), tls_config.as_ref())
        .map_err(|_| invalid())?;
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(CHANGE_CAPACITY);
    let target = Target {
        scheme,
        host,
        port,
        tls: tls_config,
    };
    tokio::spawn(follow(
        target,
        options.resolver.clone(),
        options.resolve_every,
        changes,
    ));
    Ok(channel)
}

/// How channels to dependencies are built.
#[derive(Clone, Debug)]
pub struct ChannelOptions {
    /// TLS for `https://` dependencies: the CA to verify them and, for
    /// mutual TLS, this service's own certificate.
    pub tls: Option<ClientTls>,
    /// Where a host name's addresses come from (DNS, or a test's list).
    pub resolver: Resolver,
    /// How often a host name is resolved again.
    pub resolve_every: Duration,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        Self {
            tls: None,
            resolver: Resolver::dns(),
            resolve_every: Duration::from_secs(5),
        }
    }
}

/// The client side of TLS: whom to trust, and who this service is.
#[derive(Clone)]
pub struct ClientTls {
    ca_pem: Vec<u8>,
    identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl ClientTls {
    /// Trust servers whose certificates chain to `ca_pem`.
    pub fn new(ca_pem: impl Into<Vec<u8>>) -> Self {
        Self {
            ca_pem: ca_pem.into(),
            identity: None,
        }
    }

    /// Present this certificate and key to servers that ask (mutual TLS).
    pub fn with_identity(
        mut self,
        cert_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.identity = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// The configuration for connecting to `domain` (verified against the
    /// certificate whatever address the connection goes to).
    fn config_for(&self, domain: &str) -> ClientTlsConfig {
        let config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .domain_name(domain);
        match &self.identity {
            Some((cert, key)) => config.identity(Identity::from_pem(cert, key)),
            None => config,
        }
    }
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("mutual", &self.identity.is_some())
            .finish_non_exhaustive()
    }
}

type Addresses = Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>>;

/// Resolves a host and port to the addresses of its replicas.
#[derive(Clone)]
pub struct Resolver(Arc<ResolveFn>);

type ResolveFn = dyn Fn(&str, u16) -> Addresses + Send + Sync;

impl Resolver {
    /// The system resolver (a headless Service's name gives one address per ready pod).
    pub fn dns() -> Self {
        Self::from_fn(|host, port| {
            let host = host.to_owned();
            Box::pin(async move {
                Ok(tokio::net::lookup_host((host.as_str(), port))
                    .await?
                    .collect())
            })
        })
    }

    /// Any other source of addresses (tests: replicas on 127.0.0.1:0).
    pub fn from_fn(resolve: impl Fn(&str, u16) -> Addresses + Send + Sync + 'static) -> Self {
        Self(Arc::new(resolve))
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

/// A client configuration problem found at start.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    InvalidUrl(#[from] InvalidUrl),
    #[error("client TLS: {0}")]
    Tls(String),
}

/// A dependency's address that is not a URL.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a valid service URL (expected e.g. http://127.0.0.1:50051)")]
pub struct InvalidUrl(pub String);

/// A name worth resolving again and again: not an IP literal, and not
/// `localhost` (whose IPv4 and IPv6 addresses are the same process, of
/// which only one may be listening; one connection tries both in turn).
fn is_dns_name(host: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    host.parse::<std::net::IpAddr>().is_err() && !host.eq_ignore_ascii_case("localhost")
}

fn endpoint(url: &str, tls: Option<&ClientTlsConfig>) -> Result<Endpoint, tonic::transport::Error> {
    let endpoint = Endpoint::from_shared(url.to_owned())?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    match tls {
        Some(tls) => endpoint.tls_config(tls.clone()),
        None => Ok(endpoint),
    }
}

/// What a balanced channel points at.
struct Target {
    scheme: String,
    host: String,
    port: u16,
    tls: Option<ClientTlsConfig>,
}

/// Keeps the balancer's set of endpoints equal to what `target` resolves
/// to, until the channel is dropped. A failed or empty resolution keeps the
/// last good set: stale addresses fail fast, no addresses would hang.
async fn follow(
    target: Target,
    resolver: Resolver,
    every: Duration,
    changes: tokio::sync::mpsc::Sender<Change<SocketAddr, Endpoint>>,
) {
    let mut current: HashSet<SocketAddr> = HashSet::new();
    loop {
        match (resolver.0)(&target.host, target.port).await {
            Ok(found) if !found.is_empty() => {
                let found: HashSet<SocketAddr> = found.into_iter().collect();
                for gone in current.difference(&found) {
                    tracing::info!(host = %target.host, address = %gone, "replica gone");
                    if changes.send(Change::Remove(*gone)).await.is_err() {
                        return;
                    }
                }
                for new in found.difference(&current) {
                    let url = format!("{}://{new}", target.scheme);
                    // Checked in `connect`: an address never makes it invalid.
                    let Ok(endpoint) = endpoint(&url, target.tls.as_ref()) else {
                        continue;
                    };
                    tracing::info!(host = %target.host, address = %new, "replica found");
                    if changes.send(Change::Insert(*new, endpoint)).await.is_err() {
                        return;
                    }
                }
                current = found;
            }
            Ok(_) => {
                tracing::warn!(host = %target.host, "name resolved to no address; keeping the last ones");
            }
            Err(error) => {
                tracing::warn!(host = %target.host, %error, "cannot resolve; keeping the last addresses");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = changes.closed() => return,
        }
    }
}

/// Most users whose tokens a [`Caller`] keeps for reuse.
const TOKENS_KEPT: u64 = 10_000;

/// Builds outgoing requests as this service, for a user, with a deadline.
///
/// The token for a user is signed once and reused for the first half of
/// its life (so it always has at least half left when sent): signing costs
/// about 20 µs, and the callee verifies a token it has seen before from its
/// cache (see `auth::verified`) rather than again. A service token says
/// only "this service acts for this user with this role" until it expires,
/// the same whether it is sent once or on several calls.
#[derive(Clone)]
pub struct Caller {
    signer: Signer,
    deadline: Duration,
    tokens: moka::sync::Cache<(String, Role), AsciiMetadataValue>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("issuer", &self.signer.issuer())
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// Calls signed by `signer` (this service's key) that give up after `deadline`.
    pub fn new(signer: Signer, deadline: Duration) -> Self {
        let tokens = moka::sync::Cache::builder()
            .max_capacity(TOKENS_KEPT)
            .time_to_live(signer.ttl() / 2)
            .build();
        Self {
            signer,
            deadline,
            tokens,
        }
    }

    /// `message` as a request acting for `user`.
    pub fn request<T>(&self, user: &Principal, message: T) -> Result<Request<T>, Status> {
        let value = self
            .tokens
            .try_get_with((user.user_id.clone(), user.role), || {
                let token = self.signer.sign(&user.user_id, user.role)?;
                format!("Bearer {token}")
                    .parse::<AsciiMetadataValue>()
                    .map_err(|_| AuthError::Signing)
            })
            .map_err(|e| crate::error::internal(&*e))?;
        Ok(outgoing(message, value, self.deadline))
    }
}

/// `message` as a request carrying `incoming`'s own bearer token, for a
/// call the user makes through this service (the callee then checks the
/// user's rights itself, as if the user had called it): UNAUTHENTICATED if
/// `incoming` carries no token.
pub fn relayed<T>(
    incoming: &tonic::metadata::MetadataMap,
    message: T,
    deadline: Duration,
) -> Result<Request<T>, Status> {
    let token = incoming
        .get("authorization")
        .cloned()
        .ok_or_else(|| Status::unauthenticated("sign in first"))?;
    Ok(outgoing(message, token, deadline))
}

/// An outgoing request with `authorization`, a deadline, and the current
/// trace and request id, so the call shows in the caller's trace and logs.
fn outgoing<T>(
    message: T,
    authorization: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    deadline: Duration,
) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(deadline);
    request
        .metadata_mut()
        .insert("authorization", authorization);
    crate::telemetry::inject_trace_metadata(request.metadata_mut());
    if let Some(id) = crate::telemetry::current_request_id().and_then(|id| id.parse().ok()) {
        request
            .metadata_mut()
            .insert(crate::telemetry::REQUEST_ID_HEADER, id);
    }
    request
}

/// A dependency as a service calls it: guarded (a timeout, bounded calls in
/// flight, a circuit breaker: see [`crate::resilience`]) and measured
/// (`grpc_client_*`, labelled with the calling service), refusals included.
pub type Upstream = crate::metrics::GrpcMetrics<crate::resilience::Guarded<Channel>>;

/// `channel` to the dependency `name`, as `caller` calls it.
pub fn upstream(
    caller: &'static str,
    name: &'static str,
    guard: crate::resilience::Guard,
    channel: Channel,
) -> Upstream {
    use tower::Layer;
    crate::metrics::GrpcMetricsLayer::client(caller).layer(guard.wrap(name, channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_reuses_its_token_for_a_user_and_signs_another_for_another_user() {
        let keys = crate::auth::KeyPair::generate().expect("keys");
        let signer = Signer::new("orders", "shop", &keys.private_pem, Duration::from_secs(60))
            .expect("signer");
        let caller = Caller::new(signer, Duration::from_secs(1));
        let user = |id: &str, role| Principal {
            user_id: id.to_owned(),
            role,
            service: None,
        };
        let token = |who: &Principal| {
            caller
                .request(who, ())
                .expect("request")
                .metadata()
                .get("authorization")
                .cloned()
                .expect("authorization")
        };
        let alice = user("alice", Role::Customer);
        assert_eq!(token(&alice), token(&alice));
        assert_ne!(token(&alice), token(&user("bob", Role::Customer)));
        assert_ne!(token(&alice), token(&user("alice", Role::Admin)));
    }

    #[test]
    fn only_real_host_names_are_balanced() {
        assert!(is_dns_name("catalog.shop.svc.cluster.local"));
        assert!(is_dns_name("payments"));
        assert!(!is_dns_name("127.0.0.1"));
        assert!(!is_dns_name("[::1]"));
        assert!(!is_dns_name("localhost"));
    }

    #[tokio::test]
    async fn https_needs_a_ca_and_odd_urls_are_refused() {
        let options = ChannelOptions::default();
        assert!(matches!(
            connect("https://catalog:50051", &options),
            Err(ClientError::Tls(_))
        ));
        assert!(matches!(
            connect("ftp://catalog:50051", &options),
            Err(ClientError::InvalidUrl(_))
        ));
        assert!(matches!(
            connect("not a url", &options),
            Err(ClientError::InvalidUrl(_))
        ));
        assert!(connect("http://catalog:50051", &options).is_ok());
        assert!(channel("http://127.0.0.1:50051").is_ok());
    }
}

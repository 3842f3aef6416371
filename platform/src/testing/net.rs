//! Network test helpers: throwaway certificates from a CA made up for
//! the test, and a fake gRPC dependency that behaves as told (healthy,
//! failing, hanging) and counts the calls reaching it.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use http::{Request, Response};
use tonic::body::Body;

/// A certificate authority made up for one test, issuing certificates
/// for servers and clients (nothing leaves the test's memory).
pub struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

/// A certificate and its private key, both PEM.
pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new() -> Self {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Shop test CA");
        let cert = params.self_signed(&key).expect("self-sign the CA");
        Self {
            issuer: rcgen::Issuer::new(params, key),
            pem: cert.pem(),
        }
    }

    /// The CA certificate, to trust.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A certificate for `names` (DNS names or IP addresses), for a server
    /// or a client.
    pub fn issue(&self, names: &[&str]) -> TestCert {
        let key = rcgen::KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names.clone()).expect("params");
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        TestCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// TLS for a server on loopback (certificate for `localhost` and 127.0.0.1).
    pub fn server_tls(&self) -> crate::tls::ServerTls {
        let cert = self.issue(&["localhost", "127.0.0.1"]);
        crate::tls::ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
            .expect("server TLS")
    }

    /// [`server_tls`](Self::server_tls) that also requires client certificates from this CA.
    pub fn mutual_server_tls(&self) -> crate::tls::ServerTls {
        self.server_tls()
            .require_client_certs(self.pem.as_bytes())
            .expect("mutual TLS")
    }

    /// Client TLS trusting this CA and presenting a certificate it issued.
    pub fn client_tls(&self) -> crate::client::ClientTls {
        let cert = self.issue(&["client.shop.test"]);
        crate::client::ClientTls::new(self.pem.as_bytes())
            .with_identity(cert.cert_pem, cert.key_pem)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

/// How a [`FakeBackend`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Serves `grpc.health.v1.Health` (SERVING); anything else is UNIMPLEMENTED.
    Healthy,
    /// Answers every call with UNAVAILABLE.
    Unavailable,
    /// Never answers.
    Hang,
    /// Answers INVALID_ARGUMENT with this many long field violations,
    /// through the error model (so bounded).
    Invalid { violations: usize },
    /// Answers with a status whose message alone outgrows any HTTP/2
    /// header-list limit (built by hand, as the error model never would).
    Oversized,
}

/// A gRPC server on 127.0.0.1:0 that behaves as told and counts the calls
/// that reach it: a replica, or a deliberately failing dependency.
pub struct FakeBackend {
    pub address: SocketAddr,
    calls: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FakeBackend {
    pub async fn spawn(behaviour: Behaviour) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let calls = Arc::new(AtomicUsize::new(0));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (_, health) = tonic_health::server::health_reporter();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let layer = {
            let (calls, behaviour) = (calls.clone(), behaviour.clone());
            tower::layer::layer_fn(move |inner| Behave {
                inner,
                calls: calls.clone(),
                behaviour: behaviour.clone(),
            })
        };
        tokio::spawn(
            tonic::transport::Server::builder()
                .layer(layer)
                .add_service(health)
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(listener),
                    async {
                        let _ = stopped.await;
                    },
                ),
        );
        Self {
            address,
            calls,
            behaviour,
            _stop: stop,
        }
    }

    /// `http://` and its address.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Calls that reached it so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Changes how it answers from now on.
    pub fn behave(&self, behaviour: Behaviour) {
        *self.behaviour.lock().expect("behaviour lock") = behaviour;
    }
}

#[derive(Clone)]
struct Behave<S> {
    inner: S,
    calls: Arc<AtomicUsize>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl<S> tower::Service<Request<Body>> for Behave<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let behaviour = *self.behaviour.lock().expect("behaviour lock");
        match behaviour {
            Behaviour::Healthy => Box::pin(self.inner.call(request)),
            Behaviour::Unavailable => Box::pin(std::future::ready(Ok(tonic::Status::unavailable(
                "deliberately failing",
            )
            .into_http()))),
            Behaviour::Hang => Box::pin(std::future::pending()),
            Behaviour::Invalid { violations } => {
                let violations: Vec<_> = (0..violations)
                    .map(|i| {
                        crate::error::FieldViolation::new(
                            format!("ids[{i}]"),
                            format!("{} is not a product id", "x".repeat(200)),
                        )
                    })
                    .collect();
                Box::pin(std::future::ready(Ok(crate::error::invalid_argument(
                    &violations,
                )
                .into_http())))
            }
            Behaviour::Oversized => Box::pin(std::future::ready(Ok(
                tonic::Status::invalid_argument("x".repeat(256 * 1024)).into_http(),
            ))),
        }
    }
}

/// A health check to `authority` whose request body breaks off, as when
/// the caller disconnects mid-request.
pub fn health_check_whose_body_breaks_off(authority: &str) -> Request<Body> {
    struct BreaksOff;
    impl http_body::Body for BreaksOff {
        type Data = tonic::codegen::Bytes;
        type Error = tonic::Status;
        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
            Poll::Ready(Some(Err(tonic::Status::cancelled("caller went away"))))
        }
    }
    Request::builder()
        .method("POST")
        .uri(format!("http://{authority}/grpc.health.v1.Health/Check"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Body::new(BreaksOff))
        .expect("a valid request")
}

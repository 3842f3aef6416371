//! TLS on a service's port (rustls on ring): the gateway's public port with
//! its certificate, and mutual TLS on internal services, which then accept
//! only callers presenting a certificate signed by the cluster's CA.
//!
//! The handshake is done here rather than by tonic's `ServerTlsConfig`
//! because tonic offers only `h2` in ALPN, and grpc-web from a browser or
//! an HTTP/1.1 client also needs `http/1.1`. Connections keep tonic's
//! [`TcpConnectInfo`], so the gateway's per-client limits still see the peer.

use std::{io, pin::Pin, sync::Arc, time::Duration};

use futures_util::Stream;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self, RootCertStore, ServerConfig,
        crypto::ring,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
        server::WebPkiClientVerifier,
    },
    server::TlsStream,
};
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

use crate::server::Protocols;

/// How long a client gets to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server's TLS settings: its certificate chain and key, and optionally
/// the CA whose client certificates it requires (mutual TLS).
#[derive(Clone)]
pub struct ServerTls {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    client_roots: Option<Arc<RootCertStore>>,
}

/// TLS material that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what}: {detail}")]
    Read { what: String, detail: String },
    #[error("invalid TLS setup: {0}")]
    Config(#[from] rustls::Error),
    #[error("invalid client CA: {0}")]
    ClientCa(#[from] rustls::server::VerifierBuilderError),
}

impl ServerTls {
    /// A server presenting `cert_pem` (its chain, leaf first) with `key_pem`.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_error("the certificate", e))?;
        if chain.is_empty() {
            return Err(read_error("the certificate", "no certificate in the PEM"));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| read_error("the key", e))?;
        let tls = Self {
            chain,
            key: Arc::new(key),
            client_roots: None,
        };
        // Fail at start, not on the first connection.
        tls.config(Protocols::Http2Only)?;
        Ok(tls)
    }

    /// Also require client certificates signed by `ca_pem` (mutual TLS).
    pub fn require_client_certs(mut self, ca_pem: &[u8]) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            roots
                .add(cert.map_err(|e| read_error("the client CA", e))?)
                .map_err(TlsError::Config)?;
        }
        if roots.is_empty() {
            return Err(read_error("the client CA", "no certificate in the PEM"));
        }
        self.client_roots = Some(Arc::new(roots));
        self.config(Protocols::Http2Only)?;
        Ok(self)
    }

    /// Whether clients must present a certificate.
    pub fn is_mutual(&self) -> bool {
        self.client_roots.is_some()
    }

    fn config(&self, protocols: Protocols) -> Result<ServerConfig, TlsError> {
        let provider = Arc::new(ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let builder = match &self.client_roots {
            Some(roots) => builder.with_client_cert_verifier(
                WebPkiClientVerifier::builder_with_provider(roots.clone(), provider).build()?,
            ),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(self.chain.clone(), self.key.clone_key())?;
        config.alpn_protocols = match protocols {
            Protocols::Http2Only => vec![b"h2".to_vec()],
            Protocols::Http1AndHttp2 => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        };
        Ok(config)
    }
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("mutual", &self.is_mutual())
            .finish_non_exhaustive()
    }
}

fn read_error(what: &str, detail: impl std::fmt::Display) -> TlsError {
    TlsError::Read {
        what: what.to_owned(),
        detail: detail.to_string(),
    }
}

/// An accepted connection, plaintext or TLS.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The connections a server accepts.
pub type Incoming = Pin<Box<dyn Stream<Item = io::Result<Conn>> + Send>>;

/// The connections accepted on `listener`: plaintext, or TLS-terminated
/// (handshakes run concurrently, so a slow client delays nobody else).
pub fn incoming(
    listener: TcpListener,
    tls: Option<&ServerTls>,
    protocols: Protocols,
) -> Result<Incoming, TlsError> {
    let tcp = TcpIncoming::from(listener).with_nodelay(Some(true));
    let Some(tls) = tls else {
        use futures_util::StreamExt;
        return Ok(Box::pin(tcp.map(|conn| conn.map(Conn::Plain))));
    };
    let acceptor = TlsAcceptor::from(Arc::new(tls.config(protocols)?));
    let (accepted, rx) = tokio::sync::mpsc::channel::<Conn>(64);
    tokio::spawn(accept_loop(tcp, acceptor, accepted));
    Ok(Box::pin(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|conn| (Ok(conn), rx))
    })))
}

async fn accept_loop(
    mut tcp: TcpIncoming,
    acceptor: TlsAcceptor,
    accepted: tokio::sync::mpsc::Sender<Conn>,
) {
    use futures_util::StreamExt;
    loop {
        let stream = tokio::select! {
            next = tcp.next() => next,
            // The server stopped: stop accepting.
            () = accepted.closed() => return,
        };
        let stream = match stream {
            Some(Ok(stream)) => stream,
            Some(Err(error)) => {
                tracing::debug!(%error, "accept failed");
                continue;
            }
            None => return,
        };
        let (acceptor, accepted) = (acceptor.clone(), accepted.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = accepted.send(Conn::Tls(Box::new(tls))).await;
                }
                // A client that speaks plaintext, distrusts us or has no
                // certificate: its problem, logged quietly.
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
}

impl Connected for Conn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        match self {
            Conn::Plain(stream) => stream.connect_info(),
            Conn::Tls(stream) => stream.get_ref().0.connect_info(),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> std::task::Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(ServerTls::from_pem(b"not a pem", b"not a key").is_err());
    }
}

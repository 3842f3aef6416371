//! TLS and mutual TLS on a service's port, with certificates made up by
//! the test: a client must trust the CA, and under mutual TLS also
//! present a certificate from it.

use platform::client::{ChannelOptions, ClientTls, connect};
use tonic::transport::Channel;

use crate::helpers::*;

fn https(server: &TlsServer, tls: Option<ClientTls>) -> Channel {
    let options = ChannelOptions {
        tls,
        ..ChannelOptions::default()
    };
    connect(
        &format!("https://localhost:{}", server.address.port()),
        &options,
    )
    .expect("channel")
}

#[tokio::test]
async fn a_tls_server_answers_a_client_that_trusts_its_ca() {
    let ca = TestCa::new();
    let server = TlsServer::spawn(ca.server_tls()).await;

    let channel = https(&server, Some(ClientTls::new(ca.pem())));

    check(&channel).await.expect("health check over TLS");
}

#[tokio::test]
async fn a_tls_server_refuses_plaintext_and_clients_trusting_another_ca() {
    let ca = TestCa::new();
    let server = TlsServer::spawn(ca.server_tls()).await;

    let plaintext =
        platform::client::channel(&format!("http://{}", server.address)).expect("channel");
    assert!(check(&plaintext).await.is_err());
    let stranger = https(&server, Some(ClientTls::new(TestCa::new().pem())));
    assert!(check(&stranger).await.is_err());
}

#[tokio::test]
async fn mutual_tls_refuses_a_client_without_a_certificate_and_accepts_one_with() {
    let ca = TestCa::new();
    let server = TlsServer::spawn(ca.mutual_server_tls()).await;

    let anonymous = https(&server, Some(ClientTls::new(ca.pem())));
    assert!(check(&anonymous).await.is_err());
    let outsider = https(&server, Some(TestCa::new().client_tls()));
    assert!(check(&outsider).await.is_err());

    let member = https(&server, Some(ca.client_tls()));
    check(&member)
        .await
        .expect("a client with a certificate is let in");
}

#[tokio::test]
async fn a_balanced_channel_verifies_replicas_by_the_service_name_not_the_address() {
    let ca = TestCa::new();
    let cert = ca.issue(&["catalog.shop.test"]);
    let tls = platform::tls::ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .expect("server TLS")
        .require_client_certs(ca.pem().as_bytes())
        .expect("mutual TLS");
    let (one, two) = (
        TlsServer::spawn(tls.clone()).await,
        TlsServer::spawn(tls).await,
    );
    let dns = FakeDns::new(&[one.address, two.address]);
    let options = ChannelOptions {
        tls: Some(ca.client_tls()),
        resolver: dns.resolver(),
        resolve_every: REFRESH,
    };
    let channel = connect("https://catalog.shop.test:50051", &options).expect("channel");

    for _ in 0..10 {
        check(&channel).await.expect("health check over mutual TLS");
    }
}

//! The shop with TLS switched on, certificates made up by the test: the
//! gateway's public port speaks TLS (native gRPC over HTTP/2 and grpc-web
//! over HTTP/1.1) and refuses plaintext; the gateway, orders, catalog and
//! payments call one another over mutual TLS.

use std::sync::Arc;

use bytes::Bytes;
use contracts::orders::OrderStatus;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio_rustls::{
    TlsConnector,
    rustls::{
        ClientConfig, RootCertStore,
        crypto::ring,
        pki_types::{CertificateDer, ServerName, pem::PemObject},
    },
};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_runs_through_tls_at_the_gateway_and_mutual_tls_behind_it() {
    let ca = TestCa::new();
    let shop = TestShop::spawn_tls(&ca).await;
    let mug = shop.product("Mug", 1_200, 5).await;
    let (token, _) = shop.register("tls@example.com").await;

    let order = shop
        .orders
        .clone()
        .create_order(call(
            shop.quoted_order(&token, "tls-1", &mug, 2).await,
            Some(&token),
        ))
        .await
        .expect("order placed over TLS")
        .into_inner();

    assert_eq!(order.status(), OrderStatus::Confirmed);
    shop.stop().await;
}

#[tokio::test]
async fn the_gateway_over_tls_refuses_plaintext() {
    let ca = TestCa::new();
    let shop = TestShop::spawn_tls(&ca).await;

    let plaintext =
        platform::client::channel(&format!("http://{}", shop.address)).expect("channel");
    let refused = HealthClient::new(plaintext)
        .check(HealthCheckRequest::default())
        .await;

    assert!(refused.is_err(), "plaintext answered: {refused:?}");
}

/// One grpc-web health check over HTTP/1.1 inside TLS, as a browser
/// without HTTP/2 would make it; returns the negotiated protocol and the
/// response body.
async fn grpc_web_over_http1(shop: &TestShop, ca: &TestCa) -> (Vec<u8>, http::StatusCode, Bytes) {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem().as_bytes()).expect("CA pem"))
        .expect("trust the CA");
    let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(shop.address)
        .await
        .expect("connect");
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("TLS handshake");
    let alpn = tls.get_ref().1.alpn_protocol().unwrap_or_default().to_vec();

    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    // An empty HealthCheckRequest in one grpc-web frame.
    let request = http::Request::post("/grpc.health.v1.Health/Check")
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(Full::new(Bytes::from_static(&[0, 0, 0, 0, 0])))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (alpn, status, body)
}

#[tokio::test]
async fn grpc_web_over_http1_works_through_tls() {
    let ca = TestCa::new();
    let shop = TestShop::spawn_tls(&ca).await;

    let (alpn, status, body) = grpc_web_over_http1(&shop, &ca).await;

    assert_eq!(alpn, b"http/1.1");
    assert_eq!(status, http::StatusCode::OK);
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("grpc-status:0"), "{text:?}");
}

//! Rate limits at the gateway: a burst over the limit is refused with
//! RESOURCE_EXHAUSTED and a RetryInfo, and the limit recovers.

use std::time::Duration;

use contracts::catalog as catalog_proto;
use gateway::limits::Rate;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::*;

#[tokio::test]
async fn a_burst_over_the_limit_is_refused_then_the_limit_recovers() {
    let shop = TestShop::spawn_with(|config| {
        config.rate = Rate {
            per_second: 10.0,
            burst: 3,
        }
    })
    .await;
    let mut catalog = shop.catalog.clone();
    let list = catalog_proto::ListProductsRequest::default;
    for _ in 0..3 {
        catalog
            .list_products(list())
            .await
            .expect("within the burst");
    }
    let refused = catalog
        .list_products(list())
        .await
        .expect_err("over the limit");
    assert_eq!(refused.code(), Code::ResourceExhausted);
    let retry = refused
        .get_error_details()
        .retry_info()
        .and_then(|r| r.retry_delay)
        .expect("retry info");
    tokio::time::sleep(retry + Duration::from_millis(50)).await;
    catalog
        .list_products(list())
        .await
        .expect("the bucket refilled");
}

#[tokio::test]
async fn sign_in_attempts_have_a_stricter_limit() {
    let shop = TestShop::spawn_with(|config| {
        config.sign_in_rate = Rate {
            per_second: 0.01,
            burst: 2,
        }
    })
    .await;
    for _ in 0..2 {
        let attempt = shop.login("nobody@example.com", "wrong password").await;
        assert_eq!(code_of(&attempt), Code::Unauthenticated);
    }
    let throttled = shop.login("nobody@example.com", "wrong password").await;
    assert_eq!(code_of(&throttled), Code::ResourceExhausted);
    // Reads are still fine: the stricter limit is for sign-in only.
    shop.catalog
        .clone()
        .list_products(catalog_proto::ListProductsRequest::default())
        .await
        .expect("browsing is not throttled");
}

/// A login as seen through a proxy that recorded `client` in X-Forwarded-For.
async fn login_via_proxy(shop: &TestShop, client: &str) -> Code {
    let mut request = tonic::Request::new(contracts::auth::LoginRequest {
        email: "nobody@example.com".into(),
        password: "wrong password".into(),
    });
    request
        .metadata_mut()
        .insert("x-forwarded-for", client.parse().expect("header"));
    code_of(&shop.auth.clone().login(request).await)
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_sign_in_limit() {
    // The test client connects from 127.0.0.1, which plays the ingress.
    let shop = TestShop::spawn_with(|config| {
        config.sign_in_rate = Rate {
            per_second: 0.01,
            burst: 2,
        };
        config.trusted_proxies = vec!["127.0.0.0/8".parse().expect("CIDR")];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(
            login_via_proxy(&shop, "198.51.100.1").await,
            Code::Unauthenticated
        );
    }
    assert_eq!(
        login_via_proxy(&shop, "198.51.100.1").await,
        Code::ResourceExhausted
    );
    assert_eq!(
        login_via_proxy(&shop, "198.51.100.2").await,
        Code::Unauthenticated,
        "another client behind the same proxy is not throttled"
    );
}

#[tokio::test]
async fn an_untrusted_peer_cannot_dodge_the_limit_with_x_forwarded_for() {
    let shop = TestShop::spawn_with(|config| {
        config.sign_in_rate = Rate {
            per_second: 0.01,
            burst: 2,
        }
    })
    .await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        assert_eq!(login_via_proxy(&shop, client).await, Code::Unauthenticated);
    }
    assert_eq!(
        login_via_proxy(&shop, "198.51.100.3").await,
        Code::ResourceExhausted
    );
}

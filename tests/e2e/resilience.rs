//! The gateway guards each backend: a dead one is called until its
//! circuit breaker opens, then calls fail fast with UNAVAILABLE while the
//! other backends serve on; and no client can open a breaker by what it
//! sends.

use contracts::catalog as catalog_proto;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_dead_backend_fails_fast_once_its_breaker_opens_and_the_others_serve_on() {
    let dead = FakeBackend::spawn(Behaviour::Unavailable).await;
    let shop = TestShop::spawn_with(|config| {
        config.backends.insert("catalog".into(), dead.url());
        config.breaker_failures = 3;
    })
    .await;

    let mut refusals = Vec::new();
    for _ in 0..10 {
        refusals.push(
            shop.catalog
                .clone()
                .list_products(catalog_proto::ListProductsRequest::default())
                .await
                .expect_err("catalog is down"),
        );
    }

    assert_eq!(dead.calls(), 3, "calls after the breaker opened reached it");
    assert!(refusals.iter().all(|s| s.code() == Code::Unavailable));
    assert!(
        refusals[9].message().contains("circuit open"),
        "{:?}",
        refusals[9]
    );
    let (token, _) = shop.register("still@example.com").await;
    assert!(!token.is_empty(), "accounts still work");
}

#[tokio::test]
async fn an_anonymous_client_sending_huge_invalid_requests_cannot_open_the_breaker_to_catalog() {
    let shop = TestShop::spawn_with(|config| config.breaker_failures = 3).await;
    let invalid = catalog_proto::BatchGetProductsRequest {
        ids: (0..100)
            .map(|i| format!("{i}-{}", "é".repeat(500)))
            .collect(),
    };

    for _ in 0..10 {
        let status = shop
            .catalog
            .clone()
            .batch_get_products(invalid.clone())
            .await
            .expect_err("no such products");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().len() <= platform::error::MAX_MESSAGE_BYTES);
    }

    shop.catalog
        .clone()
        .list_products(catalog_proto::ListProductsRequest::default())
        .await
        .expect("catalog still serves everyone");
}

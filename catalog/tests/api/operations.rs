//! What operators and tools rely on: health, reflection, every method
//! having an access rule, graceful shutdown, and clear start-up errors.

use std::time::Duration;

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::helpers::*;

async fn health_of(app: &TestApp, service: &str) -> ServingStatus {
    HealthClient::new(app.channel.clone())
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status()
}

#[tokio::test]
async fn health_reports_serving_for_the_server_and_each_service() {
    let app = TestApp::spawn().await;
    for service in [
        "",
        "shop.catalog.v1.CatalogService",
        "shop.catalog.v1.InventoryService",
    ] {
        assert_eq!(
            health_of(&app, service).await,
            ServingStatus::Serving,
            "{service:?}"
        );
    }
}

#[tokio::test]
async fn reflection_lists_the_catalog_services() {
    let app = TestApp::spawn().await;
    let mut responses = ServerReflectionClient::new(app.channel.clone())
        .server_reflection_info(futures_util::stream::iter([ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        }]))
        .await
        .expect("reflection")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("stream")
        .expect("one response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response: {response:?}");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "shop.catalog.v1.CatalogService",
            "shop.catalog.v1.InventoryService",
        ]
    );
}

#[test]
fn every_catalog_method_has_an_access_rule_and_every_rule_a_method() {
    platform::testing::assert_policy_covers("shop.catalog.v1", &catalog::api::policy());
}

#[tokio::test]
async fn shutdown_reports_not_serving_before_it_stops() {
    let mut app =
        TestApp::spawn_with(|config| config.common.drain_delay = Duration::from_secs(2)).await;
    assert_eq!(health_of(&app, "").await, ServingStatus::Serving);

    app.begin_shutdown();
    eventually(
        "health turns NOT_SERVING during the drain delay",
        || async { health_of(&app, "").await == ServingStatus::NotServing },
    )
    .await;
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_bad_database_url_fails_start_up_with_one_clear_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = catalog::Config::new(
        "mysql://localhost/catalog",
        platform::testing::TestAuth::new().verifier(),
    );
    let error = catalog::serve(config, listener, std::future::pending())
        .await
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "invalid database URL: \"mysql://localhost/catalog\" must start with sqlite:// or postgres://"
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let unreachable = catalog::Config::new(
        "postgres://shop:secret@127.0.0.1:1/catalog",
        platform::testing::TestAuth::new().verifier(),
    );
    let error = catalog::serve(unreachable, listener, std::future::pending())
        .await
        .expect_err("refused");
    let message = error.to_string();
    assert!(
        message
            .starts_with("cannot connect to PostgreSQL at postgres://shop:***@127.0.0.1:1/catalog"),
        "{message}"
    );
    assert!(!message.contains("secret"));
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_starting_together_on_an_empty_database_all_come_up() {
    let database = platform::testing::TestDatabase::new().await;
    if !database.is_postgres() {
        eprintln!("skipped: one embedded SQLite file has one process; runs on PostgreSQL");
        return;
    }
    let replicas = platform::testing::concurrently(4, |_| {
        let url = database.url().to_owned();
        async move {
            platform::db::Db::connect(&url, 1, catalog::store::migrations())
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
    .await;
    for started in replicas {
        started.expect("every replica migrates or finds the schema ready");
    }
}

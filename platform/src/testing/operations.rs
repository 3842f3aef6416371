//! What operators and tools rely on from every service, checked the same
//! way for each: health, reflection, an access rule for every method, the
//! drain on shutdown, clear start-up errors, and replicas migrating one
//! database together. A service describes itself once ([`Service`]) and
//! gets every check as a test with [`operations_tests!`](crate::operations_tests).
//! The gateway passes them too: its package is its accounts', and it also
//! serves (and rules) the public methods of the services it routes.

use std::{collections::BTreeSet, fmt::Display, time::Duration};

use futures_util::future::BoxFuture;
use prost::Message;
use prost_types::FileDescriptorSet;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use super::{Shutdown, TestDatabase, TestServer, concurrently, eventually};
use crate::{
    auth::Policy,
    db::{Db, Migrations},
};

/// A service as the shared operations checks start it.
pub struct Service<E> {
    /// Its name, as its database is named in URLs ("catalog").
    pub name: &'static str,
    /// Its contract's package ("shop.catalog.v1"): every method of it has
    /// an access rule.
    pub package: &'static str,
    /// The gRPC services it serves besides health and reflection: its
    /// package's, and for the gateway those it routes too.
    pub services: &'static [&'static str],
    /// Its access rules: one for every method of its package, and none but
    /// for methods of its services.
    pub policy: fn() -> Policy,
    /// Its embedded migrations.
    pub migrations: fn() -> Migrations,
    /// Its `serve`, with the tests' configuration on a database URL and
    /// with a drain delay.
    pub serve: Serve<E>,
}

/// A service's `serve` on (database URL, drain delay, listener, shutdown).
pub type Serve<E> = fn(&str, Duration, TcpListener, Shutdown) -> BoxFuture<'static, Result<(), E>>;

/// The shared operations checks as tests of the [`Service`] that
/// `$service` makes, in the module where it is invoked.
#[macro_export]
macro_rules! operations_tests {
    ($service:expr) => {
        #[::tokio::test]
        async fn health_reports_serving_for_the_server_and_each_service() {
            $crate::testing::operations::assert_serving(&$service).await;
        }

        #[::tokio::test]
        async fn reflection_lists_health_reflection_and_the_services() {
            $crate::testing::operations::assert_reflection_lists(&$service).await;
        }

        #[test]
        fn every_method_has_an_access_rule_and_every_rule_a_method() {
            $crate::testing::operations::assert_access_rules_cover(&$service);
        }

        #[::tokio::test]
        async fn shutdown_reports_not_serving_before_it_stops() {
            $crate::testing::operations::assert_drains_before_stopping(&$service).await;
        }

        #[::tokio::test]
        async fn a_bad_database_url_fails_start_up_with_one_clear_error() {
            $crate::testing::operations::assert_bad_database_urls_refused(&$service).await;
        }

        #[::tokio::test(flavor = "multi_thread")]
        async fn replicas_starting_together_on_an_empty_database_all_come_up() {
            $crate::testing::operations::assert_replicas_migrate_together(&$service).await;
        }
    };
}

/// `service` on a fresh database, with `drain_delay`.
async fn spawn<E: Send + 'static>(
    service: &Service<E>,
    database: &TestDatabase,
    drain_delay: Duration,
) -> TestServer<E> {
    TestServer::spawn(|listener, shutdown| {
        (service.serve)(database.url(), drain_delay, listener, shutdown)
    })
    .await
}

/// What the health service says about `service` ("" for the whole server).
pub async fn health_of(channel: &Channel, service: &str) -> ServingStatus {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .expect("health check")
        .into_inner()
        .status()
}

/// Health says SERVING for the server ("") and for each of its services.
pub async fn assert_serving<E: Send + 'static>(service: &Service<E>) {
    let database = TestDatabase::new().await;
    let server = spawn(service, &database, Duration::ZERO).await;
    let channel = server.channel();
    for service in [""].iter().chain(service.services) {
        assert_eq!(
            health_of(&channel, service).await,
            ServingStatus::Serving,
            "{service:?}"
        );
    }
}

/// Reflection lists exactly health, reflection and its services.
pub async fn assert_reflection_lists<E: Send + 'static>(service: &Service<E>) {
    let database = TestDatabase::new().await;
    let server = spawn(service, &database, Duration::ZERO).await;
    let mut responses = ServerReflectionClient::new(server.channel())
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
    let mut expected = vec![
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ];
    expected.extend_from_slice(service.services);
    expected.sort_unstable();
    assert_eq!(names, expected);
}

/// The methods of the contract whose package and service name (`pkg`,
/// `pkg.Service`) pass `keep`, as paths (`/pkg.Service/Method`).
fn contract_methods(keep: impl Fn(&str, &str) -> bool) -> BTreeSet<String> {
    let contract =
        FileDescriptorSet::decode(contracts::FILE_DESCRIPTOR_SET).expect("descriptor set");
    let mut methods = BTreeSet::new();
    for file in &contract.file {
        for service in &file.service {
            let name = format!("{}.{}", file.package(), service.name());
            if keep(file.package(), &name) {
                methods.extend(
                    service
                        .method
                        .iter()
                        .map(|m| format!("/{name}/{}", m.name())),
                );
            }
        }
    }
    methods
}

/// Every method of its package has an access rule, every rule is for a
/// method of one of its services, and each of its services has a rule.
/// For a service that serves its package only, the rules are exactly the
/// package's methods; the gateway's also name the public methods of the
/// services it routes (their internal ones have none: it never routes them).
pub fn assert_access_rules_cover<E>(service: &Service<E>) {
    let mut policy = (service.policy)();
    // The kit adds the event admin service, with its rules, to every
    // service that publishes or consumes events.
    if service.services.contains(&crate::events::admin::SERVICE) {
        policy = crate::events::admin::EventAdmin::policy(policy);
    }
    let ruled: BTreeSet<String> = policy.paths().map(str::to_owned).collect();
    let own = contract_methods(|package, _| package == service.package);
    let without_rule: Vec<_> = own.difference(&ruled).collect();
    assert!(
        without_rule.is_empty(),
        "methods of {} without an access rule: {without_rule:?}",
        service.package
    );

    let served = contract_methods(|_, name| service.services.contains(&name));
    let without_method: Vec<_> = ruled.difference(&served).collect();
    assert!(
        without_method.is_empty(),
        "access rules for no method it serves: {without_method:?}"
    );

    for name in service.services {
        let prefix = format!("/{name}/");
        assert!(
            ruled.iter().any(|path| path.starts_with(&prefix)),
            "{name} is served, yet none of its methods has an access rule"
        );
    }
}

/// Started with a drain delay of two seconds, it turns NOT_SERVING as
/// soon as it is asked to stop, then stops cleanly.
pub async fn assert_drains_before_stopping<E: std::fmt::Debug + Send + 'static>(
    service: &Service<E>,
) {
    let database = TestDatabase::new().await;
    let mut server = spawn(service, &database, Duration::from_secs(2)).await;
    let channel = server.channel();
    assert_eq!(health_of(&channel, "").await, ServingStatus::Serving);

    server.begin_shutdown();
    eventually(
        "health turns NOT_SERVING during the drain delay",
        || async { health_of(&channel, "").await == ServingStatus::NotServing },
    )
    .await;
    server.stop().await.expect("clean stop");
}

/// A database URL of an unknown kind, and one of an unreachable
/// PostgreSQL, each fail start-up with one readable line (the password left
/// out).
pub async fn assert_bad_database_urls_refused<E: Display>(service: &Service<E>) {
    let database = service.name;
    let start = |url: String| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        match (service.serve)(
            &url,
            Duration::ZERO,
            listener,
            Box::pin(std::future::pending()),
        )
        .await
        {
            Ok(()) => panic!("{url} was accepted"),
            Err(error) => error.to_string(),
        }
    };
    assert_eq!(
        start(format!("mysql://localhost/{database}")).await,
        format!(
            "invalid database URL: \"mysql://localhost/{database}\" must start with sqlite:// or postgres://"
        )
    );

    let message = start(format!("postgres://shop:secret@127.0.0.1:1/{database}")).await;
    assert!(
        message.starts_with(&format!(
            "cannot connect to PostgreSQL at postgres://shop:***@127.0.0.1:1/{database}"
        )),
        "{message}"
    );
    assert!(!message.contains("secret"));
}

/// Replicas starting at once on an empty database all come up: one
/// migrates, the others find the schema ready. Runs on PostgreSQL
/// (`TEST_DATABASE_URL`); one embedded SQLite file has one process.
pub async fn assert_replicas_migrate_together<E>(service: &Service<E>) {
    let database = TestDatabase::new().await;
    if !database.is_postgres() {
        eprintln!("skipped: one embedded SQLite file has one process; runs on PostgreSQL");
        return;
    }
    let migrations = service.migrations;
    let replicas = concurrently(4, |_| {
        let url = database.url().to_owned();
        async move {
            Db::connect(&url, 1, migrations())
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

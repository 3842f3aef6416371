//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for the gateway. Its package is
//! its accounts' (`shop.auth.v1`); it also serves the public methods of the
//! services it routes, and lists just those (`routes::public_services`).
//! Backends are connected on first use, so the checks give every backend
//! the route table names a port where nothing listens.

use gateway::routes;
use platform::testing::{TestAuth, operations::Service};

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:1";

fn gateway() -> Service<gateway::StartError> {
    Service {
        name: "gateway",
        package: "shop.auth.v1",
        services: routes::public_services().leak(),
        policy: routes::policy,
        migrations: gateway::accounts::store::migrations,
        serve: |database_url, drain_delay, listener, shutdown| {
            let auth = TestAuth::new();
            let backends = routes::backends()
                .into_iter()
                .map(|name| (name, NOWHERE.to_owned()));
            let mut config = gateway::Config::new(
                database_url,
                auth.gateway_signer(),
                auth.verifier(),
                backends,
            );
            config.common.drain_delay = drain_delay;
            Box::pin(gateway::serve(config, listener, shutdown))
        },
    }
}

platform::operations_tests!(gateway());

/// The gateway on a throwaway database with `backends`, until it refuses.
async fn start_with(backends: Vec<(&str, String)>) -> String {
    let database = platform::testing::TestDatabase::new().await;
    let auth = TestAuth::new();
    let config = gateway::Config::new(
        database.url(),
        auth.gateway_signer(),
        auth.verifier(),
        backends,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let error = gateway::serve(config, listener, std::future::pending())
        .await
        .expect_err("refused");
    platform::binary::one_line(&error)
}

#[tokio::test]
async fn a_backend_of_the_route_table_without_a_url_refuses_start_up() {
    let backends = routes::backends()
        .into_iter()
        .filter(|name| *name != "orders")
        .map(|name| (name, NOWHERE.to_owned()))
        .collect();

    assert_eq!(
        start_with(backends).await,
        "the gateway's backends: no URL for the backend \"orders\" (give it with --backend orders=URL)"
    );
}

#[tokio::test]
async fn a_url_for_a_backend_the_route_table_does_not_name_refuses_start_up() {
    let mut backends: Vec<_> = routes::backends()
        .into_iter()
        .map(|name| (name, NOWHERE.to_owned()))
        .collect();
    backends.push(("carts", NOWHERE.to_owned()));

    let refusal = start_with(backends).await;
    assert!(
        refusal.starts_with("the gateway's backends: unknown backend \"carts\""),
        "{refusal}"
    );
}

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

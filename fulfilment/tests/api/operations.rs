//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for fulfilment.

use futures_util::FutureExt;
use platform::testing::{TestAuth, operations::Service};

const FULFILMENT: Service<fulfilment::StartError> = Service {
    name: "fulfilment",
    package: "shop.fulfilment.v1",
    services: &[
        "shop.fulfilment.v1.FulfilmentService",
        platform::events::admin::SERVICE,
    ],
    policy: fulfilment::api::policy,
    migrations: fulfilment::store::migrations,
    serve: |database_url, drain_delay, listener, shutdown| {
        let mut config = fulfilment::Config::new(database_url, TestAuth::new().verifier());
        config.common.drain_delay = drain_delay;
        fulfilment::serve(config, listener, shutdown).boxed()
    },
};

platform::operations_tests!(FULFILMENT);

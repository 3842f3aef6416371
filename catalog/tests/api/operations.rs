//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for the catalog.

use futures_util::FutureExt;
use platform::{
    clock::Clock,
    testing::{TestAuth, operations::Service},
};

use crate::helpers::config;

const CATALOG: Service<catalog::StartError> = Service {
    name: "catalog",
    package: "shop.catalog.v1",
    services: &[
        "shop.catalog.v1.CatalogService",
        "shop.catalog.v1.InventoryService",
        platform::events::admin::SERVICE,
    ],
    policy: catalog::api::policy,
    migrations: catalog::store::migrations,
    serve: |database_url, drain_delay, listener, shutdown| {
        let mut config = config(database_url, &TestAuth::new(), &Clock::default());
        config.common.drain_delay = drain_delay;
        catalog::serve(config, listener, shutdown).boxed()
    },
};

platform::operations_tests!(CATALOG);

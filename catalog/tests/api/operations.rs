//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for the catalog.

use std::{future::Future, time::Duration};

use platform::{
    auth::Policy,
    clock::Clock,
    db::Migrations,
    testing::{Shutdown, TestAuth, operations::Service},
};
use tokio::net::TcpListener;

use crate::helpers::config;

struct Catalog;

impl Service for Catalog {
    type Error = catalog::StartError;
    const NAME: &'static str = "catalog";
    const PACKAGE: &'static str = "shop.catalog.v1";
    const SERVICES: &'static [&'static str] = &[
        "shop.catalog.v1.CatalogService",
        "shop.catalog.v1.InventoryService",
    ];

    fn policy() -> Policy {
        catalog::api::policy()
    }

    fn migrations() -> Migrations {
        catalog::store::migrations()
    }

    fn serve(
        database_url: &str,
        drain_delay: Duration,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let mut config = config(database_url, &TestAuth::new(), &Clock::default());
        config.drain_delay = drain_delay;
        catalog::serve(config, listener, shutdown)
    }
}

platform::operations_tests!(Catalog);

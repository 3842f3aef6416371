//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for orders (on its own: catalog
//! and payments are not needed to serve, drain or fail to start).

use std::{future::Future, net::SocketAddr, time::Duration};

use platform::{
    auth::Policy,
    clock::Clock,
    db::Migrations,
    testing::{Shutdown, TestAuth, operations::Service},
};
use tokio::net::TcpListener;

use crate::helpers::orders_config;

struct Orders;

impl Service for Orders {
    type Error = orders::StartError;
    const NAME: &'static str = "orders";
    const PACKAGE: &'static str = "shop.orders.v1";
    const SERVICES: &'static [&'static str] = &["shop.orders.v1.OrderService"];

    fn policy() -> Policy {
        orders::api::policy()
    }

    fn migrations() -> Migrations {
        orders::store::migrations()
    }

    fn serve(
        database_url: &str,
        drain_delay: Duration,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let nowhere = SocketAddr::from(([127, 0, 0, 1], 1));
        let (auth, clock) = (TestAuth::new(), Clock::default());
        let mut config = orders_config(database_url, &auth, &clock, nowhere, nowhere);
        config.drain_delay = drain_delay;
        orders::serve(config, listener, shutdown)
    }
}

platform::operations_tests!(Orders);

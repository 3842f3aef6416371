//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for orders on its own (catalog
//! and payments are not needed to serve, drain or fail to start).

use std::net::SocketAddr;

use futures_util::FutureExt;
use platform::{
    clock::Clock,
    testing::{TestAuth, operations::Service},
};

use crate::helpers::{Addresses, orders_config, shop_bus};

const ORDERS: Service<orders::StartError> = Service {
    name: "orders",
    package: "shop.orders.v1",
    services: &[
        "shop.orders.v1.OrderService",
        platform::events::admin::SERVICE,
    ],
    policy: orders::api::policy,
    migrations: orders::store::migrations,
    serve: |database_url, drain_delay, listener, shutdown| {
        let nowhere = SocketAddr::from(([127, 0, 0, 1], 1));
        let (auth, clock) = (TestAuth::new(), Clock::default());
        let elsewhere = Addresses {
            catalog: nowhere,
            payments: nowhere,
            fulfilment: nowhere,
        };
        let mut config = orders_config(database_url, &auth, &clock, elsewhere, &shop_bus());
        config.common.drain_delay = drain_delay;
        orders::serve(config, listener, shutdown).boxed()
    },
};

platform::operations_tests!(ORDERS);

//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for cart.

use futures_util::FutureExt;
use platform::testing::{TestAuth, operations::Service};

const CART: Service<cart::StartError> = Service {
    name: "cart",
    package: "shop.cart.v1",
    services: &["shop.cart.v1.CartService", platform::events::admin::SERVICE],
    policy: cart::api::policy,
    migrations: cart::store::migrations,
    serve: |database_url, drain_delay, listener, shutdown| {
        let mut config = cart::Config::new(
            database_url,
            TestAuth::new().verifier(),
            "http://127.0.0.1:1",
        );
        config.common.drain_delay = drain_delay;
        cart::serve(config, listener, shutdown).boxed()
    },
};

platform::operations_tests!(CART);

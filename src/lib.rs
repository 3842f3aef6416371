//! The whole shop in one process: the services on their own listeners,
//! stopped together. Used by the `shop` binary (`cargo run`) and
//! by the end-to-end tests, so both run exactly the same wiring.

pub mod echo;
pub mod loadgen;

use std::future::Future;

use platform::service::{Runnable, ServiceFailed};
use tokio::net::TcpListener;

/// Each service's configuration.
pub struct Services {
    pub catalog: catalog::Config,
    pub orders: orders::Config,
    pub payments: payments::Config,
    pub gateway: gateway::Config,
}

/// Each service's listener (bound first, so configurations can name the
/// addresses).
pub struct Listeners {
    pub catalog: TcpListener,
    pub orders: TcpListener,
    pub payments: TcpListener,
    pub gateway: TcpListener,
}

impl Services {
    /// The one list of what the all-in-one runs: each service with its
    /// listener.
    pub fn runnable(self, listeners: Listeners) -> Vec<Runnable> {
        let Self {
            catalog,
            orders,
            payments,
            gateway,
        } = self;
        vec![
            Runnable::new("catalog", listeners.catalog, |l, s| {
                catalog::serve(catalog, l, s)
            }),
            Runnable::new("payments", listeners.payments, |l, s| {
                payments::serve(payments, l, s)
            }),
            Runnable::new("orders", listeners.orders, |l, s| {
                orders::serve(orders, l, s)
            }),
            Runnable::new("gateway", listeners.gateway, |l, s| {
                gateway::serve(gateway, l, s)
            }),
        ]
    }
}

/// Serves all the services until `shutdown` completes (each then drains
/// its own calls) or one of them fails, which stops the others too.
pub async fn serve(
    services: Services,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceFailed> {
    platform::service::serve_all(services.runnable(listeners), shutdown).await
}

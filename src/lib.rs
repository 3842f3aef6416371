//! The whole shop in one process: the services on their own listeners,
//! stopped together. Used by the `shop` binary (`cargo run`) and
//! by the end-to-end tests, so both run exactly the same wiring.

pub mod demo;
pub mod echo;
pub mod listed;
pub mod loadgen;

use std::{collections::BTreeMap, future::Future, net::SocketAddr};

use platform::service::{Runnable, ServiceFailed, Shutdown};
use tokio::net::TcpListener;

/// Each service's configuration: the all-in-one's list of services. A new
/// service is a field here and one line in [`Services::runnable`].
pub struct Services {
    pub catalog: catalog::Config,
    pub orders: orders::Config,
    pub payments: payments::Config,
    pub notifications: notifications::Config,
    pub cart: cart::Config,
    pub fulfilment: fulfilment::Config,
    pub gateway: gateway::Config,
}

impl Services {
    /// Every service's events travel by `events` (one local bus for the
    /// whole process when no broker is configured).
    pub fn set_events(&mut self, events: &platform::events::EventsConfig) {
        for common in [
            &mut self.catalog.common,
            &mut self.orders.common,
            &mut self.payments.common,
            &mut self.notifications.common,
            &mut self.cart.common,
            &mut self.fulfilment.common,
            &mut self.gateway.common,
        ] {
            common.events = events.clone();
        }
    }

    /// Each service with its listener, in start order.
    pub fn runnable(self, mut listeners: Listeners) -> Result<Vec<Runnable>, ServiceFailed> {
        let Self {
            catalog,
            orders,
            payments,
            notifications,
            cart,
            fulfilment,
            gateway,
        } = self;
        let l = &mut listeners;
        let runnable = vec![
            on(l, "catalog", |l, s| catalog::serve(catalog, l, s))?,
            on(l, "payments", |l, s| payments::serve(payments, l, s))?,
            on(l, "notifications", |l, s| {
                notifications::serve(notifications, l, s)
            })?,
            on(l, "cart", |l, s| cart::serve(cart, l, s))?,
            on(l, "fulfilment", |l, s| fulfilment::serve(fulfilment, l, s))?,
            on(l, "orders", |l, s| orders::serve(orders, l, s))?,
            on(l, "gateway", |l, s| gateway::serve(gateway, l, s))?,
        ];
        match listeners.0.into_keys().next() {
            Some(unknown) => Err(wiring(
                unknown,
                "a listener for a service the all-in-one does not run",
            )),
            None => Ok(runnable),
        }
    }
}

/// `name` served by `serve` on its listener.
fn on<F, E>(
    listeners: &mut Listeners,
    name: &'static str,
    serve: impl FnOnce(TcpListener, Shutdown) -> F + Send + 'static,
) -> Result<Runnable, ServiceFailed>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let listener = listeners
        .0
        .remove(name)
        .ok_or_else(|| wiring(name, "no listener was bound for it"))?;
    Ok(Runnable::new(name, listener, serve))
}

fn wiring(service: &'static str, problem: &'static str) -> ServiceFailed {
    ServiceFailed {
        service,
        source: problem.into(),
    }
}

/// Each service's listener, by name; bound before the configurations are
/// made, so that they can name each other's addresses.
#[derive(Debug, Default)]
pub struct Listeners(BTreeMap<&'static str, TcpListener>);

impl Listeners {
    /// Binds each service's address.
    pub async fn bind(
        addresses: impl IntoIterator<Item = (&'static str, SocketAddr)>,
    ) -> Result<Self, platform::binary::BindError> {
        let mut listeners = Self::default();
        for (name, address) in addresses {
            let flag = match name {
                "gateway" => "--gateway-listen".to_owned(),
                _ => format!("--listen {name}=ADDRESS"),
            };
            listeners.insert(name, platform::binary::bind(address, flag).await?);
        }
        Ok(listeners)
    }

    /// Adds `name`'s listener.
    pub fn insert(&mut self, name: &'static str, listener: TcpListener) {
        self.0.insert(name, listener);
    }

    /// Where `name` listens.
    pub fn address(&self, name: &str) -> Option<SocketAddr> {
        self.0.get(name).and_then(|l| l.local_addr().ok())
    }
}

/// Serves all the services until `shutdown` completes (each then drains
/// its own calls) or one of them fails, which stops the others too.
pub async fn serve(
    services: Services,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServiceFailed> {
    platform::service::serve_all(services.runnable(listeners)?, shutdown).await
}

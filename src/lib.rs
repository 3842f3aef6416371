//! The whole shop in one process: the four services on their own
//! listeners, stopped together. Used by the `shop` binary (`cargo run`) and
//! by the end-to-end tests, so both run exactly the same wiring.

pub mod echo;
pub mod loadgen;

use std::future::Future;

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

/// Serves all four services until `shutdown` completes (each then drains
/// its own calls) or one of them fails, which stops the others too.
pub async fn serve(
    services: Services,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let (stop, _) = tokio::sync::broadcast::channel::<()>(1);
    let stopped = |stop: &tokio::sync::broadcast::Sender<()>| {
        let mut stopped = stop.subscribe();
        async move {
            let _ = stopped.recv().await;
        }
    };
    let failed = |service: &'static str| {
        let stop = stop.clone();
        move |error: String| {
            let _ = stop.send(());
            format!("{service}: {error}")
        }
    };
    let all = async {
        tokio::try_join!(
            async {
                catalog::serve(services.catalog, listeners.catalog, stopped(&stop))
                    .await
                    .map_err(|e| failed("catalog")(e.to_string()))
            },
            async {
                payments::serve(services.payments, listeners.payments, stopped(&stop))
                    .await
                    .map_err(|e| failed("payments")(e.to_string()))
            },
            async {
                orders::serve(services.orders, listeners.orders, stopped(&stop))
                    .await
                    .map_err(|e| failed("orders")(e.to_string()))
            },
            async {
                gateway::serve(services.gateway, listeners.gateway, stopped(&stop))
                    .await
                    .map_err(|e| failed("gateway")(e.to_string()))
            },
        )
        .map(drop)
    };
    tokio::pin!(all);
    tokio::select! {
        result = &mut all => result,
        () = shutdown => {
            let _ = stop.send(());
            all.await
        }
    }
}

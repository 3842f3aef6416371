//! What every service's `main` does, written once: [`run_main`] parses the
//! flags, starts telemetry and the metrics port, binds the listen address,
//! runs the service until SIGINT/SIGTERM, and turns the outcome into an
//! exit code and one readable error line.

use std::{error::Error, future::Future, net::SocketAddr, process::ExitCode};

use tokio::net::TcpListener;

use crate::config::CommonArgs;

/// A service binary's flags, as [`run_main`] needs them.
pub trait ServiceArgs: clap::Parser {
    /// Where the service listens.
    fn listen(&self) -> SocketAddr;
    /// The flags every service shares.
    fn common(&self) -> &CommonArgs;
}

/// Implements [`ServiceArgs`] for a clap parser with the fields
/// `listen: SocketAddr` and `common: CommonArgs` (flattened).
#[macro_export]
macro_rules! service_args {
    ($args:ty) => {
        impl $crate::binary::ServiceArgs for $args {
            fn listen(&self) -> ::std::net::SocketAddr {
                self.listen
            }
            fn common(&self) -> &$crate::config::CommonArgs {
                &self.common
            }
        }
    };
}

/// A listen address that cannot be bound, with the flag that moves it (an
/// address already taken is the usual cause, and the operator's next
/// question is how to pick another).
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {address} (choose another address with {flag})")]
pub struct BindError {
    pub address: SocketAddr,
    pub flag: String,
    #[source]
    pub source: std::io::Error,
}

/// Binds `address`, naming it and `flag` (the flag that sets it) in the
/// error.
pub async fn bind(address: SocketAddr, flag: impl Into<String>) -> Result<TcpListener, BindError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| BindError {
            address,
            flag: flag.into(),
            source,
        })
}

/// The body of a service's `main`: parses `A`, starts telemetry as
/// `service`, serves metrics if asked, binds the listen address and runs
/// `run` with the flags and the listener. An error is printed as one line,
/// `service: what failed: why`, with a failure exit code.
pub async fn run_main<A, F, Fut, E>(service: &'static str, run: F) -> ExitCode
where
    A: ServiceArgs,
    F: FnOnce(A, TcpListener) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Into<Box<dyn Error>>,
{
    let args = A::parse();
    let telemetry = crate::telemetry::init(args.common().log_format, service);
    let result = async {
        crate::admin::start(args.common().metrics_listen).await?;
        let listener = bind(args.listen(), "--listen or LISTEN_ADDR").await?;
        run(args, listener).await.map_err(Into::into)
    }
    .await;
    telemetry.shutdown().await;
    exit(service, result)
}

/// `result` as an exit code, the error printed as [`one_line`] first.
pub fn exit(program: &str, result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One readable line, no backtrace: this is what an operator sees.
            eprintln!("{program}: {}", one_line(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// `error` and its sources joined by ": ", skipping a source whose text the
/// line already holds (many errors repeat their source in their message).
pub fn one_line(error: &dyn Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot load the demo catalog")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("wrapped: {0}")]
    struct Repeating(#[from] std::io::Error);

    #[test]
    fn the_line_names_every_cause_once() {
        let io = || std::io::Error::other("disk full");
        assert_eq!(
            one_line(&Outer(io())),
            "cannot load the demo catalog: disk full"
        );
        assert_eq!(one_line(&Repeating(io())), "wrapped: disk full");
    }
}

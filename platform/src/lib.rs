//! Service plumbing shared by every Shop service, so each service gets the
//! same defaults by one call: configuration, telemetry, the database (SQLite
//! or PostgreSQL), token verification and signing, the error model, and the
//! server assembly with health, reflection and graceful shutdown, and the
//! one way a service starts ([`service`], [`binary`]).

pub mod address;
pub mod admin;
pub mod answers;
pub mod auth;
pub mod binary;
pub mod body;
pub mod build;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod grpc_timeout;
pub mod limits;
pub mod metrics;
pub mod money;
pub mod paging;
pub mod resilience;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod statements;
pub mod sweeper;
pub mod telemetry;
pub mod tls;
pub mod values;

#[cfg(feature = "testing")]
pub mod testing;

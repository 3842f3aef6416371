//! The network plumbing against real servers on 127.0.0.1:0: balanced
//! channels over several replicas behind one name, guards against
//! deliberately failing dependencies, and TLS / mutual TLS.

mod balancing;
mod guards;
mod helpers;
mod tls;

//! End-to-end tests: the whole shop in-process (gateway, catalog, orders,
//! payments, notifications, cart, fulfilment on 127.0.0.1:0), driven from
//! outside through the gateway only, with generated gRPC clients and a
//! grpc-web client.

mod abuse;
mod accounts;
mod authorization;
mod cart;
mod demo;
mod fulfilment;
mod fuzz;
mod grpc_web;
mod grpc_web_wire;
mod helpers;
mod journey;
mod limits;
mod loadgen;
mod notifications;
mod observability;
mod raw;
mod resilience;
mod tls;

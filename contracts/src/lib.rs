//! The Shop API, generated from `proto/` at build time, plus small
//! hand-written helpers on the generated types (cards, method descriptors,
//! timestamps). Money as the services handle it is `platform::money`.
//!
//! Packages keep their protobuf nesting (`shop::catalog::v1`) so the generated
//! cross-package paths resolve; a new package needs no line here (the build
//! nests every package it finds). The short aliases below are what code uses.

pub mod card;
pub mod methods;
pub mod timestamp;

// Generated code (tonic/prost): every package below `proto/shop`, nested
// as in protobuf (`shop::catalog::v1`).
#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/shop.rs"));
}
pub use generated::shop;

pub use shop::auth::v1 as auth;
pub use shop::cart::v1 as cart;
pub use shop::catalog::v1 as catalog;
pub use shop::common::v1 as common;
pub use shop::events::v1 as events;
pub use shop::fulfilment::v1 as fulfilment;
pub use shop::notifications::v1 as notifications;
pub use shop::orders::v1 as orders;
pub use shop::payments::v1 as payments;

/// The encoded `FileDescriptorSet` of every Shop proto and its imports, for
/// gRPC reflection and the gateway's REST transcoding: with the comments
/// (`source_code_info`) and the options' extensions (the `google.api.http`
/// rules), which a decode into `prost_types` drops: read those with
/// `prost-reflect`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/shop_descriptor.bin"));

//! The Shop API, generated from `proto/` at build time, plus small
//! hand-written helpers on the generated types (cards, method descriptors,
//! timestamps). Money as the services handle it is `platform::money`.
//!
//! Packages keep their protobuf nesting (`shop::catalog::v1`) so the generated
//! cross-package paths resolve; the short aliases below are what code uses.

pub mod card;
pub mod methods;
pub mod timestamp;

// Generated code (tonic/prost): not held to the workspace's lint policy.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod shop {
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("shop.common.v1");
        }
    }
    pub mod catalog {
        pub mod v1 {
            tonic::include_proto!("shop.catalog.v1");
        }
    }
    pub mod orders {
        pub mod v1 {
            tonic::include_proto!("shop.orders.v1");
        }
    }
    pub mod payments {
        pub mod v1 {
            tonic::include_proto!("shop.payments.v1");
        }
    }
    pub mod auth {
        pub mod v1 {
            tonic::include_proto!("shop.auth.v1");
        }
    }
}

pub use shop::auth::v1 as auth;
pub use shop::catalog::v1 as catalog;
pub use shop::common::v1 as common;
pub use shop::orders::v1 as orders;
pub use shop::payments::v1 as payments;

/// The encoded `FileDescriptorSet` of every Shop proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/shop_descriptor.bin"));

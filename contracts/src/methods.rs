//! Methods by path (`/shop.orders.v1.OrderService/WatchOrder`), read from
//! encoded descriptor sets: which exist and whether they stream. Code that
//! needs to know (the gateway's deadlines and reflection, the metrics'
//! labels) asks here instead of keeping lists that a new method would make
//! wrong.

use std::{collections::HashMap, sync::LazyLock};

use prost::Message;
use prost_types::FileDescriptorSet;

/// How a method's messages flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Unary,
    ClientStream,
    ServerStream,
    BidiStream,
}

impl Kind {
    /// As the gRPC metrics conventions spell it (`server_stream`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Unary => "unary",
            Kind::ClientStream => "client_stream",
            Kind::ServerStream => "server_stream",
            Kind::BidiStream => "bidi_stream",
        }
    }

    /// Whether the answer is a stream (it may last as long as its caller
    /// watches, so it gets stream deadlines, not a call's).
    pub fn answers_with_a_stream(self) -> bool {
        matches!(self, Kind::ServerStream | Kind::BidiStream)
    }
}

/// One method of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// The full service name, `shop.orders.v1.OrderService`.
    pub service: String,
    /// The method's name, `WatchOrder`.
    pub method: String,
    pub kind: Kind,
}

/// Every method of an encoded `FileDescriptorSet`, by path. A set that
/// does not decode has none.
pub fn methods_of(encoded: &[u8]) -> HashMap<String, Method> {
    let Ok(set) = FileDescriptorSet::decode(encoded) else {
        return HashMap::new();
    };
    let mut methods = HashMap::new();
    for file in &set.file {
        for service in &file.service {
            let service_name = format!("{}.{}", file.package(), service.name());
            for method in &service.method {
                let kind = match (method.client_streaming(), method.server_streaming()) {
                    (false, false) => Kind::Unary,
                    (true, false) => Kind::ClientStream,
                    (false, true) => Kind::ServerStream,
                    (true, true) => Kind::BidiStream,
                };
                methods.insert(
                    format!("/{service_name}/{}", method.name()),
                    Method {
                        service: service_name.clone(),
                        method: method.name().to_owned(),
                        kind,
                    },
                );
            }
        }
    }
    methods
}

static CONTRACT: LazyLock<HashMap<String, Method>> =
    LazyLock::new(|| methods_of(crate::FILE_DESCRIPTOR_SET));

/// The Shop contract's method at `path` (internal ones included), if any.
pub fn method(path: &str) -> Option<&'static Method> {
    CONTRACT.get(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_knows_its_methods_and_which_stream() {
        let watch = method("/shop.orders.v1.OrderService/WatchOrder").expect("WatchOrder");
        assert_eq!(watch.service, "shop.orders.v1.OrderService");
        assert_eq!(watch.method, "WatchOrder");
        assert!(watch.kind.answers_with_a_stream());

        let create = method("/shop.orders.v1.OrderService/CreateOrder").expect("CreateOrder");
        assert_eq!(create.kind, Kind::Unary);
        assert!(method("/shop.payments.v1.PaymentService/Charge").is_some());
        assert!(method("/shop.payments.v1.PaymentService/Steal").is_none());
    }

    #[test]
    fn a_set_that_does_not_decode_has_no_methods() {
        assert!(methods_of(b"\xff\xff not a descriptor set").is_empty());
    }
}

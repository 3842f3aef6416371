//! The `grpc-timeout` header: parse the client's, cap it, or set a default,
//! so no call through the gateway can hold resources forever.

use std::time::Duration;

pub use platform::grpc_timeout::{format, parse};

/// The timeout to forward: the client's, no longer than `cap`; `default`
/// when the client gave none (or an unreadable one).
pub fn effective(requested: Option<&str>, default: Duration, cap: Duration) -> Duration {
    requested.and_then(parse).unwrap_or(default).min(cap)
}

/// How long calls through the gateway may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// For a call that names no deadline.
    pub default: Duration,
    /// The longest a call may ask for.
    pub max: Duration,
    /// The longest a stream may stay open (and what it gets by default).
    pub max_stream: Duration,
}

impl Deadlines {
    /// The timeout to forward for a call of `path`. Which methods answer
    /// with a stream comes from the contract's descriptors, so a new
    /// streaming method gets stream deadlines without a list to update.
    pub fn for_call(&self, path: &str, requested: Option<&str>) -> Duration {
        let streams =
            contracts::methods::method(path).is_some_and(|m| m.kind.answers_with_a_stream());
        if streams {
            effective(requested, self.max_stream, self.max_stream)
        } else {
            effective(requested, self.default, self.max)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_get_stream_deadlines_and_calls_get_call_deadlines() {
        let deadlines = Deadlines {
            default: Duration::from_secs(10),
            max: Duration::from_secs(30),
            max_stream: Duration::from_secs(1800),
        };
        let watch = "/shop.orders.v1.OrderService/WatchOrder";
        let create = "/shop.orders.v1.OrderService/CreateOrder";

        assert_eq!(deadlines.for_call(watch, None), deadlines.max_stream);
        assert_eq!(
            deadlines.for_call(watch, Some("5M")),
            Duration::from_secs(300)
        );
        assert_eq!(deadlines.for_call(create, None), deadlines.default);
        assert_eq!(deadlines.for_call(create, Some("5M")), deadlines.max);
        assert_eq!(
            deadlines.for_call("/nope.Nope/Nope", None),
            deadlines.default
        );
    }

    #[test]
    fn the_client_deadline_is_honoured_but_capped() {
        let default = Duration::from_secs(10);
        let cap = Duration::from_secs(30);
        assert_eq!(effective(Some("2S"), default, cap), Duration::from_secs(2));
        assert_eq!(effective(Some("5M"), default, cap), cap);
        assert_eq!(effective(None, default, cap), default);
        assert_eq!(format(Duration::from_millis(2500)), "2500m");
        assert_eq!(
            parse(&format(Duration::from_secs(3600 * 24 * 3))),
            Some(Duration::from_secs(3600 * 24 * 3))
        );
    }
}

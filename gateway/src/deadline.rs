//! The `grpc-timeout` header: parse the client's, cap it, or set a default,
//! so no call through the gateway can hold resources forever.

use std::time::Duration;

pub use platform::grpc_timeout::{format, parse};

/// The timeout to forward: the client's, no longer than `cap`; `default`
/// when the client gave none (or an unreadable one).
pub fn effective(requested: Option<&str>, default: Duration, cap: Duration) -> Duration {
    requested.and_then(parse).unwrap_or(default).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

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

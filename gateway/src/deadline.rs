//! The `grpc-timeout` header: parse the client's, cap it, or set a default,
//! so no call through the gateway can hold resources forever.

use std::time::Duration;

/// The timeout a `grpc-timeout` value asks for (`100m` = 100 ms, `5S` = 5 s).
pub fn parse(value: &str) -> Option<Duration> {
    if value.is_empty() || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// A `grpc-timeout` value for `timeout` (milliseconds, at most 8 digits).
pub fn format(timeout: Duration) -> String {
    let millis = timeout.as_millis();
    if millis < 100_000_000 {
        format!("{millis}m")
    } else {
        format!("{}S", timeout.as_secs().min(99_999_999))
    }
}

/// The timeout to forward: the client's, no longer than `cap`; `default`
/// when the client gave none (or an unreadable one).
pub fn effective(requested: Option<&str>, default: Duration, cap: Duration) -> Duration {
    requested.and_then(parse).unwrap_or(default).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("10u"), Some(Duration::from_micros(10)));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("1234567890S"), None);
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

//! The `grpc-timeout` header, read and written: how long a call may take,
//! as the gateway caps it and the outgoing guards honour it.

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
}

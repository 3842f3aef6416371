//! Conversions between `time::OffsetDateTime` (what the services compute
//! with) and `google.protobuf.Timestamp` (what the contract carries).

use prost_types::Timestamp;
use time::OffsetDateTime;

/// A protobuf timestamp for an instant.
// In range: an `OffsetDateTime` spans at most ±999,999 years, far inside i64
// seconds, and `rem_euclid(1e9)` is in 0..1e9, inside i32.
#[allow(clippy::cast_possible_truncation)]
pub fn from_datetime(at: OffsetDateTime) -> Timestamp {
    let nanos = at.unix_timestamp_nanos();
    Timestamp {
        seconds: nanos.div_euclid(1_000_000_000) as i64,
        nanos: nanos.rem_euclid(1_000_000_000) as i32,
    }
}

/// The instant of a protobuf timestamp, or `None` if it is out of range.
pub fn to_datetime(ts: &Timestamp) -> Option<OffsetDateTime> {
    let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn round_trips_including_before_the_epoch() {
        for at in [
            datetime!(2024-06-01 12:34:56.789 UTC),
            datetime!(1969-12-31 23:59:59.5 UTC),
        ] {
            assert_eq!(to_datetime(&from_datetime(at)), Some(at));
        }
    }

    #[test]
    fn negative_instants_have_positive_nanos() {
        let ts = from_datetime(datetime!(1969-12-31 23:59:59.5 UTC));
        assert_eq!((ts.seconds, ts.nanos), (-1, 500_000_000));
    }
}

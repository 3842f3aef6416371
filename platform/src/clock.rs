//! The time source services compute with. Production reads the system clock;
//! tests use a manual clock they move forward instead of sleeping.

use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

/// Where "now" comes from. Cheap to clone; clones of a manual clock share it.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// A clock that only moves when told to.
    Manual(Arc<Mutex<OffsetDateTime>>),
}

impl Clock {
    /// A manual clock starting at `start`.
    pub fn manual(start: OffsetDateTime) -> Self {
        Self::Manual(Arc::new(Mutex::new(start)))
    }

    /// The current instant, truncated to microseconds (what databases keep).
    pub fn now(&self) -> OffsetDateTime {
        let now = match self {
            Self::System => OffsetDateTime::now_utc(),
            Self::Manual(at) => *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        };
        from_micros(to_micros(now))
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Self::Manual(at) = self {
            let mut at = at.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *at += by;
        }
    }
}

/// Microseconds since the Unix epoch: how timestamps are stored, the same
/// integer on SQLite and PostgreSQL.
pub fn to_micros(at: OffsetDateTime) -> i64 {
    let micros = at.unix_timestamp_nanos() / 1_000;
    // Saturates; only dates some 290,000 years away reach the ends.
    i64::try_from(micros).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX })
}

/// The instant `micros` microseconds after the Unix epoch.
pub fn from_micros(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use time::macros::datetime;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(datetime!(2024-01-01 00:00 UTC));
        let shared = clock.clone();
        assert_eq!(clock.now(), datetime!(2024-01-01 00:00 UTC));
        shared.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), datetime!(2024-01-01 00:01:30 UTC));
    }

    #[test]
    fn micros_round_trip() {
        let at = datetime!(2024-06-01 12:00:00.123456 UTC);
        assert_eq!(from_micros(to_micros(at)), at);
    }
}

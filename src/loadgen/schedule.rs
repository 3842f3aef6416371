//! When each call should start. Closed loop: as soon as the previous call
//! of the same virtual user ends. Open loop: on a fixed timetable at the
//! requested rate, whatever happened before, and latency counts from the
//! *intended* start, so a stalled server cannot hide its stall by slowing
//! the generator down (coordinated omission).

use std::time::Duration;

/// The open-loop timetable: `rate` calls per second in total, dealt round
/// robin to `users` virtual users, so user `u` owns slots `u`, `u + users`,
/// `u + 2 * users`, ...
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenLoop {
    pub rate: f64,
    pub users: usize,
}

impl OpenLoop {
    /// How long after the start user `user` should begin its `k`-th call.
    pub fn offset(&self, user: usize, k: u64) -> Duration {
        let slot = k as f64 * self.users as f64 + user as f64;
        Duration::from_secs_f64(slot / self.rate.max(f64::MIN_POSITIVE))
    }
}

/// The latency to record: from the intended start (open loop) or the actual
/// start (closed loop, where the two are the same) to the end of the call.
pub fn latency(intended: tokio::time::Instant, finished: tokio::time::Instant) -> Duration {
    finished.saturating_duration_since(intended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn users_take_turns_so_the_total_rate_is_the_requested_one() {
        let schedule = OpenLoop {
            rate: 4.0,
            users: 2,
        };
        assert_eq!(schedule.offset(0, 0), ms(0));
        assert_eq!(schedule.offset(1, 0), ms(250));
        assert_eq!(schedule.offset(0, 1), ms(500));
        assert_eq!(schedule.offset(1, 1), ms(750));
        assert_eq!(schedule.offset(0, 2), ms(1000));
    }

    #[test]
    fn one_user_alone_calls_at_the_full_rate() {
        let schedule = OpenLoop {
            rate: 100.0,
            users: 1,
        };
        assert_eq!(schedule.offset(0, 250), ms(2500));
    }

    #[test]
    fn a_call_that_starts_late_is_charged_for_the_wait() {
        let intended = tokio::time::Instant::now();
        let finished = intended + ms(30);
        assert_eq!(latency(intended, finished), ms(30));
        assert_eq!(latency(finished, intended), Duration::ZERO);
    }
}

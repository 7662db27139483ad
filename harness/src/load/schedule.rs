//! When things start within a stage: the open-model schedule of request starts (`rate`), the
//! connection ramp, and how late a start was.
//!
//! Pure functions of the plan and an index, so the timing decisions are unit-tested without
//! sockets or clocks; the worker only sleeps until the times computed here.

use std::time::Duration;

/// Open a stage's connections spread over `over`: worker `w < connections` opens its first
/// connection `w × over / connections` after the stage began, every other worker at `over`.
/// Each worker claims its first request before waiting for its slot, so every ramped worker
/// really connects even when the earlier ones could serve all requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionRamp {
    /// Connections spread over the ramp; `0` is treated as `1`.
    pub connections: usize,
    /// Length of the ramp.
    pub over: Duration,
}

impl ConnectionRamp {
    /// How long after the stage began worker `worker` may open its first connection.
    pub fn delay(&self, worker: usize) -> Duration {
        let n = self.connections.max(1);
        if worker >= n {
            return self.over;
        }
        let nanos = self.over.as_nanos() * worker as u128 / n as u128;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// When request `index` of a stage is scheduled to start with an arrival `interval`
/// (`1 / rate`): `index × interval` after the stage began.
pub fn scheduled_start(interval: Duration, index: u64) -> Duration {
    let nanos = interval.as_nanos().saturating_mul(u128::from(index));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// A start at most this far behind its schedule is on time: below the resolution of tokio's
/// timer (1 ms), so waking and claiming the next request never counts as late by itself.
pub const LATE_AFTER: Duration = Duration::from_millis(1);

/// How late a request claimed `elapsed` after the stage began is, against its schedule; `None`
/// when on time (within [`LATE_AFTER`]) or ahead.
pub fn lateness(scheduled: Duration, elapsed: Duration) -> Option<Duration> {
    elapsed
        .checked_sub(scheduled)
        .filter(|late| *late > LATE_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_rate_schedule_is_index_times_interval() {
        assert_eq!(scheduled_start(MS(20), 0), Duration::ZERO);
        assert_eq!(scheduled_start(MS(20), 50), Duration::from_secs(1));
        let third = Duration::from_secs_f64(1.0 / 3.0);
        let drift = scheduled_start(third, 300).abs_diff(Duration::from_secs(100));
        assert!(
            drift < Duration::from_micros(1),
            "no accumulated drift: {drift:?}"
        );
        let saturated = Duration::from_nanos(u64::MAX);
        assert_eq!(scheduled_start(Duration::MAX, u64::MAX), saturated);
    }

    #[test]
    fn the_ramp_spreads_connections_evenly_and_the_rest_open_at_its_end() {
        let ramp = ConnectionRamp {
            connections: 4,
            over: Duration::from_secs(1),
        };
        let delays: Vec<Duration> = (0..6).map(|w| ramp.delay(w)).collect();
        assert_eq!(
            delays,
            [MS(0), MS(250), MS(500), MS(750), MS(1000), MS(1000)]
        );
        let zero = ConnectionRamp {
            connections: 0,
            over: MS(10),
        };
        assert_eq!((zero.delay(0), zero.delay(1)), (MS(0), MS(10)));
    }

    #[test]
    fn only_starts_beyond_the_timer_resolution_are_late() {
        assert_eq!(lateness(MS(100), MS(50)), None, "ahead of schedule");
        assert_eq!(lateness(MS(100), MS(101)), None, "within 1 ms");
        assert_eq!(lateness(MS(100), MS(130)), Some(MS(30)));
    }
}

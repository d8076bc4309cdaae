//! The clock of timings. A timed pool reads it three times per job (submitted, began, ended),
//! so it must cost next to nothing: quanta reads the CPU's time-stamp counter where it is
//! invariant (falling back to the system's monotonic clock elsewhere), as the `metrics`
//! crate's histograms do, and readings stay raw counts until two are subtracted.

/// A raw reading of the [`JobClock`]: comparable only with another of the same clock.
pub(crate) type Stamp = u64;

/// The clock a timed pool stamps its jobs with.
#[derive(Clone, Debug)]
pub(crate) struct JobClock(quanta::Clock);

impl JobClock {
    /// The process's clock; the first in a process calibrates the counter against the system
    /// clock, once: at least 0.5 ms of spinning, at most 200 ms (quanta's bound; under 10 ms
    /// on the hosts measured), inside the first timed pool's `build`.
    pub(crate) fn new() -> Self {
        Self(quanta::Clock::new())
    }

    #[inline]
    pub(crate) fn now(&self) -> Stamp {
        self.0.raw()
    }

    /// Nanoseconds from `start` to `end`; zero if `end` reads earlier (counters of two cores
    /// a hair apart), never a wrapped-around huge value.
    #[inline]
    pub(crate) fn nanos_between(&self, start: Stamp, end: Stamp) -> u64 {
        self.0.delta_as_nanos(start, end)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::JobClock;

    #[test]
    fn the_clock_measures_what_the_system_clock_does() {
        let clock = JobClock::new();
        let (outer, stamp) = (Instant::now(), clock.now());
        std::thread::sleep(Duration::from_millis(20));
        let (inner, end) = (clock.now(), outer.elapsed());
        let measured = Duration::from_nanos(clock.nanos_between(stamp, inner));
        // Within the two readings of the system clock around it, give or take calibration.
        assert!(measured >= Duration::from_millis(19), "{measured:?}");
        assert!(
            measured <= end + Duration::from_millis(2),
            "{measured:?} > {end:?}"
        );
        assert_eq!(
            clock.nanos_between(inner, stamp),
            0,
            "backwards reads as zero"
        );
    }
}

//! Ramp-up schedule: viewer start times on an absolute grid, so the achieved rate is the configured one.

use std::time::Duration;

/// When each viewer starts, relative to the start of the ramp.
///
/// Viewer `i` starts at `i / rate + jitter(i)`, with `jitter(i)` uniform in `[0, J)` and
/// `J` = the configured jitter capped at half the interval. Viewer 0 starts at once. The
/// grid is absolute: jitter never accumulates, so the achieved rate is the configured one,
/// and starts stay in order because the jitter is less than the interval.
#[derive(Clone, Debug)]
pub struct RampSchedule {
    interval: Duration,
    max_jitter: Duration,
    rng: fastrand::Rng,
}

impl RampSchedule {
    /// A schedule for `rate` viewers per second (must be positive and finite) with up to
    /// `jitter` of random delay per viewer; `seed` makes the jitter reproducible.
    pub fn new(rate: f64, jitter: Duration, seed: u64) -> Self {
        let interval = Duration::from_secs_f64(1.0 / rate);
        RampSchedule {
            interval,
            max_jitter: jitter.min(interval / 2),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The interval between grid points.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The jitter bound in use (after the cap).
    pub fn max_jitter(&self) -> Duration {
        self.max_jitter
    }

    /// The start offset of `viewer`. Call in viewer order for reproducible jitter.
    pub fn offset(&mut self, viewer: u32) -> Duration {
        if viewer == 0 {
            return Duration::ZERO;
        }
        let jitter = self.max_jitter.mul_f64(self.rng.f64());
        self.interval * viewer + jitter
    }
}

#[cfg(test)]
mod tests;

//! The stats clock: time as a `Duration` since one process-wide epoch, so that an atomic can hold
//! an instant and a reader of thousands of viewers converts `now` once, not once per viewer.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// An instant on the stats clock. Instants before the epoch (the first conversion in the process)
/// read as the epoch itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatsInstant(Duration);

impl StatsInstant {
    /// Time since the process-wide epoch.
    pub fn since_epoch(self) -> Duration {
        self.0
    }
}

impl From<Instant> for StatsInstant {
    fn from(at: Instant) -> StatsInstant {
        static EPOCH: OnceLock<Instant> = OnceLock::new();
        StatsInstant(at.saturating_duration_since(*EPOCH.get_or_init(Instant::now)))
    }
}

//! Playback speed with stall detection, and wall-clock drift against the current process's start.

use crate::sync::{AtomicI64, AtomicU64, Ordering, cas_max_i64};
use std::time::Duration;

/// Below this speed (× real time) a viewer is not keeping up.
pub const STALL_SPEED: f64 = 0.9;
/// A viewer below [`STALL_SPEED`] for longer than this is stalled, and so is one whose ffmpeg
/// has reported no speed for longer than this (ffmpeg reports from the loop that reads packets,
/// so a silent ffmpeg is waiting for data: a live playlist that stopped changing, a download
/// that does not end).
pub const STALL_AFTER: Duration = Duration::from_secs(5);

/// `speed_bits` before the first speed is known (a NaN payload no real speed produces).
const NO_SPEED: u64 = u64::MAX;
/// `drift_ms` before the current process reports its first output time.
pub(crate) const NO_DRIFT: i64 = i64::MIN;

/// What a reader sees of a viewer's playback at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PlaybackValues {
    /// The last speed ffmpeg reported, × real time; `None` before the first.
    pub speed: Option<f64>,
    /// Below [`STALL_SPEED`] continuously for longer than [`STALL_AFTER`], or silent (no speed
    /// reported by the current process since its first) for longer than that.
    pub stalled: bool,
    /// No speed reported by the current process for longer than [`STALL_AFTER`] (after its
    /// first): ffmpeg is waiting for data. Stalled, whatever the last speed was.
    pub silent: bool,
    /// How long the viewer has been below [`STALL_SPEED`], if it is.
    pub below_for: Option<Duration>,
    /// Current drift: wall time since the current process started minus ffmpeg's output time, in ms.
    /// Positive means behind real time. `None` before the process's first output time.
    pub drift_ms: Option<i64>,
    /// The largest drift seen in any process run of this viewer, in ms (0 before any).
    pub max_drift_ms: i64,
}

/// Speed, stall clock and drift: one writer (the viewer's parser task), any readers.
#[derive(Debug)]
pub(crate) struct PlaybackCells {
    speed_bits: AtomicU64,
    /// Nanoseconds since the stats epoch, plus one, when speed fell below threshold; 0 = not below.
    below_since: AtomicU64,
    drift_ms: AtomicI64,
    max_drift_ms: AtomicI64,
    /// Nanoseconds since the stats epoch, plus one, of the current process's last speed report;
    /// 0 = none yet.
    last_report: AtomicU64,
}

impl PlaybackCells {
    pub(crate) fn new() -> Self {
        PlaybackCells {
            speed_bits: AtomicU64::new(NO_SPEED),
            below_since: AtomicU64::new(0),
            drift_ms: AtomicI64::new(NO_DRIFT),
            max_drift_ms: AtomicI64::new(0),
            last_report: AtomicU64::new(0),
        }
    }

    /// Records a speed reported at `at` (time since the stats epoch). Single writer.
    ///
    /// The stall clock starts whenever the speed is below threshold and not yet
    /// running, so a viewer whose *first* speed is already slow is detected too. A speed that is
    /// not positive and finite (ffmpeg's `N/A`, `0x` before the first frame) leaves the state as is:
    /// unknown is neither healthy nor slow.
    pub(crate) fn record_speed(&self, speed: f64, at: Duration) {
        let mark = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX - 1) + 1;
        if speed.is_finite() && speed > 0.0 {
            self.record_known_speed(speed, mark);
        }
        // Release, after the speed: a reader that sees this report's time (Acquire, first, in
        // `values`) sees its speed too, or a later one.
        self.last_report.store(mark, Ordering::Release);
    }

    fn record_known_speed(&self, speed: f64, mark: u64) {
        if speed < STALL_SPEED {
            // Release: a reader that sees the stall clock running (Acquire below) also sees this
            // slow speed or a later one, never the healthy speed from before.
            self.speed_bits.store(speed.to_bits(), Ordering::Release);
            // Relaxed: only this writer stores to `below_since`.
            if self.below_since.load(Ordering::Relaxed) == 0 {
                // Release: publishes the slow speed stored above together with the clock.
                self.below_since.store(mark, Ordering::Release);
            }
        } else {
            // Release: pairs with the reader's Acquire on `below_since`; see `values`.
            self.below_since.store(0, Ordering::Release);
            // Release: as above.
            self.speed_bits.store(speed.to_bits(), Ordering::Release);
        }
    }

    /// Records ffmpeg's output time `out_time_us`, `since_start` after the current process began.
    pub(crate) fn record_out_time(&self, out_time_us: i64, since_start: Duration) {
        if out_time_us <= 0 {
            return;
        }
        let wall_ms = i64::try_from(since_start.as_millis()).unwrap_or(i64::MAX);
        let drift = wall_ms.saturating_sub(out_time_us / 1000);
        // Relaxed: a standalone gauge; nothing else is published with it.
        self.drift_ms.store(drift, Ordering::Relaxed);
        cas_max_i64(&self.max_drift_ms, drift);
    }

    /// A new process run: its drift is unknown until it reports an output time, and the stall
    /// clock restarts (a restart is counted on its own). The speed stays as the last known value.
    pub(crate) fn roll_over(&self) {
        // Relaxed: a standalone gauge.
        self.drift_ms.store(NO_DRIFT, Ordering::Relaxed);
        // Release: same protocol as a healthy speed in `record_speed`.
        self.below_since.store(0, Ordering::Release);
        // Release: same protocol as in `record_speed`.
        self.last_report.store(0, Ordering::Release);
    }

    /// What a reader sees at `now` (time since the stats epoch).
    ///
    /// `stalled` is computed from one `below_since` load and one later `speed` load, and is only
    /// reported for them when that speed is itself below threshold, so the pair returned is
    /// consistent; or from the time of the last report, loaded first, so the speed returned is
    /// that report's or a later one.
    #[inline]
    pub(crate) fn values(&self, now: Duration) -> PlaybackValues {
        // Acquire: pairs with the Release store in `record_speed`, after its speed.
        let last_report = self.last_report.load(Ordering::Acquire);
        // Acquire: pairs with the Release stores in `record_speed`.
        let below_since = self.below_since.load(Ordering::Acquire);
        // Acquire: pairs with the Release stores of the speed.
        let bits = self.speed_bits.load(Ordering::Acquire);
        let speed = (bits != NO_SPEED).then(|| f64::from_bits(bits));
        let below_for = match (below_since, speed) {
            (0, _) | (_, None) => None,
            (mark, Some(s)) if s < STALL_SPEED => {
                Some(now.saturating_sub(Duration::from_nanos(mark - 1)))
            }
            _ => None,
        };
        // Relaxed: standalone gauges.
        let drift = self.drift_ms.load(Ordering::Relaxed);
        let silent = last_report != 0
            && now.saturating_sub(Duration::from_nanos(last_report - 1)) > STALL_AFTER;
        PlaybackValues {
            speed,
            stalled: silent || below_for.is_some_and(|d| d > STALL_AFTER),
            silent,
            below_for,
            drift_ms: (drift != NO_DRIFT).then_some(drift),
            // Relaxed: standalone peak.
            max_drift_ms: self.max_drift_ms.load(Ordering::Relaxed),
        }
    }
}

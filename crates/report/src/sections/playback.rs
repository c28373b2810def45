//! Playback health over the run: speed against real time, and drift.

use hls_swarm_aggregate::Snapshot;
use serde::Serialize;

use crate::text::{Text, drift};

/// Playback health over the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlaybackTotals {
    /// Mean speed over the run (every viewer and tick that reported one), × real time.
    pub speed_mean: f64,
    /// The most viewers below 1.0× at one time during the run.
    pub below_realtime: u64,
    /// Largest drift any viewer had, ms.
    pub drift_max_ms: i64,
    /// Mean current drift of running viewers, ms.
    pub drift_mean_ms: f64,
}

impl PlaybackTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> PlaybackTotals {
        PlaybackTotals {
            speed_mean: s.playback.run_speed_mean,
            below_realtime: s.playback.peak_below_realtime,
            drift_max_ms: s.playback.drift_max_ms,
            drift_mean_ms: s.playback.drift_mean_ms,
        }
    }

    /// The "Playback" section.
    pub(crate) fn render(&self, text: &mut Text) {
        text.section("Playback (over the run)");
        text.row("mean speed", &format!("{:.2}x real time", self.speed_mean));
        text.row(
            "below real time",
            &format!("{} viewers at most at once (<1.0x)", self.below_realtime),
        );
        text.row("mean drift", &drift(self.drift_mean_ms));
        text.row("max drift", &drift(self.drift_max_ms as f64));
    }
}

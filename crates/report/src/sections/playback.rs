//! Playback health over the run: speed against real time, and drift, with what each mean is
//! over so that the means of several shards can be weighted.

use hls_swarm_aggregate::Snapshot;
use serde::{Deserialize, Serialize};

use super::weighted_mean;
use crate::text::{Text, drift};

/// The key of [`PlaybackTotals::below_realtime`] in `upper_bounds`.
pub(crate) const BELOW_REALTIME: &str = "playback.below_realtime";

/// Playback health over the run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlaybackTotals {
    /// Mean speed over the run (every viewer and tick that reported one), × real time; 0 with
    /// no samples.
    pub speed_mean: f64,
    /// How many (viewer, tick) speeds `speed_mean` is over.
    pub speed_samples: u64,
    /// The most viewers below 1.0× at one time during the run; in a merge, the sum of the
    /// shards' peaks (an upper bound: they need not have peaked at once).
    pub below_realtime: u64,
    /// Largest drift any viewer had, ms.
    pub drift_max_ms: i64,
    /// Mean current drift of the viewers running at the end that reported one, ms; 0 with none.
    pub drift_mean_ms: f64,
    /// How many viewers `drift_mean_ms` is over.
    pub drift_samples: u64,
}

impl PlaybackTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> PlaybackTotals {
        PlaybackTotals {
            speed_mean: s.playback.run_speed_mean,
            speed_samples: s.playback.run_speed_samples,
            below_realtime: s.playback.peak_below_realtime,
            drift_max_ms: s.playback.drift_max_ms,
            drift_mean_ms: s.playback.drift_mean_ms,
            drift_samples: s.playback.with_drift,
        }
    }

    /// The playback of several shards: means weighted by what they are over, the largest drift,
    /// and the peaks below real time summed (an upper bound).
    pub(crate) fn merge(parts: &[&PlaybackTotals]) -> PlaybackTotals {
        PlaybackTotals {
            speed_mean: weighted_mean(parts.iter().map(|p| (p.speed_mean, p.speed_samples))),
            speed_samples: parts.iter().map(|p| p.speed_samples).sum(),
            below_realtime: parts.iter().map(|p| p.below_realtime).sum(),
            drift_max_ms: parts.iter().map(|p| p.drift_max_ms).max().unwrap_or(0),
            drift_mean_ms: weighted_mean(parts.iter().map(|p| (p.drift_mean_ms, p.drift_samples))),
            drift_samples: parts.iter().map(|p| p.drift_samples).sum(),
        }
    }

    /// The "Playback" section; `below_is_bound` when `below_realtime` is an upper bound.
    pub(crate) fn render(&self, below_is_bound: bool, text: &mut Text) {
        text.section("Playback (over the run)");
        text.row("mean speed", &format!("{:.2}x real time", self.speed_mean));
        let below = if below_is_bound {
            format!(
                "at most {} viewers at once (<1.0x; the sum of each shard's peak)",
                self.below_realtime
            )
        } else {
            format!("{} viewers at most at once (<1.0x)", self.below_realtime)
        };
        text.row("below real time", &below);
        text.row("mean drift", &drift(self.drift_mean_ms));
        text.row("max drift", &drift(self.drift_max_ms as f64));
    }
}

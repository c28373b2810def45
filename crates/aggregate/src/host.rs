//! The host's figures over the run, kept tick by tick: the latest sample, how long the host was
//! saturated, its peaks, and the stall onsets that came while it was saturated.

use hls_swarm_host::HostSample;
use std::time::Duration;

/// The machine hls-swarm runs on, as of the latest sample, and over the run so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostFigures {
    /// The latest sample.
    pub sample: HostSample,
    /// Whether the latest sample is saturated ([`HostSample::is_saturated`]).
    pub saturated: bool,
    /// Seconds the host was saturated so far: the intervals of the saturated samples.
    pub saturated_s: f64,
    /// The largest CPU busy of any sample, cores.
    pub peak_cpu_busy_cores: Option<f64>,
    /// The largest CPU busy share of any sample, 0 to 1.
    pub peak_cpu_busy_share: Option<f64>,
    /// The most memory used in any sample, bytes.
    pub peak_memory_used_bytes: Option<u64>,
    /// The largest memory used share of any sample, 0 to 1.
    pub peak_memory_used_share: Option<f64>,
    /// Viewers whose first stall began on a tick when the host was saturated (of
    /// [`crate::Playback::ever_stalled`]): stalls that may be this machine's, not the origin's.
    pub stall_onsets_while_saturated: u64,
    /// Seconds the ramp was held so far because the host was saturated.
    pub ramp_held_s: f64,
}

/// What the aggregator keeps of the host between ticks.
#[derive(Debug, Default)]
pub(crate) struct HostTracker {
    figures: Option<HostFigures>,
    stall_onsets: u64,
    ramp_held: Duration,
}

fn max_opt<T: PartialOrd + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    }
}

impl HostTracker {
    /// Adds a sample: it is the latest, its interval counts as saturated time when it is
    /// saturated, and its figures may be peaks.
    pub(crate) fn record(&mut self, sample: HostSample) {
        let saturated = sample.is_saturated();
        let before = self.figures;
        let was = |f: fn(&HostFigures) -> Option<f64>| before.as_ref().and_then(f);
        let interval_s = sample.interval.map_or(0.0, |d| d.as_secs_f64());
        self.figures = Some(HostFigures {
            sample,
            saturated,
            saturated_s: before.map_or(0.0, |f| f.saturated_s)
                + if saturated { interval_s } else { 0.0 },
            peak_cpu_busy_cores: max_opt(was(|f| f.peak_cpu_busy_cores), sample.cpu_busy_cores),
            peak_cpu_busy_share: max_opt(was(|f| f.peak_cpu_busy_share), sample.cpu_busy_share()),
            peak_memory_used_bytes: max_opt(
                before.and_then(|f| f.peak_memory_used_bytes),
                sample.memory_used_bytes,
            ),
            peak_memory_used_share: max_opt(
                was(|f| f.peak_memory_used_share),
                sample.memory_used_share(),
            ),
            stall_onsets_while_saturated: self.stall_onsets,
            ramp_held_s: self.ramp_held.as_secs_f64(),
        });
    }

    /// A viewer began stalling on this tick: counted when the latest sample is saturated.
    pub(crate) fn stall_onset(&mut self) {
        if self.figures.is_some_and(|f| f.saturated) {
            self.stall_onsets += 1;
        }
    }

    /// How long the ramp has been held so far.
    pub(crate) fn set_ramp_held(&mut self, held: Duration) {
        self.ramp_held = held;
    }

    /// The figures for a snapshot: `None` until the first sample.
    pub(crate) fn figures(&self) -> Option<HostFigures> {
        self.figures.map(|f| HostFigures {
            stall_onsets_while_saturated: self.stall_onsets,
            ramp_held_s: self.ramp_held.as_secs_f64(),
            ..f
        })
    }
}

#[cfg(test)]
mod tests;

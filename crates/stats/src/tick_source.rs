//! What a tick reads of a viewer ([`TickValues`]) and the reads themselves ([`TickSource`]);
//! public through [`crate::tick`].

use crate::BytesSource;
use crate::clock::StatsInstant;
use crate::counters::{CounterValues, LineCounts};
use crate::latency::LatencyKind;
use crate::playback::PlaybackValues;
use crate::process::ViewerState;

/// What an aggregator's tick needs of a viewer, read by [`TickSource::read_into`]: the scalars
/// behind the swarm totals and a per-viewer row, without the full
/// [`ViewerSnapshot`](crate::ViewerSnapshot) copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TickValues {
    /// Requests of any kind (the four request counters added up).
    pub requests: u64,
    /// [`Counter::HttpErrors`](crate::Counter::HttpErrors).
    pub http_errors: u64,
    /// Bytes from `AVIOContext … Statistics` lines, all process runs.
    pub avio_bytes: u64,
    /// Bytes from the segment-size lookup, all process runs.
    pub segment_bytes: u64,
    /// The source [`TickValues::bytes`] reports.
    pub bytes_source: BytesSource,
    /// Speed, stall and drift.
    pub playback: PlaybackValues,
    /// Largest TCP connect time, µs.
    pub tcp_connect_max_us: u64,
    /// Lost latency samples, indexed like [`LatencyKind::ALL`].
    pub latency_lost: [u64; 2],
    /// Supervisor state.
    pub state: ViewerState,
    /// Processes started (the first one included).
    pub starts: u64,
    /// Processes ended.
    pub exits: u64,
    /// Lines of stderr.
    pub stderr_lines: LineCounts,
    /// Lines of `-progress`.
    pub progress_lines: LineCounts,
}

impl TickValues {
    /// Downloaded bytes from [`TickValues::bytes_source`] (0 when the source is `None`).
    pub fn bytes(&self) -> u64 {
        self.bytes_source.pick(self.segment_bytes, self.avio_bytes)
    }

    /// Restarts: every start after the first.
    pub fn restarts(&self) -> u64 {
        self.starts.saturating_sub(1)
    }
}

/// The reads a tick makes of a viewer; implemented by [`ViewerStats`](crate::ViewerStats). Bring it into scope
/// (`use hls_swarm_stats::tick::TickSource;`) to call them as methods.
pub trait TickSource {
    /// Adds every counter into `counters` and returns the other scalars a tick needs, as seen at
    /// `now`: the figures [`ViewerStats::snapshot`](crate::ViewerStats::snapshot) reads (each one
    /// atomic load, as there), minus what a tick never uses, and without copying the counters
    /// twice. A reader of many viewers converts `now` once. Any thread, any number at once.
    fn read_into(&self, now: StatsInstant, counters: &mut CounterValues) -> TickValues;

    /// Hands the latency samples (µs) of one figure recorded since the last drain to `f`;
    /// returns how many. One thread at a time per viewer (the aggregator's tick): two concurrent
    /// drains may both hand over the same sample, and debug builds panic when they overlap.
    fn drain_latency(&self, kind: LatencyKind, f: impl FnMut(u64)) -> usize;

    /// Some figure has samples waiting for [`TickSource::drain_latency`]: a cheap check, so that
    /// a reader of many viewers drains only those. Any thread.
    fn latency_pending(&self) -> bool;
}

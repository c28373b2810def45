//! Per-viewer rows for a "worst first" table, read on demand ([`crate::Aggregator::viewer_rows`]).
//!
//! They are not part of a [`crate::Snapshot`]: only the dashboard's per-viewer table and
//! `--per-client-metrics` read them, so a tick does not pay for them (about a fifth of its cost)
//! when nobody looks.

use crate::snapshot::ViewerId;
use hls_swarm_stats::tick::TickValues;
use hls_swarm_stats::{TapCounts, ViewerState};
use std::cmp::Reverse;

/// One viewer, as read at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewerRow {
    /// Which viewer.
    pub id: ViewerId,
    /// Supervisor state.
    pub state: ViewerState,
    /// Last speed, × real time.
    pub speed: Option<f64>,
    /// Stalled now.
    pub stalled: bool,
    /// Current drift, ms.
    pub drift_ms: Option<i64>,
    /// Requests of any kind: the request tap's count when the run has it, else ffmpeg's log's.
    pub requests: u64,
    /// HTTP errors (statuses 400–599), from the same source as `requests`.
    pub http_errors: u64,
    /// Restarts.
    pub restarts: u64,
    /// Downloaded bytes: every response body byte the request tap relayed when the run has it,
    /// else from the viewer's byte source (segment sizes or ffmpeg's statistics).
    pub bytes: u64,
    /// Largest TCP connect time ffmpeg logged, ms; `None` with the request tap on (ffmpeg then
    /// connects to the tap over loopback).
    pub tcp_connect_max_ms: Option<f64>,
    /// Lines dropped on either stream.
    pub lines_dropped: u64,
}

impl ViewerRow {
    /// The row of viewer `id` from what [`hls_swarm_stats::tick::TickSource::read_into`]
    /// returned, and with the request tap what it counted for this viewer.
    pub fn new(id: ViewerId, v: &TickValues, tap: Option<TapCounts>) -> ViewerRow {
        let p = &v.playback;
        ViewerRow {
            id,
            state: v.state,
            speed: p.speed,
            stalled: p.stalled,
            drift_ms: p.drift_ms,
            requests: tap.map_or(v.requests, |t| t.total_requests()),
            http_errors: tap.map_or(v.http_errors, |t| t.http_errors),
            restarts: v.restarts(),
            bytes: tap.map_or(v.bytes(), |t| t.total_bytes()),
            tcp_connect_max_ms: tap.is_none().then(|| v.tcp_connect_max_us as f64 / 1000.0),
            lines_dropped: v.stderr_lines.dropped + v.progress_lines.dropped,
        }
    }

    /// Sort key, smallest = worst: stalled, then slowest (no speed yet sorts after every speed),
    /// then most HTTP errors, then most restarts, then id, so equal rows keep a stable order
    /// between frames.
    fn badness(&self) -> (bool, u64, Reverse<u64>, Reverse<u64>, ViewerId) {
        let speed_milli = self
            .speed
            .map_or(u64::MAX, |s| (s.max(0.0) * 1000.0) as u64);
        (
            !self.stalled,
            speed_milli,
            Reverse(self.http_errors),
            Reverse(self.restarts),
            self.id,
        )
    }
}

/// Rows `skip .. skip + take` of `rows` in worst-first order (see [`ViewerRow`]'s fields: stalled,
/// then slowest, most HTTP errors, most restarts, then id). Selects the first `skip + take` in
/// linear time and sorts only those, so a short page of a long table stays cheap.
pub fn worst_first(rows: &[ViewerRow], skip: usize, take: usize) -> Vec<&ViewerRow> {
    let k = skip.saturating_add(take).min(rows.len());
    if k == 0 || skip >= k {
        return Vec::new();
    }
    let mut refs: Vec<&ViewerRow> = rows.iter().collect();
    if k < refs.len() {
        refs.select_nth_unstable_by_key(k - 1, |r| r.badness());
        refs.truncate(k);
    }
    // The key ends in the unique id: a total order, so an unstable sort is deterministic.
    refs.sort_unstable_by_key(|r| r.badness());
    refs.drain(..skip);
    refs
}

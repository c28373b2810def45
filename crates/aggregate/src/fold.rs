//! Folding viewers into totals: `RunningTotals` (cumulative, kept for removed viewers) and `LiveTotals` (this tick only).

use crate::snapshot::{ExitSummary, Pipeline, Playback, SPEED_BUCKET_BOUNDS, Totals, ViewerId};
use hls_swarm_stats::tick::TickValues;
use hls_swarm_stats::{
    BytesSource, ExitGroup, ExitReason, HttpStatus, LatencyKind, ViewerState, ViewerStats,
};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Hashes a [`ViewerId`] with one multiply: ids are small dense indices chosen by hls-swarm, not
/// by an adversary, so SipHash's DoS resistance buys nothing and costs a tick ~20 ns per lookup.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        // Fibonacci hashing: the high bits (hashbrown's tag) and the low bits both vary.
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by viewer id, hashed with [`IdHasher`].
pub(crate) type IdMap<V> = HashMap<ViewerId, V, BuildHasherDefault<IdHasher>>;
/// A set of viewer ids, hashed with [`IdHasher`].
pub(crate) type IdSet = HashSet<ViewerId, BuildHasherDefault<IdHasher>>;

/// Cumulative totals: every field only grows as viewers are folded in.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunningTotals {
    pub(crate) totals: Totals,
    /// HTTP errors by status, ascending (`Other` last): the few statuses a run sees, so a tick's
    /// copy of the retired totals is small and allocates nothing while there are none.
    http: Vec<(HttpStatus, u64)>,
    pub(crate) started: u64,
    pub(crate) process_starts: u64,
    pub(crate) pipeline: Pipeline,
    pub(crate) drift_max_ms: i64,
}

impl RunningTotals {
    /// Adds one viewer: `stats.read_into(.., &mut self.totals.counters)` already added its
    /// counters and returned `values`. The HTTP-error scan is skipped for viewers that have none.
    #[inline(always)]
    pub(crate) fn fold(&mut self, stats: &ViewerStats, values: &TickValues) {
        let t = &mut self.totals;
        t.avio_bytes += values.avio_bytes;
        t.segment_bytes += values.segment_bytes;
        match values.bytes_source {
            BytesSource::SegmentSizes => t.viewers_bytes_from_segment_sizes += 1,
            BytesSource::AvioStatistics => t.viewers_bytes_from_avio += 1,
            BytesSource::None | BytesSource::Tap => {}
        }
        if values.http_errors > 0 {
            stats.for_each_http_error(|status, n| add_http(&mut self.http, status, n));
        }
        self.started += u64::from(values.starts > 0);
        self.process_starts += values.starts;
        self.pipeline.stderr.add(values.stderr_lines);
        self.pipeline.progress.add(values.progress_lines);
        let dropped = values.stderr_lines.dropped + values.progress_lines.dropped;
        self.pipeline.viewers_with_drops += u64::from(dropped > 0);
        self.drift_max_ms = self.drift_max_ms.max(values.playback.max_drift_ms);
    }

    /// HTTP errors by status, ascending, `Other` last: `previous` itself when unchanged, so
    /// snapshots share one list while no error arrives.
    pub(crate) fn http_errors(
        &self,
        previous: &Arc<[(HttpStatus, u64)]>,
    ) -> Arc<[(HttpStatus, u64)]> {
        if previous[..] == self.http[..] {
            Arc::clone(previous)
        } else {
            self.http.as_slice().into()
        }
    }
}

/// Adds `n` errors of `status` to a list sorted by status (`HttpStatus`'s order puts `Other` last).
fn add_http(list: &mut Vec<(HttpStatus, u64)>, status: HttpStatus, n: u64) {
    match list.binary_search_by_key(&status, |&(s, _)| s) {
        Ok(i) => list[i].1 += n,
        Err(i) => list.insert(i, (status, n)),
    }
}

/// Swarm-wide exits, kept incrementally: a viewer's exit list is read (under its lock) only when
/// its exit count changed since the last tick, and only the difference is added.
#[derive(Debug)]
pub(crate) struct ExitTracker {
    totals: HashMap<(ExitReason, Option<Arc<str>>), u64>,
    seen: IdMap<(u64, Vec<ExitGroup>)>,
    /// The sorted list last built from `totals`, shared by every snapshot until they change.
    published: Arc<[ExitSummary]>,
    /// `totals` changed since `published` was built.
    changed: bool,
}

impl Default for ExitTracker {
    fn default() -> Self {
        ExitTracker {
            totals: HashMap::new(),
            seen: IdMap::default(),
            published: Arc::from([]),
            changed: false,
        }
    }
}

impl ExitTracker {
    /// Brings the totals up to date with viewer `id`, which reports `exit_count` exits.
    pub(crate) fn sync(&mut self, id: ViewerId, stats: &ViewerStats, exit_count: u64) {
        if exit_count == 0 || self.seen.get(&id).is_some_and(|(n, _)| *n == exit_count) {
            return;
        }
        let groups = stats.exits();
        let old = self.seen.get(&id).map_or(&[][..], |(_, g)| &g[..]);
        for (i, group) in groups.iter().enumerate() {
            // Groups are only appended and their counts only grow, so index i is the same group.
            let before = old
                .get(i)
                .filter(|o| o.reason == group.reason && o.last_error == group.last_error)
                .map_or(0, |o| o.count);
            let delta = group.count.saturating_sub(before);
            if delta > 0 {
                let key = (group.reason, group.last_error.clone());
                *self.totals.entry(key).or_default() += delta;
                self.changed = true;
            }
        }
        self.seen.insert(id, (exit_count, groups));
    }

    /// The viewer is gone (its exits stay in the totals); a new viewer may reuse the id.
    pub(crate) fn forget(&mut self, id: ViewerId) {
        self.seen.remove(&id);
    }

    /// Exits, most frequent first (then by reason, for a stable order); rebuilt only when an exit
    /// was added since the last call.
    pub(crate) fn exits(&mut self) -> Arc<[ExitSummary]> {
        if !self.changed {
            return Arc::clone(&self.published);
        }
        let mut out: Vec<ExitSummary> = self
            .totals
            .iter()
            .map(|((reason, last_error), &count)| ExitSummary {
                reason: *reason,
                last_error: last_error.clone(),
                count,
            })
            .collect();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.reason.cmp(&b.reason))
                .then(a.last_error.cmp(&b.last_error))
        });
        self.published = out.into();
        self.changed = false;
        Arc::clone(&self.published)
    }
}

/// What only live viewers contribute, this tick.
#[derive(Debug, Default)]
pub(crate) struct LiveTotals {
    pub(crate) active: u64,
    pub(crate) restarting: u64,
    pub(crate) stopped: u64,
    pub(crate) latency_lost: [u64; 2],
    with_speed: u64,
    speed_sum: f64,
    buckets: [u64; 5],
    below_realtime: u64,
    stalled: u64,
    drift_sum: i64,
    drift_n: u64,
    drift_current_max: Option<i64>,
}

impl LiveTotals {
    #[inline(always)]
    pub(crate) fn add(&mut self, values: &TickValues) {
        for kind in LatencyKind::ALL {
            self.latency_lost[kind as usize] += values.latency_lost[kind as usize];
        }
        let p = &values.playback;
        match values.state {
            ViewerState::Running => {
                self.active += 1;
                if let Some(speed) = p.speed {
                    self.with_speed += 1;
                    self.speed_sum += speed;
                    // The bounds ascend: the bucket is the number of bounds at or below the speed
                    // (branch-free; speeds are finite and positive, see `record_speed`).
                    let bucket = SPEED_BUCKET_BOUNDS
                        .iter()
                        .map(|&bound| usize::from(speed >= bound))
                        .sum::<usize>();
                    self.buckets[bucket] += 1;
                    self.below_realtime += u64::from(speed < 1.0);
                }
                self.stalled += u64::from(p.stalled);
                if let Some(drift) = p.drift_ms {
                    self.drift_sum += drift;
                    self.drift_n += 1;
                    self.drift_current_max =
                        Some(self.drift_current_max.map_or(drift, |m| m.max(drift)));
                }
            }
            ViewerState::Restarting => self.restarting += 1,
            ViewerState::Stopped => self.stopped += 1,
            ViewerState::Idle => {}
        }
    }

    pub(crate) fn playback(&self, drift_max_ms: i64) -> Playback {
        Playback {
            with_speed: self.with_speed,
            speed_mean: if self.with_speed > 0 {
                self.speed_sum / self.with_speed as f64
            } else {
                0.0
            },
            speed_buckets: self.buckets,
            below_realtime: self.below_realtime,
            stalled: self.stalled,
            drift_mean_ms: if self.drift_n > 0 {
                self.drift_sum as f64 / self.drift_n as f64
            } else {
                0.0
            },
            with_drift: self.drift_n,
            drift_current_max_ms: self.drift_current_max.unwrap_or(0),
            drift_max_ms,
            // Filled by the aggregator's run-wide accumulation.
            ..Playback::default()
        }
    }
}

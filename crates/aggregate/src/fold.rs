//! Folding viewers into totals: `Acc` (cumulative, kept for removed viewers) and `LiveAcc` (this tick only).

use crate::snapshot::{
    ExitSummary, Pipeline, Playback, SPEED_BUCKET_BOUNDS, Totals, ViewerId, ViewerRow,
};
use hls_swarm_stats::{
    BytesSource, ClientStats, ExitGroup, ExitReason, HttpStatus, LatencyKind, TickValues,
    ViewerState,
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

/// Slots of [`Acc`]'s HTTP error array: 400..=599, then "other".
const HTTP_SLOTS: usize = 201;

fn http_slot(status: HttpStatus) -> usize {
    match status {
        HttpStatus::Code(code @ 400..=599) => usize::from(code - 400),
        _ => HTTP_SLOTS - 1,
    }
}

/// Cumulative totals: every field only grows as viewers are folded in.
#[derive(Debug, Clone)]
pub(crate) struct Acc {
    pub(crate) totals: Totals,
    http: Vec<u64>,
    pub(crate) started: u64,
    pub(crate) process_starts: u64,
    pub(crate) pipeline: Pipeline,
    pub(crate) drift_max_ms: i64,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            totals: Totals::default(),
            http: vec![0; HTTP_SLOTS],
            started: 0,
            process_starts: 0,
            pipeline: Pipeline::default(),
            drift_max_ms: 0,
        }
    }
}

impl Acc {
    /// Adds one viewer: `stats.read_into(.., &mut self.totals.counters)` already added its
    /// counters and returned `snap`. The HTTP-error scan is skipped for viewers that have none.
    pub(crate) fn fold(&mut self, stats: &ClientStats, snap: &TickValues) {
        let t = &mut self.totals;
        t.avio_bytes += snap.avio_bytes;
        t.segment_bytes += snap.segment_bytes;
        match snap.bytes_source {
            BytesSource::SegmentSizes => t.viewers_bytes_from_segment_sizes += 1,
            BytesSource::AvioStatistics => t.viewers_bytes_from_avio += 1,
            BytesSource::None => {}
        }
        if snap.http_errors > 0 {
            stats.for_each_http_error(|status, n| self.http[http_slot(status)] += n);
        }
        self.started += u64::from(snap.starts > 0);
        self.process_starts += snap.starts;
        self.pipeline.stderr.add(snap.stderr_lines);
        self.pipeline.progress.add(snap.progress_lines);
        let dropped = snap.stderr_lines.dropped + snap.progress_lines.dropped;
        self.pipeline.viewers_with_drops += u64::from(dropped > 0);
        self.drift_max_ms = self.drift_max_ms.max(snap.playback.max_drift_ms);
    }

    /// HTTP errors by status, ascending, `Other` last.
    pub(crate) fn http_errors(&self) -> Vec<(HttpStatus, u64)> {
        let status = |slot: usize| {
            if slot == HTTP_SLOTS - 1 {
                HttpStatus::Other
            } else {
                // `slot < 200`: no truncation.
                HttpStatus::Code(400 + slot as u16)
            }
        };
        (self.http.iter().enumerate())
            .filter(|(_, n)| **n > 0)
            .map(|(slot, &n)| (status(slot), n))
            .collect()
    }
}

/// Swarm-wide exits, kept incrementally: a viewer's exit list is read (under its lock) only when
/// its exit count changed since the last tick, and only the difference is added.
#[derive(Debug, Default)]
pub(crate) struct ExitTracker {
    totals: HashMap<(ExitReason, Option<Arc<str>>), u64>,
    seen: IdMap<(u64, Vec<ExitGroup>)>,
}

impl ExitTracker {
    /// Brings the totals up to date with viewer `id`, which reports `exit_count` exits.
    pub(crate) fn sync(&mut self, id: ViewerId, stats: &ClientStats, exit_count: u64) {
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
            }
        }
        self.seen.insert(id, (exit_count, groups));
    }

    /// The viewer is gone (its exits stay in the totals); a new viewer may reuse the id.
    pub(crate) fn forget(&mut self, id: ViewerId) {
        self.seen.remove(&id);
    }

    /// Exits, most frequent first (then by reason, for a stable order).
    pub(crate) fn exits(&self) -> Vec<ExitSummary> {
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
        out
    }
}

/// What only live viewers contribute, this tick.
#[derive(Debug, Default)]
pub(crate) struct LiveAcc {
    pub(crate) active: u64,
    pub(crate) restarting: u64,
    pub(crate) stopped: u64,
    pub(crate) rows: Vec<ViewerRow>,
    /// Running viewers stalled at this tick.
    pub(crate) stalled_ids: Vec<ViewerId>,
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

impl LiveAcc {
    pub(crate) fn with_capacity(n: usize) -> LiveAcc {
        LiveAcc {
            rows: Vec::with_capacity(n),
            ..LiveAcc::default()
        }
    }

    pub(crate) fn add(&mut self, id: ViewerId, snap: &TickValues) {
        for kind in LatencyKind::ALL {
            self.latency_lost[kind as usize] += snap.latency_lost[kind as usize];
        }
        let p = &snap.playback;
        match snap.state {
            ViewerState::Running => {
                self.active += 1;
                if let Some(speed) = p.speed {
                    self.with_speed += 1;
                    self.speed_sum += speed;
                    let bucket = SPEED_BUCKET_BOUNDS
                        .iter()
                        .position(|&bound| speed < bound)
                        .unwrap_or(SPEED_BUCKET_BOUNDS.len());
                    self.buckets[bucket] += 1;
                    self.below_realtime += u64::from(speed < 1.0);
                }
                if p.stalled {
                    self.stalled += 1;
                    self.stalled_ids.push(id);
                }
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
        self.rows.push(ViewerRow {
            id,
            state: snap.state,
            speed: p.speed,
            stalled: p.stalled,
            drift_ms: p.drift_ms,
            requests: snap.requests,
            http_errors: snap.http_errors,
            restarts: snap.restarts(),
            bytes: snap.bytes(),
            tcp_connect_max_ms: snap.tcp_connect_max_us as f64 / 1000.0,
            lines_dropped: snap.stderr_lines.dropped + snap.progress_lines.dropped,
        });
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
            drift_current_max_ms: self.drift_current_max.unwrap_or(0),
            drift_max_ms,
            // Filled by the aggregator's run-wide accumulation.
            ..Playback::default()
        }
    }
}

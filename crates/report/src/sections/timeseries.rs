//! The run second by second: the summary's `timeseries`, a list of points each covering one
//! interval of the run (one second, or more once a long run has been coarsened), and how points
//! combine, one after another (coarsening) or side by side (the shards of a merge).

use std::collections::BTreeMap;

use hls_swarm_aggregate::LatencyHistogram;
use serde::{Deserialize, Serialize};

use super::origin::OriginFigures;
use super::packed::PackedPairs;
use super::weighted_mean;

/// The most points a series holds: past it, every two neighbouring points are merged into one
/// of twice the resolution (1 s up to 20 minutes of run, 2 s up to 40, 4 s up to 80, …).
pub const SERIES_CAPACITY: usize = 1200;

/// The run's figures over time: `timeseries` in the summary.
///
/// Every point spans `resolution_s` seconds of run time (the last one less, up to the run's
/// end), from `t_s` seconds after the run started. Counts are what happened within the point,
/// so the points' counts add up to the summary's totals; levels (viewers, host, origin) say how
/// they were taken from the point's 500 ms ticks. A series holds at most [`SERIES_CAPACITY`]
/// points: a run that outgrows it has every two neighbouring points merged, the resolution
/// doubles, and `coarsened` counts how often that happened.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimeSeries {
    /// Seconds each point spans: 1, doubled each time the series was coarsened.
    pub resolution_s: u32,
    /// How many times the series was coarsened (every two neighbouring points merged).
    pub coarsened: u32,
    /// The points, oldest first.
    pub points: Vec<SeriesPoint>,
}

impl Default for TimeSeries {
    fn default() -> Self {
        TimeSeries {
            resolution_s: 1,
            coarsened: 0,
            points: Vec::new(),
        }
    }
}

/// Viewers over a point: the target and the ramp's progress at its end, and the most viewers
/// running, restarting and stalled at one tick of it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesViewers {
    /// The run's target, at the point's end.
    pub target: u32,
    /// Viewers the ramp had launched by the point's end.
    pub launched: u32,
    /// The most viewers with a running ffmpeg at one tick.
    pub running: u64,
    /// The most viewers waiting out a backoff before restarting at one tick.
    pub restarting: u64,
    /// The most viewers stalled (below 0.9x, or silent, for more than 5 s) at one tick.
    pub stalled: u64,
}

/// Requests sent within a point, by kind.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesRequests {
    /// Playlists.
    pub manifest: u64,
    /// Media segments.
    pub segment: u64,
    /// Init sections.
    pub init: u64,
    /// Anything else.
    pub other: u64,
}

impl SeriesRequests {
    /// Every request.
    pub fn total(&self) -> u64 {
        self.manifest + self.segment + self.init + self.other
    }

    fn add(&mut self, o: &SeriesRequests) {
        self.manifest += o.manifest;
        self.segment += o.segment;
        self.init += o.init;
        self.other += o.other;
    }
}

/// Playback speed over a point: every (viewer, tick) that reported a speed.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesSpeed {
    /// (viewer, tick) speeds in the point.
    pub samples: u64,
    /// Their mean, × real time; `null` with none.
    pub mean: Option<f64>,
    /// How many of them were <0.5, 0.5–0.9, 0.9–1.0, 1.0–1.5 and ≥1.5× real time.
    pub buckets: [u64; 5],
    /// The mean drift of every (viewer, tick) that reported one, ms (positive: behind the
    /// wall clock); `null` with none.
    pub drift_mean_ms: Option<f64>,
    /// How many (viewer, tick) drifts `drift_mean_ms` is over.
    pub drift_samples: u64,
}

/// The latency samples that arrived within a point, ms, and their histogram: on a grid of
/// buckets at most 6.25 % wide ([`LatencyHistogram::coarse`]), so that a point holds at most
/// 16 buckets for each doubling its samples span; its percentiles read at most 6.25 % high.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesLatency {
    /// Samples.
    pub count: u64,
    /// Median, ms.
    pub p50: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Largest, ms.
    pub max: f64,
    /// Exact sum, µs.
    pub sum_us: u64,
    /// The coarse histogram's non-empty `[value_us, count]` buckets, each value the top of its
    /// bucket (as in `latency_ms`, on a coarser grid), packed (a long run keeps hundreds of
    /// thousands).
    pub histogram: PackedPairs,
}

impl SeriesLatency {
    /// The figure of `hist`, on the coarse grid of [`LatencyHistogram::coarse`] (so that a
    /// point's histogram stays small however many samples it has); `None` with no sample.
    pub(crate) fn of(hist: &LatencyHistogram) -> Option<SeriesLatency> {
        if hist.count() == 0 {
            return None;
        }
        let hist = &hist.coarse();
        let ms = |us: u64| us as f64 / 1000.0;
        let [p50, p95, p99] = hist.quantiles_us();
        Some(SeriesLatency {
            count: hist.count(),
            p50: ms(p50),
            p95: ms(p95),
            p99: ms(p99),
            max: hist.max_us().map_or(0.0, ms),
            sum_us: u64::try_from(hist.sum_us()).unwrap_or(u64::MAX),
            histogram: PackedPairs::from_pairs(hist.pairs()),
        })
    }

    fn to_histogram(&self) -> LatencyHistogram {
        LatencyHistogram::from_pairs(self.histogram.iter(), u128::from(self.sum_us))
    }
}

/// The machine hls-swarm ran on, over a point.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesHost {
    /// Mean CPU busy over the point's samples, cores. In a merge, the sum over the shards.
    pub cpu_cores: Option<f64>,
    /// Mean CPU busy, % of the capacity. In a merge, the busiest shard's.
    pub cpu_percent: Option<f64>,
    /// The most memory used in a sample, bytes. In a merge, the largest shard's.
    pub memory_bytes: Option<u64>,
    /// The most memory used, % of the limit. In a merge, the largest shard's.
    pub memory_percent: Option<f64>,
    /// Seconds of the point the host was saturated. In a merge, the largest shard's.
    pub saturated_s: f64,
}

/// One point of the series.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SeriesPoint {
    /// When the point starts, seconds since the run started.
    pub t_s: f64,
    /// How long it spans, seconds.
    pub span_s: f64,
    /// Viewers.
    pub viewers: SeriesViewers,
    /// Requests sent within the point (per second: divide by `span_s`).
    pub requests: SeriesRequests,
    /// HTTP errors within the point, by status (`other` outside 400–599).
    pub http_errors: BTreeMap<String, u64>,
    /// ffmpeg processes restarted within the point.
    pub restarts: u64,
    /// Bytes of the media segments fetched within the point, from `--segment-sizes-url` (a
    /// segment counts when the next request on its connection starts without an error, or at
    /// the stop); `null` without it (AVIO statistics come only when a viewer stops: they cannot
    /// say when).
    pub bytes: Option<u64>,
    /// Playback speed and drift.
    pub playback: SeriesSpeed,
    /// Latency of the samples that arrived within the point, by figure (`null`: none came).
    pub latency_ms: BTreeMap<String, Option<SeriesLatency>>,
    /// The host, when it was sampled.
    pub host: Option<SeriesHost>,
    /// The origin's exporter figures, the latest reading by the point's end, when scraped.
    pub origin: Option<OriginFigures>,
}

/// How two points combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Combine {
    /// One after the other (coarsening): levels are the later one's or the peak, means are
    /// weighted by time.
    InTime,
    /// Side by side, at the same time on different shards (a merge): levels add.
    Shards,
}

impl SeriesPoint {
    /// When it ends, seconds since the run started.
    pub fn end_s(&self) -> f64 {
        self.t_s + self.span_s
    }

    /// HTTP errors of any status within the point.
    pub fn http_error_count(&self) -> u64 {
        self.http_errors.values().sum()
    }

    /// Adds `o` to this point: counts and histograms add, means are weighted by what they are
    /// over, and the levels combine as `how` says.
    pub(crate) fn absorb(&mut self, o: &SeriesPoint, how: Combine) {
        let (start, end) = (self.t_s.min(o.t_s), self.end_s().max(o.end_s()));
        let (w_self, w_o) = (self.span_s, o.span_s);
        self.viewers = match how {
            Combine::InTime => {
                let (a, b) = (&self.viewers, &o.viewers);
                let later = if o.t_s >= self.t_s { b } else { a };
                SeriesViewers {
                    target: later.target,
                    launched: later.launched,
                    running: a.running.max(b.running),
                    restarting: a.restarting.max(b.restarting),
                    stalled: a.stalled.max(b.stalled),
                }
            }
            Combine::Shards => SeriesViewers {
                target: self.viewers.target + o.viewers.target,
                launched: self.viewers.launched + o.viewers.launched,
                running: self.viewers.running + o.viewers.running,
                restarting: self.viewers.restarting + o.viewers.restarting,
                stalled: self.viewers.stalled + o.viewers.stalled,
            },
        };
        self.requests.add(&o.requests);
        for (status, n) in &o.http_errors {
            *self.http_errors.entry(status.clone()).or_default() += n;
        }
        self.restarts += o.restarts;
        self.bytes = match (self.bytes, o.bytes) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.playback = combine_playback(&self.playback, &o.playback);
        for (name, theirs) in &o.latency_ms {
            let ours = self.latency_ms.entry(name.clone()).or_insert(None);
            *ours = combine_latency(ours.as_ref(), theirs.as_ref());
        }
        self.host = match (self.host, o.host) {
            (Some(a), Some(b)) => Some(combine_host(&a, &b, how, (w_self, w_o))),
            (a, b) => a.or(b),
        };
        self.origin = match how {
            Combine::InTime if o.t_s >= self.t_s && o.origin.is_some() => o.origin.clone(),
            _ => self.origin.clone().or_else(|| o.origin.clone()),
        };
        self.t_s = start;
        self.span_s = end - start;
    }
}

fn combine_playback(a: &SeriesSpeed, b: &SeriesSpeed) -> SeriesSpeed {
    let mean = |x: Option<f64>, nx: u64, y: Option<f64>, ny: u64| {
        let n = nx + ny;
        (n > 0).then(|| weighted_mean([(x.unwrap_or(0.0), nx), (y.unwrap_or(0.0), ny)]))
    };
    let mut buckets = a.buckets;
    for (sum, n) in buckets.iter_mut().zip(b.buckets) {
        *sum += n;
    }
    SeriesSpeed {
        samples: a.samples + b.samples,
        mean: mean(a.mean, a.samples, b.mean, b.samples),
        buckets,
        drift_mean_ms: mean(
            a.drift_mean_ms,
            a.drift_samples,
            b.drift_mean_ms,
            b.drift_samples,
        ),
        drift_samples: a.drift_samples + b.drift_samples,
    }
}

fn combine_latency(a: Option<&SeriesLatency>, b: Option<&SeriesLatency>) -> Option<SeriesLatency> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut hist = a.to_histogram();
            hist.add(&b.to_histogram());
            SeriesLatency::of(&hist)
        }
        (a, b) => a.or(b).cloned(),
    }
}

fn combine_host(a: &SeriesHost, b: &SeriesHost, how: Combine, weights: (f64, f64)) -> SeriesHost {
    let max = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let by_time = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) if weights.0 + weights.1 > 0.0 => {
            Some((x * weights.0 + y * weights.1) / (weights.0 + weights.1))
        }
        (x, y) => x.or(y),
    };
    match how {
        Combine::InTime => SeriesHost {
            cpu_cores: by_time(a.cpu_cores, b.cpu_cores),
            cpu_percent: by_time(a.cpu_percent, b.cpu_percent),
            memory_bytes: a.memory_bytes.max(b.memory_bytes),
            memory_percent: max(a.memory_percent, b.memory_percent),
            saturated_s: a.saturated_s + b.saturated_s,
        },
        Combine::Shards => SeriesHost {
            cpu_cores: match (a.cpu_cores, b.cpu_cores) {
                (Some(x), Some(y)) => Some(x + y),
                (x, y) => x.or(y),
            },
            cpu_percent: max(a.cpu_percent, b.cpu_percent),
            memory_bytes: a.memory_bytes.max(b.memory_bytes),
            memory_percent: max(a.memory_percent, b.memory_percent),
            saturated_s: a.saturated_s.max(b.saturated_s),
        },
    }
}

impl TimeSeries {
    /// Adds a point at the end: into the last point when both fall in the same interval of
    /// the series' resolution, else as a new one; then coarsens while the series is over
    /// [`SERIES_CAPACITY`].
    pub(crate) fn push(&mut self, point: SeriesPoint) {
        let res = f64::from(self.resolution_s);
        let bin = |p: &SeriesPoint| (p.t_s / res + 1e-9).floor();
        match self.points.last_mut() {
            Some(last) if bin(last) == bin(&point) => last.absorb(&point, Combine::InTime),
            _ => self.points.push(point),
        }
        while self.points.len() > SERIES_CAPACITY {
            self.coarsen();
        }
    }

    /// Folds a last point shorter than half the resolution into the one before it.
    pub(crate) fn fold_short_tail(&mut self) {
        let half = f64::from(self.resolution_s) / 2.0;
        if self.points.len() >= 2 && self.points.last().is_some_and(|p| p.span_s < half) {
            let last = self.points.pop().expect("two points");
            let before = self.points.last_mut().expect("one point");
            before.absorb(&last, Combine::InTime);
        }
    }

    /// Doubles the resolution: every two neighbouring points of the new grid become one.
    pub(crate) fn coarsen(&mut self) {
        self.resolution_s *= 2;
        self.coarsened += 1;
        // The new series in a vector as large as the old one: a recorder's, reserved whole at
        // the start, is never reallocated.
        let capacity = self.points.capacity();
        let points = std::mem::replace(&mut self.points, Vec::with_capacity(capacity));
        for p in points {
            self.push(p);
        }
    }

    /// The series of several shards of one run, on one grid: `offsets_s` says how many seconds
    /// after the merged run's start each shard started. Each shard's point goes into the
    /// interval of the merged grid (the coarsest shard's resolution) in which it starts; the
    /// shards' points of one interval combine side by side ([`Combine::Shards`]).
    pub(crate) fn merge(parts: &[(&TimeSeries, f64)]) -> TimeSeries {
        let resolution_s = parts.iter().map(|(s, _)| s.resolution_s).max().unwrap_or(1);
        let res = f64::from(resolution_s);
        let mut bins: BTreeMap<u64, SeriesPoint> = BTreeMap::new();
        for (series, offset) in parts {
            let mut own: BTreeMap<u64, SeriesPoint> = BTreeMap::new();
            for p in &series.points {
                let mut p = p.clone();
                p.t_s += offset;
                let bin = (p.t_s / res + 1e-9).floor().max(0.0) as u64;
                match own.get_mut(&bin) {
                    Some(q) => q.absorb(&p, Combine::InTime),
                    None => {
                        own.insert(bin, p);
                    }
                }
            }
            for (bin, mut p) in own {
                // On the merged grid: the interval it falls in, up to its end at most.
                let start = bin as f64 * res;
                p.span_s = (p.end_s() - start).clamp(0.0, res);
                p.t_s = start;
                match bins.get_mut(&bin) {
                    Some(q) => q.absorb(&p, Combine::Shards),
                    None => {
                        bins.insert(bin, p);
                    }
                }
            }
        }
        let mut merged = TimeSeries {
            resolution_s,
            coarsened: parts.iter().map(|(s, _)| s.coarsened).max().unwrap_or(0),
            points: Vec::new(),
        };
        for p in bins.into_values() {
            merged.push(p);
        }
        merged
    }
}

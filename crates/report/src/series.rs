//! Recording the time series while a run goes: every tick's snapshot is observed, and each
//! second (each interval of the series' resolution) closes one point with what changed since
//! the last one.

use std::collections::BTreeMap;

use hls_swarm_aggregate::{Aggregator, LatencyHistogram, Snapshot};
use hls_swarm_stats::{Counter, CounterValues, LatencyKind, TapTiming};

use crate::sections::origin::OriginFigures;
use crate::sections::requests::http_errors;
use crate::sections::tap::http_errors as tap_http_errors;
use crate::sections::timeseries::{
    SeriesHost, SeriesLatency, SeriesPoint, SeriesRequests, SeriesSpeed, SeriesViewers, TimeSeries,
};

/// Records a run's [`TimeSeries`]: call [`SeriesRecorder::observe`] after every tick and
/// [`SeriesRecorder::finish`] with the final snapshot. Its memory is bounded: the series keeps
/// at most [`crate::SERIES_CAPACITY`] points, coarsening as a long run goes on.
///
/// ```
/// use hls_swarm_aggregate::Aggregator;
/// use hls_swarm_report::SeriesRecorder;
/// use hls_swarm_stats::Counter;
/// use std::time::{Duration, Instant};
///
/// let t0 = Instant::now();
/// let swarm = Aggregator::new("http://origin/master.m3u8", 1, t0);
/// let viewer = swarm.register(0);
/// let mut recorder = SeriesRecorder::new();
/// for tick in 1..=5u64 {
///     viewer.add(Counter::SegmentRequests, tick);
///     let s = swarm.tick(t0 + Duration::from_millis(500 * tick));
///     recorder.observe(&s, &swarm, None);
/// }
/// let series = recorder.finish(&swarm.tick(t0 + Duration::from_millis(2600)), &swarm, None);
/// let per_point: Vec<u64> = series.points.iter().map(|p| p.requests.segment).collect();
/// assert_eq!(per_point, [1 + 2, 3 + 4, 5]);
/// assert_eq!(series.points[2].t_s, 2.0);
/// assert!((series.points[2].span_s - 0.6).abs() < 1e-9, "the last point ends with the run");
/// ```
#[derive(Debug)]
pub struct SeriesRecorder {
    series: TimeSeries,
    open: OpenPoint,
    base: Base,
}

/// The levels of the point being recorded, tick by tick.
#[derive(Debug, Default)]
struct OpenPoint {
    start_s: f64,
    viewers: SeriesViewers,
    speed_sum: f64,
    speed_samples: u64,
    buckets: [u64; 5],
    drift_sum: f64,
    drift_samples: u64,
    cpu_cores: Mean,
    cpu_percent: Mean,
    memory_bytes: Option<u64>,
    memory_percent: Option<f64>,
    host_seen: bool,
    origin: Option<OriginFigures>,
}

/// A mean of the samples that had a value.
#[derive(Debug, Default, Clone, Copy)]
struct Mean {
    sum: f64,
    n: u32,
}

impl Mean {
    fn add(&mut self, v: Option<f64>) {
        if let Some(v) = v {
            self.sum += v;
            self.n += 1;
        }
    }

    fn get(self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / f64::from(self.n))
    }
}

/// The running totals as of the last point closed.
#[derive(Debug, Default)]
struct Base {
    counters: CounterValues,
    /// The request tap's requests by kind and body bytes, with the tap.
    tap_requests: [u64; 4],
    tap_bytes: u64,
    http_errors: BTreeMap<String, u64>,
    segment_bytes: u64,
    restarts: u64,
    saturated_s: f64,
    latency: BTreeMap<&'static str, LatencyHistogram>,
}

impl Default for SeriesRecorder {
    fn default() -> Self {
        SeriesRecorder::new()
    }
}

impl SeriesRecorder {
    /// An empty series, its first point starting at the run's start.
    pub fn new() -> SeriesRecorder {
        let mut series = TimeSeries::default();
        // Reserved whole (untouched pages cost no memory until used), so that the series grows
        // without a copy of itself each time it doubles.
        series.points.reserve_exact(crate::SERIES_CAPACITY + 1);
        SeriesRecorder {
            series,
            open: OpenPoint::default(),
            base: Base::default(),
        }
    }

    /// The points closed so far (the one being recorded is not among them).
    pub fn series(&self) -> &TimeSeries {
        &self.series
    }

    /// Observes a tick's snapshot; closes the point being recorded once the snapshot is at or
    /// past its end. `origin` is the origin's latest exporter reading, when it is scraped.
    pub fn observe(&mut self, s: &Snapshot, swarm: &Aggregator, origin: Option<OriginFigures>) {
        self.add_tick(s, origin);
        let res = f64::from(self.series.resolution_s);
        let now = s.elapsed.as_secs_f64();
        if now >= self.open.start_s + res {
            // A late tick may skip intervals: the point then spans up to the last boundary.
            let end = (now / res).floor() * res;
            self.close(s, swarm, end, false);
        }
    }

    /// The whole series: the final snapshot closes the last point, at the run's end (a last
    /// point shorter than half the resolution joins the one before it, so that what the stop
    /// flushes is not a rate over a sliver of a second). Bytes are kept only when the run's byte
    /// figure came from segment sizes.
    pub fn finish(
        mut self,
        s: &Snapshot,
        swarm: &Aggregator,
        origin: Option<OriginFigures>,
    ) -> TimeSeries {
        self.add_tick(s, origin);
        let end = s.elapsed.as_secs_f64().max(self.open.start_s);
        self.close(s, swarm, end, true);
        self.series.fold_short_tail();
        if s.totals.viewers_bytes_from_segment_sizes == 0 && s.tap.is_none() {
            for p in &mut self.series.points {
                p.bytes = None;
            }
        }
        self.series
    }

    /// Adds one tick's levels to the open point.
    fn add_tick(&mut self, s: &Snapshot, origin: Option<OriginFigures>) {
        let o = &mut self.open;
        let v = &s.viewers;
        o.viewers = SeriesViewers {
            target: v.target,
            launched: u32::try_from(u64::from(v.ramp_launched).max(v.started)).unwrap_or(u32::MAX),
            running: o.viewers.running.max(v.active),
            restarting: o.viewers.restarting.max(v.restarting),
            stalled: o.viewers.stalled.max(s.playback.stalled),
        };
        let p = &s.playback;
        o.speed_sum += p.speed_mean * p.with_speed as f64;
        o.speed_samples += p.with_speed;
        for (sum, n) in o.buckets.iter_mut().zip(p.speed_buckets) {
            *sum += n;
        }
        o.drift_sum += p.drift_mean_ms * p.with_drift as f64;
        o.drift_samples += p.with_drift;
        if let Some(h) = &s.host {
            o.host_seen = true;
            o.cpu_cores.add(h.sample.cpu_busy_cores);
            o.cpu_percent
                .add(h.sample.cpu_busy_share().map(|x| x * 100.0));
            o.memory_bytes = o.memory_bytes.max(h.sample.memory_used_bytes);
            if let Some(pct) = h.sample.memory_used_share().map(|x| x * 100.0) {
                o.memory_percent = Some(o.memory_percent.map_or(pct, |m| m.max(pct)));
            }
        }
        if origin.is_some() {
            o.origin = origin;
        }
    }

    /// Closes the open point at `end_s` (what changed since the last point) and opens the next;
    /// `last` at the run's end, when every latency sample is read whatever the snapshot says.
    fn close(&mut self, s: &Snapshot, swarm: &Aggregator, end_s: f64, last: bool) {
        let open = std::mem::take(&mut self.open);
        let base = &mut self.base;
        let c = &s.totals.counters;
        let d = c.delta(&base.counters);
        base.counters = *c;
        // With the request tap, requests, errors and bytes are the tap's, as in the summary.
        let requests = match &s.tap {
            Some(tap) => {
                let now = tap.counts.requests;
                let point: [u64; 4] =
                    std::array::from_fn(|i| now[i].saturating_sub(base.tap_requests[i]));
                base.tap_requests = now;
                SeriesRequests {
                    manifest: point[0],
                    segment: point[1],
                    init: point[2],
                    other: point[3],
                }
            }
            None => SeriesRequests {
                manifest: d.get(Counter::ManifestRequests),
                segment: d.get(Counter::SegmentRequests),
                init: d.get(Counter::InitRequests),
                other: d.get(Counter::OtherRequests),
            },
        };
        let errors_now = match &s.tap {
            Some(tap) => tap_http_errors(tap),
            None => http_errors(s),
        };
        let errors: BTreeMap<String, u64> = (errors_now.iter())
            .map(|(k, n)| (k.clone(), n - base.http_errors.get(k).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        base.http_errors = errors_now;
        let bytes = match &s.tap {
            Some(tap) => {
                let now = tap.counts.total_bytes();
                let bytes = now.saturating_sub(base.tap_bytes);
                base.tap_bytes = now;
                bytes
            }
            None => s.totals.segment_bytes.saturating_sub(base.segment_bytes),
        };
        base.segment_bytes = s.totals.segment_bytes;
        let restarts = s.viewers.restarts.saturating_sub(base.restarts);
        base.restarts = s.viewers.restarts;
        let mut latency_ms: BTreeMap<String, Option<SeriesLatency>> = (LatencyKind::ALL.iter())
            .filter_map(|&k| {
                let count = s.log_latency(k)?.count;
                let since =
                    latency_since(base, k.name(), count, last, || swarm.latency_histogram(k));
                Some((k.name().to_owned(), since))
            })
            .collect();
        if let Some(tap) = &s.tap {
            for timing in TapTiming::ALL {
                let count = tap.timing(timing).count;
                let since = latency_since(base, timing.name(), count, last, || {
                    swarm.tap_histogram(timing)
                });
                latency_ms.insert(timing.name().to_owned(), since);
            }
        }
        let host = open.host_seen.then(|| {
            let saturated = s.host.map_or(0.0, |h| h.saturated_s);
            let point = SeriesHost {
                cpu_cores: open.cpu_cores.get(),
                cpu_percent: open.cpu_percent.get(),
                memory_bytes: open.memory_bytes,
                memory_percent: open.memory_percent,
                saturated_s: (saturated - base.saturated_s).max(0.0),
            };
            base.saturated_s = saturated;
            point
        });
        let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64);
        self.series.push(SeriesPoint {
            t_s: open.start_s,
            span_s: end_s - open.start_s,
            viewers: open.viewers,
            requests,
            http_errors: errors,
            restarts,
            bytes: Some(bytes),
            playback: SeriesSpeed {
                samples: open.speed_samples,
                mean: mean(open.speed_sum, open.speed_samples),
                buckets: open.buckets,
                drift_mean_ms: mean(open.drift_sum, open.drift_samples),
                drift_samples: open.drift_samples,
            },
            latency_ms,
            host,
            origin: open.origin.clone(),
        });
        // The next point starts where this one ended, its levels from the next tick on; the
        // origin's reading carries on until a newer one comes.
        self.open.start_s = end_s;
        self.open.origin = open.origin;
    }
}

/// The samples of the figure `name` that arrived since the last point (`count`: the
/// snapshot's count of them); reads (copies) the aggregator's histogram, with `histogram`, only
/// when the count says new samples came, or when `last`.
fn latency_since(
    base: &mut Base,
    name: &'static str,
    count: u64,
    last: bool,
    histogram: impl FnOnce() -> Option<LatencyHistogram>,
) -> Option<SeriesLatency> {
    let before = base.latency.entry(name).or_default();
    if !last && count == before.count() {
        return None;
    }
    let now = histogram()?;
    let between = now.since(before);
    *before = now;
    SeriesLatency::of(&between)
}

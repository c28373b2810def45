//! The immutable `Snapshot` a tick publishes, and the plain types it is made of.

use crate::host::HostFigures;
use hls_swarm_stats::{
    BytesSource, Counter, CounterValues, ExitReason, HttpStatus, LatencyKind, LineCounts,
    TapCounts, TapTiming, VariantValues,
};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Which viewer: the supervisor's index, 0-based.
pub type ViewerId = u32;

/// Run-level facts the caller (the binary) tells the aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The stream URL under test.
    pub url: String,
    /// How many viewers the run aims for.
    pub target_viewers: u32,
    /// Viewers the ramp has launched so far.
    pub ramp_launched: u32,
    /// When the run started (monotonic).
    pub started: Instant,
    /// When the run started (wall clock), for reports.
    pub started_at: SystemTime,
}

/// Swarm-wide totals since the run started, removed viewers included.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Every event counter summed over viewers.
    pub counters: CounterValues,
    /// Bytes from `AVIOContext … Statistics` lines.
    pub avio_bytes: u64,
    /// Bytes from the segment-size lookup.
    pub segment_bytes: u64,
    /// Viewers whose byte figure came from segment sizes.
    pub viewers_bytes_from_segment_sizes: u64,
    /// Viewers whose byte figure came from AVIO statistics.
    pub viewers_bytes_from_avio: u64,
}

impl Totals {
    /// The byte total and its honest source: segment sizes if any viewer had them, else AVIO
    /// statistics if any viewer reported them, else `None` (unknown, not zero).
    pub fn bytes(&self) -> (u64, BytesSource) {
        if self.viewers_bytes_from_segment_sizes > 0 {
            (self.segment_bytes, BytesSource::SegmentSizes)
        } else if self.viewers_bytes_from_avio > 0 {
            (self.avio_bytes, BytesSource::AvioStatistics)
        } else {
            (0, BytesSource::None)
        }
    }
}

/// Per-second rates over the real time between this snapshot and the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rates {
    /// Seconds the rates are measured over.
    pub interval_s: f64,
    /// Playlist requests per second.
    pub manifest_per_s: f64,
    /// Segment requests per second.
    pub segment_per_s: f64,
    /// Init-section requests per second.
    pub init_per_s: f64,
    /// Other requests per second.
    pub other_per_s: f64,
    /// All requests per second.
    pub requests_per_s: f64,
    /// Bytes per second (from [`Totals::bytes`]'s source).
    pub bytes_per_s: f64,
    /// HTTP errors per second.
    pub http_errors_per_s: f64,
}

/// How many viewers are where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewerCounts {
    /// The run's target.
    pub target: u32,
    /// Viewers currently registered.
    pub registered: u64,
    /// Viewers with a running ffmpeg.
    pub active: u64,
    /// Viewers waiting out a backoff before restarting.
    pub restarting: u64,
    /// Viewers finished for good.
    pub stopped: u64,
    /// The most viewers active at once at any tick so far.
    pub peak_active: u64,
    /// Viewers that started at least one process (removed ones included).
    pub started: u64,
    /// ffmpeg processes started (first starts and restarts).
    pub process_starts: u64,
    /// Restarts: process starts after each viewer's first.
    pub restarts: u64,
    /// The ramp's progress: viewers launched so far.
    pub ramp_launched: u32,
}

/// One kind of process exit across the swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitSummary {
    /// Why the processes ended.
    pub reason: ExitReason,
    /// The last error-level line those processes logged, if any.
    pub last_error: Option<Arc<str>>,
    /// How many exits.
    pub count: u64,
}

/// Speed buckets of [`Playback::speed_buckets`], upper bounds exclusive (× real time).
pub const SPEED_BUCKET_BOUNDS: [f64; 4] = [0.5, 0.9, 1.0, 1.5];

/// Playback health over running viewers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Playback {
    /// Running viewers that reported a speed.
    pub with_speed: u64,
    /// Mean speed over those, × real time.
    pub speed_mean: f64,
    /// Counts per speed range: <0.5, 0.5–0.9, 0.9–1.0, 1.0–1.5, ≥1.5 (× real time).
    pub speed_buckets: [u64; 5],
    /// Running viewers below 1.0×.
    pub below_realtime: u64,
    /// Running viewers below 0.9× (or silent) for more than 5 s.
    pub stalled: u64,
    /// Mean current drift over running viewers that reported one, ms.
    pub drift_mean_ms: f64,
    /// Running viewers that reported a drift: what [`Playback::drift_mean_ms`] is over.
    pub with_drift: u64,
    /// Largest current drift among running viewers, ms.
    pub drift_current_max_ms: i64,
    /// Largest drift any viewer ever had, ms.
    pub drift_max_ms: i64,
    /// Over the whole run so far: the mean speed of every (viewer, tick) that reported one.
    pub run_speed_mean: f64,
    /// Over the whole run so far: how many (viewer, tick) speeds [`Playback::run_speed_mean`]
    /// is over.
    pub run_speed_samples: u64,
    /// Over the whole run so far: viewers that were stalled at one tick or more.
    pub ever_stalled: u64,
    /// Over the whole run so far: the most viewers below 1.0× at one tick.
    pub peak_below_realtime: u64,
}

/// Which latency figure: one taken from ffmpeg's log, or one the request tap timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FigureKind {
    /// From ffmpeg's log.
    Log(LatencyKind),
    /// From the request tap.
    Tap(TapTiming),
}

impl FigureKind {
    /// The snake_case name, a key of the summary's `latency_ms`.
    pub fn name(self) -> &'static str {
        match self {
            FigureKind::Log(kind) => kind.name(),
            FigureKind::Tap(timing) => timing.name(),
        }
    }

    /// One line saying what the figure measures.
    pub fn meaning(self) -> &'static str {
        match self {
            FigureKind::Log(kind) => kind.meaning(),
            FigureKind::Tap(timing) => timing.meaning(),
        }
    }
}

/// One merged latency figure.
#[derive(Debug, Clone)]
pub struct LatencySummary {
    /// Which figure.
    pub kind: FigureKind,
    /// Samples merged.
    pub count: u64,
    /// Percentiles and maximum, ms (0 with no samples), at the merged hdrhistogram's ~1 %
    /// resolution.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Largest sample, ms.
    pub max_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// Samples lost because a viewer's ring was full between ticks.
    pub lost: u64,
    /// Cumulative counts of samples at or below each of [`LATENCY_BUCKET_BOUNDS_US`], as a
    /// Prometheus histogram wants them (exact, counted as the samples arrived).
    pub buckets: [u64; LATENCY_BUCKET_BOUNDS_US.len()],
    /// Exact sum of every sample, µs.
    pub sum_us: u128,
}

/// Upper bounds (µs) of [`LatencySummary::buckets`]: 1 ms to 30 s, fit for HTTP on a LAN up to
/// a struggling origin across the world.
pub const LATENCY_BUCKET_BOUNDS_US: [u64; 14] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000, 30_000_000,
];

/// The latency figures.
#[derive(Debug, Clone)]
pub struct Latencies {
    /// See [`LatencyKind::TcpConnect`].
    pub tcp_connect: Arc<LatencySummary>,
    /// See [`LatencyKind::PlaylistFetch`].
    pub playlist_fetch: Arc<LatencySummary>,
}

impl Latencies {
    /// One figure.
    pub fn get(&self, kind: LatencyKind) -> &Arc<LatencySummary> {
        match kind {
            LatencyKind::TcpConnect => &self.tcp_connect,
            LatencyKind::PlaylistFetch => &self.playlist_fetch,
        }
    }
}

/// One variant's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRow {
    /// Media playlist path.
    pub path: Arc<str>,
    /// Its counters.
    pub values: VariantValues,
}

/// Lines read and dropped by the line readers, swarm-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pipeline {
    /// stderr lines.
    pub stderr: LineCounts,
    /// `-progress` lines.
    pub progress: LineCounts,
    /// Viewers that dropped at least one line.
    pub viewers_with_drops: u64,
}

impl Pipeline {
    /// Lines read on both streams.
    pub fn lines_read(&self) -> u64 {
        self.stderr.read + self.progress.read
    }

    /// Lines dropped on both streams.
    pub fn lines_dropped(&self) -> u64 {
        self.stderr.dropped + self.progress.dropped
    }
}

impl Snapshot {
    /// What ffmpeg's log says of `counter`; `None` for ffmpeg's TCP counters
    /// ([`Counter::is_ffmpeg_tcp`]) when the run has the request tap, whose upstream figures
    /// replace them (ffmpeg's connects then go to the tap over loopback).
    pub fn log_counter(&self, counter: Counter) -> Option<u64> {
        (self.tap.is_none() || !counter.is_ffmpeg_tcp()).then(|| self.totals.counters.get(counter))
    }

    /// ffmpeg's log's latency figure `kind`; `None` when the run has the request tap: ffmpeg's
    /// connects then go to the tap over loopback, and its lines are read in batches (timed
    /// within about 50 ms), so neither figure would measure the origin. The tap's timings
    /// (`upstream_connect`, `playlist_ttfb`, `playlist_download`) replace them.
    pub fn log_latency(&self, kind: LatencyKind) -> Option<&Arc<LatencySummary>> {
        self.tap.is_none().then(|| self.latency.get(kind))
    }

    /// The byte total and its source: the request tap's relayed body bytes when the run has
    /// the tap, else [`Totals::bytes`].
    pub fn bytes(&self) -> (u64, BytesSource) {
        match &self.tap {
            Some(tap) => (tap.counts.total_bytes(), BytesSource::Tap),
            None => self.totals.bytes(),
        }
    }
}

/// Everything the dashboard, the exporter and the summary read, built by one tick, immutable.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Tick number, 0 for the empty snapshot published at creation.
    pub seq: u64,
    /// When it was taken.
    pub taken: Instant,
    /// Time since the run started.
    pub elapsed: Duration,
    /// Run-level facts.
    pub run: Arc<RunInfo>,
    /// Totals since the start.
    pub totals: Totals,
    /// Rates since the previous snapshot.
    pub rates: Rates,
    /// HTTP errors by status, ascending, `Other` last (shared between snapshots while unchanged).
    pub http_errors: Arc<[(HttpStatus, u64)]>,
    /// Viewer counts.
    pub viewers: ViewerCounts,
    /// Process exits by reason and last error line, most frequent first (shared between
    /// snapshots while unchanged).
    pub exits: Arc<[ExitSummary]>,
    /// Playback health.
    pub playback: Playback,
    /// Merged latency figures of ffmpeg's log, recorded with or without the request tap; read
    /// them through [`Snapshot::log_latency`], which leaves them out when they measure the tap.
    pub latency: Latencies,
    /// Per-variant totals, by path.
    pub variants: Vec<VariantRow>,
    /// Line transport.
    pub pipeline: Pipeline,
    /// The machine hls-swarm runs on, once it has been sampled ([`crate::Aggregator::record_host`]).
    pub host: Option<HostFigures>,
    /// What the request tap measured, when the run has one ([`crate::Aggregator::attach_tap`]).
    pub tap: Option<Arc<TapFigures>>,
}

/// What the tap measured, as of one tick.
#[derive(Debug, Clone)]
pub struct TapFigures {
    /// Requests, bytes, errors, truncated bodies and late segments, swarm-wide.
    pub counts: TapCounts,
    /// Requests by status code, ascending (0: a code outside 100–599).
    pub statuses: Arc<[(u16, u64)]>,
    /// Requests that reused an upstream connection.
    pub reused: u64,
    /// Upstream connections that could not be opened.
    pub connect_failures: u64,
    /// Requests the origin closed before a response head.
    pub no_response: u64,
    /// Requests a second since the previous tick.
    pub requests_per_s: f64,
    /// Response body bytes a second since the previous tick.
    pub bytes_per_s: f64,
    /// The timings, indexed like [`TapTiming::ALL`].
    pub timings: [Arc<LatencySummary>; 5],
}

impl TapFigures {
    /// One timing.
    pub fn timing(&self, timing: TapTiming) -> &Arc<LatencySummary> {
        &self.timings[timing as usize]
    }

    /// Late segments over segments downloaded whole with a known duration; `None` before the
    /// first such segment.
    pub fn late_share(&self) -> Option<f64> {
        let c = &self.counts;
        (c.segments_timed > 0).then(|| c.late_segments as f64 / c.segments_timed as f64)
    }
}

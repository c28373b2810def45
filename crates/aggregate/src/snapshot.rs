//! The immutable `Snapshot` a tick publishes, and the plain types it is made of.

use hdrhistogram::Histogram;
use hls_swarm_stats::{
    BytesSource, CounterValues, ExitReason, HttpStatus, LatencyKind, LineCounts, VariantValues,
    ViewerState,
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
    /// Running viewers below 0.9× for more than 5 s.
    pub stalled: u64,
    /// Mean current drift over running viewers that reported one, ms.
    pub drift_mean_ms: f64,
    /// Largest current drift among running viewers, ms.
    pub drift_current_max_ms: i64,
    /// Largest drift any viewer ever had, ms.
    pub drift_max_ms: i64,
    /// Over the whole run so far: the mean speed of every (viewer, tick) that reported one.
    pub run_speed_mean: f64,
    /// Over the whole run so far: viewers that were stalled at one tick or more.
    pub ever_stalled: u64,
    /// Over the whole run so far: the most viewers below 1.0× at one tick.
    pub peak_below_realtime: u64,
}

/// One merged latency figure.
#[derive(Debug, Clone)]
pub struct LatencySummary {
    /// Which figure.
    pub kind: LatencyKind,
    /// Samples merged.
    pub count: u64,
    /// Percentiles and maximum, ms (0 with no samples).
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
    /// The merged histogram of every sample so far, in µs (1 µs – 1 h, 2 significant digits).
    pub histogram: Arc<Histogram<u64>>,
}

impl LatencySummary {
    /// Cumulative counts of samples ≤ each bound (ms, at the histogram's ~1 % resolution), as a
    /// Prometheus histogram wants them.
    pub fn cumulative_buckets(&self, bounds_ms: &[f64]) -> Vec<u64> {
        bounds_ms
            .iter()
            .map(|&b| {
                let us = (b * 1000.0).max(0.0) as u64;
                // Counts whole hdr buckets: a sample within ~1 % above the bound may be included.
                self.histogram.count_between(0, us)
            })
            .collect()
    }
}

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

/// One viewer, for a "worst first" table.
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
    /// Requests of any kind.
    pub requests: u64,
    /// HTTP errors.
    pub http_errors: u64,
    /// Restarts.
    pub restarts: u64,
    /// Downloaded bytes (see the viewer's source).
    pub bytes: u64,
    /// Largest TCP connect time, ms.
    pub tcp_connect_max_ms: f64,
    /// Lines dropped on either stream.
    pub lines_dropped: u64,
}

impl ViewerRow {
    /// Sort key, smallest = worst: stalled, then slowest, then most errors, then most restarts.
    fn badness(&self) -> (bool, u64, std::cmp::Reverse<u64>, std::cmp::Reverse<u64>) {
        let speed_milli = self
            .speed
            .map_or(u64::MAX, |s| (s.max(0.0) * 1000.0) as u64);
        (
            !self.stalled,
            speed_milli,
            std::cmp::Reverse(self.http_errors),
            std::cmp::Reverse(self.restarts),
        )
    }
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
    /// HTTP errors by status, ascending, `Other` last.
    pub http_errors: Vec<(HttpStatus, u64)>,
    /// Viewer counts.
    pub viewers: ViewerCounts,
    /// Process exits by reason and last error line, most frequent first.
    pub exits: Vec<ExitSummary>,
    /// Playback health.
    pub playback: Playback,
    /// Merged latency figures.
    pub latency: Latencies,
    /// Per-variant totals, by path.
    pub variants: Vec<VariantRow>,
    /// Per-viewer rows, in map order (see [`Snapshot::worst_viewers`]).
    pub viewer_rows: Vec<ViewerRow>,
    /// Line transport.
    pub pipeline: Pipeline,
}

impl Snapshot {
    /// The `n` worst viewers: stalled first, then slowest, most HTTP errors, most restarts.
    pub fn worst_viewers(&self, n: usize) -> Vec<ViewerRow> {
        let mut rows = self.viewer_rows.clone();
        let n = n.min(rows.len());
        if n == 0 {
            return Vec::new();
        }
        rows.select_nth_unstable_by_key(n - 1, ViewerRow::badness);
        rows.truncate(n);
        rows.sort_by_key(ViewerRow::badness);
        rows
    }
}

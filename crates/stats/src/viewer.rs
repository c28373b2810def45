//! `ViewerStats`: one viewer's statistics, atomics written by its tasks and read from any thread.

use crate::bytes::{ByteCells, BytesSource, SegmentSizeRing};
use crate::clock::StatsInstant;
use crate::counters::{Counter, CounterCells, CounterValues, LineCells, LineCounts, Stream};
use crate::http_errors::{HttpErrorCells, HttpStatus};
use crate::latency::{LatencyKind, LatencyTotals, SampleRing};
use crate::playback::{PlaybackCells, PlaybackValues};
use crate::process::{ExitGroup, ExitReason, ProcessCells, ViewerState};
use crate::sync::WriterCheck;
use crate::tick_source::{TickSource, TickValues};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One viewer's statistics, shared (`Arc`) between its writers and any number of readers.
///
/// Everything is an atomic; the only locks guard the last error line and the exit list, taken on
/// error-level lines and process exits, never per request. A [`Recorder`](crate::Recorder) turns
/// ffmpeg's parsed output into the event, byte, playback and latency calls below; whoever runs
/// the ffmpeg processes and reads their pipes makes the others.
///
/// # Threads
///
/// The writing methods fall in three groups. In hls-swarm, the *parser* is whichever task holds
/// the run's `Recorder` (its stderr and `-progress` consumers, one at a time behind a mutex), and
/// the *supervisor* is the task that starts and reaps the viewer's processes.
///
/// - **Any number of threads at once**, nothing lost (each is one atomic read-modify-write per
///   cell): [`add`](Self::add), [`record_http_error`](Self::record_http_error) and
///   [`add_avio_bytes`](Self::add_avio_bytes) (the parser),
///   [`add_lines_read`](Self::add_lines_read) and [`add_lines_dropped`](Self::add_lines_dropped)
///   (the line consumers).
/// - **Any thread, the last call wins**: [`set_state`](Self::set_state) (one store),
///   [`set_last_error`](Self::set_last_error) and [`record_exit`](Self::record_exit) (each under
///   a short lock). `record_exit` groups the exit with the last error set before it, so a caller
///   that sets the error itself does so first, on the same thread (the supervisor does both).
/// - **One writer at a time**: [`record_speed`](Self::record_speed),
///   [`record_out_time`](Self::record_out_time), [`record_latency`](Self::record_latency),
///   [`add_segment_bytes`](Self::add_segment_bytes) and [`begin_process`](Self::begin_process).
///   Each call must follow the previous one: from one thread, or handed over through a lock, a
///   channel or a join. The `Recorder` makes the first four from `&mut self` methods, and
///   [`Recorder::new`](crate::Recorder::new) calls `begin_process` (the supervisor, between runs).
///   Two threads inside them at once lose data silently: `record_latency` calls both write the
///   same ring slot, so a sample counted in [`latency_totals`](Self::latency_totals) never reaches
///   the drain; racing `record_speed` calls can apply an older speed last, so the stall clock
///   shows a stall that is over or misses one under way; an `add_segment_bytes` race drops a
///   size from [`mean_segment_size`](Self::mean_segment_size) (the byte total stays exact); a
///   `record_out_time` race can leave an older drift showing; a `begin_process` racing the
///   previous run's writer can carry that run's stall clock, drift or bytes into the new run.
///   Debug builds panic when two of these calls overlap; release builds do not check.
///
/// Every reading method ([`get`](Self::get), [`counters`](Self::counters),
/// [`bytes`](Self::bytes), [`snapshot`](Self::snapshot), [`playback`](Self::playback),
/// [`latency_totals`](Self::latency_totals), [`for_each_http_error`](Self::for_each_http_error),
/// [`exits`](Self::exits), [`last_error`](Self::last_error), [`lines`](Self::lines), …) may run
/// on any thread, any number at once, while the writers write, and never makes a writer wait
/// (`exits` and `last_error` hold their lock only to clone). No figure is ever torn and no
/// counter or byte total ever goes backwards, but figures read together may be a few events
/// apart: a snapshot is not one instant across fields. The one reader with a contract is the
/// latency drain, [`TickSource::drain_latency`](crate::tick::TickSource::drain_latency): one
/// thread at a time per viewer.
///
/// ```
/// use hls_swarm_stats::{Counter, ViewerStats};
/// use std::sync::Arc;
/// use std::thread;
///
/// let stats = Arc::new(ViewerStats::new());
/// // `add` takes any number of writers at once.
/// let writers: Vec<_> = (0..4)
///     .map(|_| {
///         let stats = Arc::clone(&stats);
///         thread::spawn(move || (0..1_000).for_each(|_| stats.add(Counter::SegmentRequests, 1)))
///     })
///     .collect();
/// writers.into_iter().for_each(|w| w.join().unwrap());
/// assert_eq!(stats.get(Counter::SegmentRequests), 4_000);
/// ```
///
/// Layout: everything an aggregator's tick reads
/// ([`TickSource::read_into`](crate::tick::TickSource::read_into)) comes first and is contiguous,
/// seven cache lines from a 64-byte boundary, so a tick over thousands of viewers misses cache on
/// few, adjacent lines (the large arrays — HTTP error counts, sample and size rings — are boxed
/// behind the cold fields). The writers share those
/// lines rather than each having its own: each writes a few hundred times a second at most, where
/// false sharing costs nothing measurable, while padding them apart nearly doubled the lines a
/// tick touches.
#[derive(Debug)]
#[repr(C, align(64))]
pub struct ViewerStats {
    // ---- read by every tick ----
    counters: CounterCells,
    avio_bytes: ByteCells,
    segment_bytes: ByteCells,
    playback: PlaybackCells,
    lines: [LineCells; 2],
    /// Their first half (cursors, max, lost) is read by every tick.
    latency: [SampleRing; 2],
    /// Its first half (state and counts) is read by every tick; its locks are cold.
    process: ProcessCells,
    // ---- read only when the fields above say so ----
    http_errors: HttpErrorCells,
    segment_sizes: SegmentSizeRing,
    /// Debug builds: catches overlapping calls of the one-writer-at-a-time methods.
    writer: WriterCheck,
    /// Debug builds: catches overlapping latency drains.
    drainer: WriterCheck,
}

/// A plain copy of a viewer's scalar statistics at one instant (HTTP errors and exits aside).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewerSnapshot {
    /// Every event counter.
    pub counters: CounterValues,
    /// Bytes from `AVIOContext … Statistics` lines, all process runs.
    pub avio_bytes: u64,
    /// Bytes from the segment-size lookup, all process runs.
    pub segment_bytes: u64,
    /// The source [`ViewerSnapshot::bytes`] reports.
    pub bytes_source: BytesSource,
    /// Bytes of the current process run, from the same source.
    pub current_process_bytes: u64,
    /// Speed, stall and drift.
    pub playback: PlaybackValues,
    /// Per-figure latency totals, indexed like [`LatencyKind::ALL`].
    pub latency: [LatencyTotals; 2],
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

impl ViewerSnapshot {
    /// Downloaded bytes from [`ViewerSnapshot::bytes_source`] (0 when the source is `None`).
    pub fn bytes(&self) -> u64 {
        self.bytes_source.pick(self.segment_bytes, self.avio_bytes)
    }

    /// Restarts: every start after the first.
    pub fn restarts(&self) -> u64 {
        self.starts.saturating_sub(1)
    }
}

// The layout documented above, which the aggregator's prefetch relies on (loom's atomics are
// larger, so only the real build is held to it).
#[cfg(all(not(loom), target_pointer_width = "64"))]
const _: () = {
    assert!(std::mem::align_of::<ViewerStats>() == 64);
    assert!(ViewerStats::HOT_BYTES <= 7 * 64);
};

impl Default for ViewerStats {
    fn default() -> Self {
        Self::new()
    }
}

impl ViewerStats {
    /// The leading bytes [`TickSource::read_into`] reads; public as [`crate::tick::HOT_BYTES`].
    pub(crate) const HOT_BYTES: usize =
        std::mem::offset_of!(ViewerStats, process) + ProcessCells::HOT_BYTES;

    /// A viewer with nothing recorded.
    pub fn new() -> Self {
        ViewerStats {
            counters: CounterCells::new(),
            avio_bytes: ByteCells::new(),
            segment_bytes: ByteCells::new(),
            playback: PlaybackCells::new(),
            lines: [LineCells::new(), LineCells::new()],
            latency: [SampleRing::new(), SampleRing::new()],
            process: ProcessCells::new(),
            http_errors: HttpErrorCells::new(),
            segment_sizes: SegmentSizeRing::new(),
            writer: WriterCheck::new(),
            drainer: WriterCheck::new(),
        }
    }

    #[inline]
    fn since_epoch(at: Instant) -> Duration {
        StatsInstant::from(at).since_epoch()
    }

    // ---- events (parser task) ----

    /// Adds `n` to a counter.
    pub fn add(&self, counter: Counter, n: u64) {
        self.counters.add(counter, n);
    }

    /// One counter's value.
    pub fn get(&self, counter: Counter) -> u64 {
        self.counters.get(counter)
    }

    /// Every counter.
    pub fn counters(&self) -> CounterValues {
        self.counters.values()
    }

    /// Counts an HTTP error by status (also bumps [`Counter::HttpErrors`]).
    pub fn record_http_error(&self, status: u16) {
        self.http_errors.record(HttpStatus::from_code(status));
        self.counters.add(Counter::HttpErrors, 1);
    }

    /// Calls `f` for every status with a non-zero count, ascending, `Other` last.
    pub fn for_each_http_error(&self, f: impl FnMut(HttpStatus, u64)) {
        self.http_errors.for_each(f);
    }

    /// The count of one status.
    pub fn http_error_count(&self, status: HttpStatus) -> u64 {
        self.http_errors.get(status)
    }

    // ---- bytes ----

    /// Adds bytes ffmpeg reported reading (`AVIOContext … Statistics: N bytes read`).
    pub fn add_avio_bytes(&self, n: u64) {
        self.avio_bytes.add(n);
    }

    /// Adds the exact size of a segment this viewer requested (from a segment-size lookup).
    /// Once any is recorded, [`ViewerStats::bytes_source`] is [`BytesSource::SegmentSizes`].
    /// One writer at a time (see # Threads).
    pub fn add_segment_bytes(&self, n: u64) {
        let _turn = self.writer.turn("ViewerStats::add_segment_bytes");
        self.segment_bytes.add(n);
        self.segment_sizes.push(n);
    }

    /// Which source [`ViewerStats::bytes`] uses: segment sizes if any were recorded, else AVIO
    /// statistics if any were reported, else none.
    #[inline]
    pub fn bytes_source(&self) -> BytesSource {
        if self.segment_bytes.reports() > 0 {
            BytesSource::SegmentSizes
        } else if self.avio_bytes.reports() > 0 {
            BytesSource::AvioStatistics
        } else {
            BytesSource::None
        }
    }

    /// Downloaded bytes over every process run, and where the figure came from.
    pub fn bytes(&self) -> (u64, BytesSource) {
        let source = self.bytes_source();
        let n = source.pick(self.segment_bytes.total(), self.avio_bytes.total());
        (n, source)
    }

    /// Mean of the last 100 recorded segment sizes.
    pub fn mean_segment_size(&self) -> Option<f64> {
        self.segment_sizes.mean()
    }

    // ---- playback ----

    /// Records a playback speed (× real time) reported at `at`.
    /// One writer at a time (see # Threads).
    pub fn record_speed(&self, speed: f64, at: Instant) {
        let _turn = self.writer.turn("ViewerStats::record_speed");
        self.playback.record_speed(speed, Self::since_epoch(at));
    }

    /// Records ffmpeg's output time, reported at `at` by a process that started at `process_start`.
    /// One writer at a time (see # Threads).
    pub fn record_out_time(&self, out_time_us: i64, process_start: Instant, at: Instant) {
        let _turn = self.writer.turn("ViewerStats::record_out_time");
        self.playback
            .record_out_time(out_time_us, at.saturating_duration_since(process_start));
    }

    /// Speed, stall and drift as seen at `now`.
    pub fn playback(&self, now: Instant) -> PlaybackValues {
        self.playback.values(Self::since_epoch(now))
    }

    // ---- latency ----

    /// Records one latency sample. One writer at a time (see # Threads): it is the producer of a
    /// single-producer ring.
    pub fn record_latency(&self, kind: LatencyKind, sample: Duration) {
        let _turn = self.writer.turn("ViewerStats::record_latency");
        self.latency[kind.idx()].push(sample);
    }

    /// Count, sum, max and lost samples of one figure.
    pub fn latency_totals(&self, kind: LatencyKind) -> LatencyTotals {
        self.latency[kind.idx()].totals()
    }

    // ---- process lifecycle (supervisor) ----

    /// A new ffmpeg process starts: counts the start (a restart if not the first), zeroes the
    /// current run's bytes and drift and restarts the stall clock. Totals are kept.
    /// [`crate::Recorder::new`] calls this. One writer at a time (see # Threads): call it once the
    /// previous run's writer has finished.
    pub fn begin_process(&self) {
        let _turn = self.writer.turn("ViewerStats::begin_process");
        self.avio_bytes.roll_over();
        self.segment_bytes.roll_over();
        self.playback.roll_over();
        self.process.begin();
    }

    /// The process ended; remembers why, with the last error line it logged.
    pub fn record_exit(&self, reason: ExitReason) {
        self.process.record_exit(reason);
    }

    /// Sets the supervisor state (e.g. [`ViewerState::Stopped`] when giving up).
    pub fn set_state(&self, state: ViewerState) {
        self.process.set_state(state);
    }

    /// The supervisor state.
    pub fn state(&self) -> ViewerState {
        self.process.state()
    }

    /// Processes started.
    pub fn starts(&self) -> u64 {
        self.process.starts()
    }

    /// Exits grouped by reason and last error line.
    pub fn exits(&self) -> Vec<ExitGroup> {
        self.process.exits()
    }

    /// Remembers the last error-level line of the current process.
    pub fn set_last_error(&self, message: &str) {
        self.process.set_last_error(message);
    }

    /// The last error-level line of the current (or, after exit, the last) process.
    pub fn last_error(&self) -> Option<Arc<str>> {
        self.process.last_error()
    }

    // ---- line transport (reader tasks) ----

    /// Counts lines read from a stream.
    pub fn add_lines_read(&self, stream: Stream, n: u64) {
        self.lines[stream as usize].add_read(n);
    }

    /// Counts lines dropped on a stream because the parser fell behind.
    pub fn add_lines_dropped(&self, stream: Stream, n: u64) {
        self.lines[stream as usize].add_dropped(n);
    }

    /// Lines read and dropped on a stream.
    #[inline]
    pub fn lines(&self, stream: Stream) -> LineCounts {
        self.lines[stream as usize].counts()
    }

    // ---- reading ----

    /// A plain copy of every scalar, as seen at `now`.
    pub fn snapshot(&self, now: Instant) -> ViewerSnapshot {
        let bytes_source = self.bytes_source();
        let current_process_bytes =
            bytes_source.pick(self.segment_bytes.current(), self.avio_bytes.current());
        ViewerSnapshot {
            counters: self.counters.values(),
            avio_bytes: self.avio_bytes.total(),
            segment_bytes: self.segment_bytes.total(),
            bytes_source,
            current_process_bytes,
            playback: self.playback(now),
            latency: [self.latency[0].totals(), self.latency[1].totals()],
            state: self.process.state(),
            starts: self.process.starts(),
            exits: self.process.exit_count(),
            stderr_lines: self.lines(Stream::Stderr),
            progress_lines: self.lines(Stream::Progress),
        }
    }
}

impl TickSource for ViewerStats {
    #[inline(always)]
    fn read_into(&self, now: StatsInstant, counters: &mut CounterValues) -> TickValues {
        let mut requests = 0;
        let mut http_errors = 0;
        for (i, sum) in counters.0.iter_mut().enumerate() {
            let v = self.counters.get(Counter::ALL[i]);
            *sum += v;
            match Counter::ALL[i] {
                Counter::ManifestRequests
                | Counter::SegmentRequests
                | Counter::InitRequests
                | Counter::OtherRequests => requests += v,
                Counter::HttpErrors => http_errors = v,
                _ => {}
            }
        }
        let (tcp_connect_max_us, tcp_lost) =
            self.latency[LatencyKind::TcpConnect.idx()].max_and_lost();
        let (_, playlist_lost) = self.latency[LatencyKind::PlaylistFetch.idx()].max_and_lost();
        TickValues {
            requests,
            http_errors,
            avio_bytes: self.avio_bytes.total(),
            segment_bytes: self.segment_bytes.total(),
            bytes_source: self.bytes_source(),
            playback: self.playback.values(now.since_epoch()),
            tcp_connect_max_us,
            latency_lost: [tcp_lost, playlist_lost],
            state: self.process.state(),
            starts: self.process.starts(),
            exits: self.process.exit_count(),
            stderr_lines: self.lines(Stream::Stderr),
            progress_lines: self.lines(Stream::Progress),
        }
    }

    fn drain_latency(&self, kind: LatencyKind, f: impl FnMut(u64)) -> usize {
        let _turn = self.drainer.turn("TickSource::drain_latency");
        self.latency[kind.idx()].drain(f)
    }

    #[inline]
    fn latency_pending(&self) -> bool {
        self.latency[0].pending() || self.latency[1].pending()
    }
}

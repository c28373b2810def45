//! What the request tap measured: every request's kind, status, body bytes and timings, per
//! viewer and for the swarm, in atomics the tap's thread writes and any thread reads.
//!
//! The tap (`hls-swarm-tap`) is a proxy between the viewers and the origin, so unlike ffmpeg's
//! log it sees when a response's first and last bytes pass. It hands each finished request to
//! [`TapStats::record`] as a [`TapRequest`]. Counts and bytes are kept per viewer (for the
//! per-viewer table) and for the swarm (what a tick reads: a handful of atomics, whatever the
//! swarm's size); timings go through swarm-wide sample rings that the aggregator drains into
//! its histograms, as the viewers' log-derived latencies do.

use std::time::Duration;

use hls_swarm_parse::RequestKind;

use crate::http_errors::{HttpErrorCells, HttpStatus};
use crate::latency::{LatencyTotals, SampleRing};
use crate::sync::{AtomicU64, Ordering, WriterCheck};

/// Slots of each swarm-wide timing ring: a tick drains it twice a second, so this holds
/// 8,192 requests of one kind a second before a sample is lost (and counted as lost).
const TAP_RING_SLOTS: usize = 4096;

/// One request the tap relayed, as it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TapRequest {
    /// What the path fetches.
    pub kind: RequestKind,
    /// The origin's status.
    pub status: u16,
    /// Response body bytes relayed to the viewer.
    pub body_bytes: u64,
    /// Request sent upstream → first byte of the response.
    pub ttfb: Duration,
    /// Request sent upstream → last body byte relayed (what nginx's `$request_time` counts).
    pub download: Duration,
    /// Connect time of the upstream connection this request opened; `None` when it reused one.
    pub upstream_connect: Option<Duration>,
    /// The body ended early (the origin closed mid-body, the viewer left, or the run stopped):
    /// counted, its bytes kept, its timings left out.
    pub truncated: bool,
    /// For a segment: how long it plays (its `#EXTINF`), when the tap read it in a playlist.
    pub media_duration: Option<Duration>,
}

/// The timings the tap takes, each a swarm-wide figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TapTiming {
    /// Segment request sent → first response byte.
    SegmentTtfb,
    /// Segment request sent → last body byte.
    SegmentDownload,
    /// Playlist request sent → first response byte.
    PlaylistTtfb,
    /// Playlist request sent → last body byte.
    PlaylistDownload,
    /// TCP connect of a new upstream connection, tap → origin.
    UpstreamConnect,
}

impl TapTiming {
    /// Every figure, in index order.
    pub const ALL: [TapTiming; 5] = [
        TapTiming::SegmentTtfb,
        TapTiming::SegmentDownload,
        TapTiming::PlaylistTtfb,
        TapTiming::PlaylistDownload,
        TapTiming::UpstreamConnect,
    ];

    /// The snake_case name, a key of the summary's `latency_ms`.
    pub fn name(self) -> &'static str {
        match self {
            TapTiming::SegmentTtfb => "segment_ttfb",
            TapTiming::SegmentDownload => "segment_download",
            TapTiming::PlaylistTtfb => "playlist_ttfb",
            TapTiming::PlaylistDownload => "playlist_download",
            TapTiming::UpstreamConnect => "upstream_connect",
        }
    }

    /// One line saying what the figure measures, for humans.
    pub fn meaning(self) -> &'static str {
        match self {
            TapTiming::SegmentTtfb => "request tap: segment request sent -> first response byte",
            TapTiming::SegmentDownload => "request tap: segment request sent -> last body byte",
            TapTiming::PlaylistTtfb => "request tap: playlist request sent -> first response byte",
            TapTiming::PlaylistDownload => "request tap: playlist request sent -> last body byte",
            TapTiming::UpstreamConnect => "request tap: TCP connect, tap -> origin",
        }
    }
}

/// Index of a request kind in the per-kind arrays.
fn kind_idx(kind: RequestKind) -> usize {
    match kind {
        RequestKind::Manifest => 0,
        RequestKind::Segment => 1,
        RequestKind::Init => 2,
        RequestKind::Other => 3,
    }
}

/// The request kinds in index order.
pub const TAP_KINDS: [RequestKind; 4] = [
    RequestKind::Manifest,
    RequestKind::Segment,
    RequestKind::Init,
    RequestKind::Other,
];

/// Counts of requests and bytes, by kind, plus what only the tap can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TapCounts {
    /// Requests by kind, indexed like [`TAP_KINDS`].
    pub requests: [u64; 4],
    /// Response body bytes by kind, indexed like [`TAP_KINDS`].
    pub bytes: [u64; 4],
    /// Responses with a status of 400–599.
    pub http_errors: u64,
    /// Bodies cut off before their end.
    pub truncated: u64,
    /// Segments downloaded whole whose duration was known: the base of the late share.
    pub segments_timed: u64,
    /// Of those, segments whose download took longer than they play.
    pub late_segments: u64,
}

impl TapCounts {
    /// Every request.
    pub fn total_requests(&self) -> u64 {
        self.requests.iter().sum()
    }

    /// Every body byte.
    pub fn total_bytes(&self) -> u64 {
        self.bytes.iter().sum()
    }

    /// Requests of `kind`.
    pub fn requests_of(&self, kind: RequestKind) -> u64 {
        self.requests[kind_idx(kind)]
    }

    /// Bytes of `kind`.
    pub fn bytes_of(&self, kind: RequestKind) -> u64 {
        self.bytes[kind_idx(kind)]
    }
}

/// The atomic form of [`TapCounts`].
#[derive(Debug)]
struct CountCells {
    requests: [AtomicU64; 4],
    bytes: [AtomicU64; 4],
    http_errors: AtomicU64,
    truncated: AtomicU64,
    segments_timed: AtomicU64,
    late_segments: AtomicU64,
}

impl CountCells {
    fn new() -> CountCells {
        CountCells {
            requests: std::array::from_fn(|_| AtomicU64::new(0)),
            bytes: std::array::from_fn(|_| AtomicU64::new(0)),
            http_errors: AtomicU64::new(0),
            truncated: AtomicU64::new(0),
            segments_timed: AtomicU64::new(0),
            late_segments: AtomicU64::new(0),
        }
    }

    fn add(&self, request: &TapRequest, late: Option<bool>) {
        let i = kind_idx(request.kind);
        // Relaxed (every add here): independent counters, summed by readers that tolerate a
        // torn view across fields; a fetch_add never loses an increment.
        self.requests[i].fetch_add(1, Ordering::Relaxed);
        self.bytes[i].fetch_add(request.body_bytes, Ordering::Relaxed);
        if (400..=599).contains(&request.status) {
            self.http_errors.fetch_add(1, Ordering::Relaxed);
        }
        if request.truncated {
            self.truncated.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(late) = late {
            self.segments_timed.fetch_add(1, Ordering::Relaxed);
            if late {
                self.late_segments.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn read(&self) -> TapCounts {
        // Relaxed (every load): as in `add`.
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TapCounts {
            requests: std::array::from_fn(|i| load(&self.requests[i])),
            bytes: std::array::from_fn(|i| load(&self.bytes[i])),
            http_errors: load(&self.http_errors),
            truncated: load(&self.truncated),
            segments_timed: load(&self.segments_timed),
            late_segments: load(&self.late_segments),
        }
    }
}

/// Every status the tap relayed, 100–599, counted by code (a fixed array: no map, no lock).
#[derive(Debug)]
struct StatusCells {
    /// 100–399 by code.
    below_400: Box<[AtomicU64; 300]>,
    /// 400–599 by code, and any code out of range.
    errors: HttpErrorCells,
}

impl StatusCells {
    fn new() -> StatusCells {
        StatusCells {
            below_400: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            errors: HttpErrorCells::new(),
        }
    }

    fn record(&self, status: u16) {
        match status {
            // Relaxed: independent counter.
            100..=399 => {
                self.below_400[usize::from(status - 100)].fetch_add(1, Ordering::Relaxed);
            }
            _ => self.errors.record(HttpStatus::from_code(status)),
        }
    }

    /// `(status, count)` of every status seen, ascending; an out-of-range code is 0.
    fn read(&self) -> Vec<(u16, u64)> {
        let mut out = Vec::new();
        for (i, cell) in self.below_400.iter().enumerate() {
            // Relaxed: independent counter.
            let n = cell.load(Ordering::Relaxed);
            if n > 0 {
                // `i < 300`: the cast cannot truncate.
                out.push((100 + i as u16, n));
            }
        }
        self.errors.for_each(|status, n| {
            let code = match status {
                HttpStatus::Code(code) => code,
                HttpStatus::Other => 0,
            };
            out.push((code, n));
        });
        out
    }
}

/// One viewer's share of what the tap measured.
#[derive(Debug)]
pub struct TapViewerStats {
    counts: CountCells,
}

impl TapViewerStats {
    /// Counts and bytes so far.
    pub fn counts(&self) -> TapCounts {
        self.counts.read()
    }
}

/// What the tap measured for a whole swarm (this process's shard of it): swarm totals, one
/// [`TapViewerStats`] per viewer, the statuses, and the timing rings.
///
/// # Threads
/// [`record`](Self::record) and [`record_failure`](Self::record_failure) expect
/// one writer at a time (the tap's single thread: each timing ring has one producer; debug
/// builds panic on overlapping calls); every reader may run on any thread at any time;
/// [`drain`](Self::drain) is for one consumer at a time (the aggregator's tick).
#[derive(Debug)]
pub struct TapStats {
    /// This shard's place: its viewers are the global ids `shard.0 + k × shard.1`.
    shard: (u32, u32),
    swarm: CountCells,
    viewers: Box<[TapViewerStats]>,
    /// Requests whose viewer the tap could not tell (no `client-N` User-Agent, or N beyond
    /// the swarm): in the swarm totals, not in any viewer's.
    unattributed: CountCells,
    statuses: StatusCells,
    reused: AtomicU64,
    connect_failures: AtomicU64,
    no_response: AtomicU64,
    rings: [SampleRing<TAP_RING_SLOTS>; 5],
    writer: WriterCheck,
    drainer: WriterCheck,
}

impl TapStats {
    /// Room for `viewers` viewers, numbered from 0 (the index the binary gives the tap's
    /// viewer ids).
    pub fn new(viewers: usize) -> TapStats {
        TapStats::for_shard(viewers, 0, 1)
    }

    /// Room for the `viewers` viewers of shard `index` of `count`: the global viewer ids
    /// `index`, `index + count`, … ([`index_of`](Self::index_of) maps them). `count` 0 is
    /// taken as 1.
    pub fn for_shard(viewers: usize, index: u32, count: u32) -> TapStats {
        TapStats {
            shard: (index, count.max(1)),
            swarm: CountCells::new(),
            viewers: (0..viewers)
                .map(|_| TapViewerStats {
                    counts: CountCells::new(),
                })
                .collect(),
            unattributed: CountCells::new(),
            statuses: StatusCells::new(),
            reused: AtomicU64::new(0),
            connect_failures: AtomicU64::new(0),
            no_response: AtomicU64::new(0),
            rings: std::array::from_fn(|_| SampleRing::new()),
            writer: WriterCheck::new(),
            drainer: WriterCheck::new(),
        }
    }

    /// Records one finished request of viewer `viewer` (an index below [`TapStats::new`]'s
    /// count; `None` or beyond it counts it for the swarm only). One writer at a time.
    pub fn record(&self, viewer: Option<usize>, request: &TapRequest) {
        let _turn = self.writer.turn("TapStats::record");
        let late = match (request.kind, request.media_duration, request.truncated) {
            (RequestKind::Segment, Some(plays), false) => Some(request.download > plays),
            _ => None,
        };
        self.swarm.add(request, late);
        match viewer.and_then(|v| self.viewers.get(v)) {
            Some(stats) => stats.counts.add(request, late),
            None => self.unattributed.add(request, late),
        }
        self.statuses.record(request.status);
        match request.upstream_connect {
            Some(connect) => self.ring(TapTiming::UpstreamConnect).push(connect),
            None => {
                // Relaxed: independent counter.
                self.reused.fetch_add(1, Ordering::Relaxed);
            }
        }
        if request.truncated {
            return;
        }
        let (ttfb, download) = match request.kind {
            RequestKind::Segment => (TapTiming::SegmentTtfb, TapTiming::SegmentDownload),
            RequestKind::Manifest => (TapTiming::PlaylistTtfb, TapTiming::PlaylistDownload),
            RequestKind::Init | RequestKind::Other => return,
        };
        self.ring(ttfb).push(request.ttfb);
        self.ring(download).push(request.download);
    }

    /// Counts a request that got no response: the tap could not open its upstream connection
    /// (`connect`), or the origin closed it, or answered with something that is not HTTP,
    /// before a response head; either way the viewer's connection was closed without a
    /// response. One writer at a time, as [`record`](Self::record).
    pub fn record_failure(&self, connect: bool) {
        let _turn = self.writer.turn("TapStats::record_failure");
        let counter = if connect {
            &self.connect_failures
        } else {
            &self.no_response
        };
        // Relaxed: independent counter.
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn ring(&self, timing: TapTiming) -> &SampleRing<TAP_RING_SLOTS> {
        &self.rings[timing as usize]
    }

    /// The swarm's counts so far.
    pub fn counts(&self) -> TapCounts {
        self.swarm.read()
    }

    /// Counts of requests no viewer could be told for.
    pub fn unattributed(&self) -> TapCounts {
        self.unattributed.read()
    }

    /// Viewer `viewer`'s share, when it is one of the swarm's.
    pub fn viewer(&self, viewer: usize) -> Option<&TapViewerStats> {
        self.viewers.get(viewer)
    }

    /// The index among this shard's viewers (what [`record`](Self::record) and
    /// [`viewer`](Self::viewer) take) of global viewer id `id`; `None` for another shard's.
    pub fn index_of(&self, id: u32) -> Option<usize> {
        let (index, count) = self.shard;
        (id % count == index).then_some((id / count) as usize)
    }

    /// `(status, count)` of every status relayed, ascending (0 stands for a code outside
    /// 100–599).
    pub fn statuses(&self) -> Vec<(u16, u64)> {
        self.statuses.read()
    }

    /// Requests that reused an upstream connection.
    pub fn reused(&self) -> u64 {
        // Relaxed: independent counter.
        self.reused.load(Ordering::Relaxed)
    }

    /// Upstream connections the tap could not open.
    pub fn connect_failures(&self) -> u64 {
        // Relaxed: independent counter.
        self.connect_failures.load(Ordering::Relaxed)
    }

    /// Requests the origin closed (or answered with something that is not HTTP) before a
    /// response head.
    pub fn no_response(&self) -> u64 {
        // Relaxed: independent counter.
        self.no_response.load(Ordering::Relaxed)
    }

    /// Count, sum, max and lost samples of one timing (lost: the ring was full).
    pub fn timing_totals(&self, timing: TapTiming) -> LatencyTotals {
        self.ring(timing).totals()
    }

    /// Hands every sample (µs) of `timing` recorded since the last drain to `f`. One consumer
    /// at a time.
    pub fn drain(&self, timing: TapTiming, f: impl FnMut(u64)) -> usize {
        let _turn = self.drainer.turn("TapStats::drain");
        self.ring(timing).drain(f)
    }
}

#[cfg(test)]
mod tests;

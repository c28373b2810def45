//! Plain event counters, one atomic per [`Counter`], and the per-stream line counters.

use crate::sync::{AtomicU64, Ordering};
use hls_swarm_parse::RequestKind;

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident => $label:literal,)*) => {
        /// One monotone count kept per viewer (and summed by the aggregate).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(usize)]
        pub enum Counter {
            $($(#[$doc])* $name,)*
        }

        impl Counter {
            /// Every counter, in index order.
            pub const ALL: [Counter; Counter::COUNT] = [$(Counter::$name,)*];
            /// How many counters there are.
            pub const COUNT: usize = [$($label,)*].len();

            /// A stable snake_case name, for JSON keys and metric names.
            pub fn name(self) -> &'static str {
                match self {
                    $(Counter::$name => $label,)*
                }
            }
        }
    };
}

counters! {
    /// `request: GET …` lines for playlists (master and media, first loads and reloads).
    ManifestRequests => "manifest_requests",
    /// `request: GET …` lines for media segments.
    SegmentRequests => "segment_requests",
    /// `request: GET …` lines for fMP4 init sections.
    InitRequests => "init_requests",
    /// `request: GET …` lines for anything else.
    OtherRequests => "other_requests",
    /// `HLS request for url …`: the demuxer asked for a segment (one per segment, retries not included).
    HlsSegmentRequests => "hls_segment_requests",
    /// `HTTP error NNN …` lines, any status.
    HttpErrors => "http_errors",
    /// HTTP errors answering a playlist request.
    HttpErrorsManifest => "http_errors_manifest",
    /// HTTP errors answering a segment request.
    HttpErrorsSegment => "http_errors_segment",
    /// HTTP errors answering an init-section request.
    HttpErrorsInit => "http_errors_init",
    /// HTTP errors answering any other (or an unknown) request.
    HttpErrorsOther => "http_errors_other",
    /// `Will reconnect at … in N second(s)`.
    Reconnects => "reconnects",
    /// `keepalive request failed …, retrying with new connection`.
    KeepAliveRetries => "keepalive_retries",
    /// `Successfully connected to …`.
    TcpConnects => "tcp_connects",
    /// `Connection attempt to ADDR port P failed`: one address of a connect failed.
    TcpAttemptFailures => "tcp_attempt_failures",
    /// `Connection to tcp://HOST:PORT failed`: a whole connect failed.
    TcpConnectFailures => "tcp_connect_failures",
    /// `Failed to reload playlist N`.
    PlaylistReloadFailures => "playlist_reload_failures",
    /// `Failed to open segment N of playlist M`.
    SegmentOpenFailures => "segment_open_failures",
    /// `Segment N of playlist M failed too many times, skipping`: data loss.
    SegmentsSkipped => "segments_skipped",
    /// Sum of N over `skipping N segments ahead, expired from playlists`.
    SegmentsExpired => "segments_expired",
    /// `Media sequence change (A -> B)` lines.
    SequenceChanges => "sequence_changes",
    /// Sequence changes with B > A + 1: the playlist window moved by more than one segment between two reloads.
    SequenceJumps => "sequence_jumps",
    /// Lines logged at `error` or worse that no other event explains.
    ErrorLines => "error_lines",
    /// Output lines longer than the line limit, cut there (their tail was dropped unread),
    /// counted when the process run ends.
    LinesCut => "lines_cut",
}

impl Counter {
    /// ffmpeg's own TCP counters (`tcp_connects`, `tcp_attempt_failures`,
    /// `tcp_connect_failures`). With the request tap on they count ffmpeg's loopback connects
    /// to the tap, not to the origin, so a report leaves them out and shows the tap's upstream
    /// figures instead.
    pub fn is_ffmpeg_tcp(self) -> bool {
        matches!(
            self,
            Counter::TcpConnects | Counter::TcpAttemptFailures | Counter::TcpConnectFailures
        )
    }

    /// What one count means, in words for a report (`12  <meaning>`).
    pub fn meaning(self) -> &'static str {
        match self {
            Counter::ManifestRequests => "playlist requests sent",
            Counter::SegmentRequests => "media segment requests sent",
            Counter::InitRequests => "init section requests sent",
            Counter::OtherRequests => "other requests sent",
            Counter::HlsSegmentRequests => "segments the HLS demuxer asked for",
            Counter::HttpErrors => "HTTP error responses",
            Counter::HttpErrorsManifest => "HTTP errors answering a playlist request",
            Counter::HttpErrorsSegment => "HTTP errors answering a segment request",
            Counter::HttpErrorsInit => "HTTP errors answering an init section request",
            Counter::HttpErrorsOther => "HTTP errors answering another request",
            Counter::Reconnects => "reconnects ffmpeg scheduled after a failed read",
            Counter::KeepAliveRetries => {
                "requests retried on a new connection after keep-alive failed"
            }
            Counter::TcpConnects => "TCP connections opened",
            Counter::TcpAttemptFailures => "TCP connection attempts that failed",
            Counter::TcpConnectFailures => "TCP connects that failed on every address",
            Counter::PlaylistReloadFailures => "playlist reloads that failed",
            Counter::SegmentOpenFailures => "segments ffmpeg failed to open",
            Counter::SegmentsSkipped => "segments ffmpeg gave up on and skipped",
            Counter::SegmentsExpired => {
                "segments that left the playlist before ffmpeg fetched them"
            }
            Counter::SequenceChanges => "media sequence changes seen on playlist reloads",
            Counter::SequenceJumps => {
                "playlist reloads where the media sequence moved on by more than one segment"
            }
            Counter::ErrorLines => "error-level lines ffmpeg printed",
            Counter::LinesCut => {
                "output lines longer than the line limit, cut there (tail dropped)"
            }
        }
    }

    /// The request counter for a kind of request.
    pub fn requests(kind: RequestKind) -> Counter {
        match kind {
            RequestKind::Manifest => Counter::ManifestRequests,
            RequestKind::Segment => Counter::SegmentRequests,
            RequestKind::Init => Counter::InitRequests,
            RequestKind::Other => Counter::OtherRequests,
        }
    }

    /// The HTTP-error counter for the kind of request the error answered.
    pub fn http_errors(kind: RequestKind) -> Counter {
        match kind {
            RequestKind::Manifest => Counter::HttpErrorsManifest,
            RequestKind::Segment => Counter::HttpErrorsSegment,
            RequestKind::Init => Counter::HttpErrorsInit,
            RequestKind::Other => Counter::HttpErrorsOther,
        }
    }
}

/// A plain copy of every [`Counter`], indexed by the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterValues(pub [u64; Counter::COUNT]);

impl Default for CounterValues {
    fn default() -> Self {
        CounterValues([0; Counter::COUNT])
    }
}

impl CounterValues {
    /// The value of one counter.
    pub fn get(&self, counter: Counter) -> u64 {
        self.0[counter as usize]
    }

    /// Adds every counter of `other` into `self`.
    pub fn add(&mut self, other: &CounterValues) {
        for (sum, value) in self.0.iter_mut().zip(other.0.iter()) {
            *sum += value;
        }
    }

    /// `self - earlier`, counter by counter, saturating at zero.
    pub fn delta(&self, earlier: &CounterValues) -> CounterValues {
        let mut out = CounterValues::default();
        for (i, slot) in out.0.iter_mut().enumerate() {
            *slot = self.0[i].saturating_sub(earlier.0[i]);
        }
        out
    }

    /// All four request counters added up.
    pub fn total_requests(&self) -> u64 {
        self.get(Counter::ManifestRequests)
            + self.get(Counter::SegmentRequests)
            + self.get(Counter::InitRequests)
            + self.get(Counter::OtherRequests)
    }
}

/// The atomics behind [`CounterValues`]; written by one viewer's parser task.
#[derive(Debug)]
pub(crate) struct CounterCells {
    cells: [AtomicU64; Counter::COUNT],
}

impl CounterCells {
    pub(crate) fn new() -> Self {
        CounterCells {
            cells: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub(crate) fn add(&self, counter: Counter, n: u64) {
        // Relaxed: independent counters; a snapshot tolerates a torn view across fields.
        self.cells[counter as usize].fetch_add(n, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn get(&self, counter: Counter) -> u64 {
        // Relaxed: independent counters; a snapshot tolerates a torn view across fields.
        self.cells[counter as usize].load(Ordering::Relaxed)
    }

    pub(crate) fn values(&self) -> CounterValues {
        // Relaxed: independent counters; a snapshot tolerates a torn view across fields.
        CounterValues(std::array::from_fn(|i| {
            self.cells[i].load(Ordering::Relaxed)
        }))
    }
}

/// Which of ffmpeg's two output streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// The debug log on fd 2.
    Stderr,
    /// The `-progress` key=value blocks.
    Progress,
}

/// Lines read from one stream and lines dropped because the parser fell behind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines the reader took off the pipe.
    pub read: u64,
    /// Lines the reader discarded because the bounded queue to the parser was full.
    pub dropped: u64,
}

impl LineCounts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: LineCounts) {
        self.read += other.read;
        self.dropped += other.dropped;
    }
}

/// The atomics behind [`LineCounts`]; written by that stream's reader task.
#[derive(Debug)]
pub(crate) struct LineCells {
    read: AtomicU64,
    dropped: AtomicU64,
}

impl LineCells {
    pub(crate) fn new() -> Self {
        LineCells {
            read: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    pub(crate) fn add_read(&self, n: u64) {
        // Relaxed: independent counter; nothing else is published with it.
        self.read.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_dropped(&self, n: u64) {
        // Relaxed: independent counter; nothing else is published with it.
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn counts(&self) -> LineCounts {
        LineCounts {
            // Relaxed: independent counters; a snapshot tolerates a torn view across fields.
            read: self.read.load(Ordering::Relaxed),
            // Relaxed: as above.
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

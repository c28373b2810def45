//! The typed events found in ffmpeg's debug stderr, borrowed from the input line.

/// The `[name @ 0xADDR]` prefix naming the ffmpeg component (and instance) that logged a line.
///
/// `addr` tells instances apart: the TCP connect start and its success share one `tcp` context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Context<'a> {
    /// Component name: `hls`, `http`, `tcp`, `AVIOContext`, `AVFormatContext`, `NULL`, … and
    /// from ffmpeg 7 on, the input's `in#0` and `in#0/hls`.
    pub name: &'a str,
    /// The instance pointer ffmpeg printed after `@ 0x`.
    pub addr: u64,
}

impl Context<'_> {
    /// Whether the line comes from the input's demuxer, which is the hls demuxer for every
    /// stream hls-swarm plays: `hls` up to ffmpeg 6; from ffmpeg 7 on, ffmpeg names the input
    /// `in#N` and its demuxer `in#N/hls`, and the demuxer's lines carry either name (the same
    /// `addr`): `[in#0 @ 0x…] Failed to open segment …`, `[in#0/hls @ 0x…] HLS request for url …`.
    pub fn is_hls_demuxer(&self) -> bool {
        is_hls_demuxer(self.name)
    }
}

/// [`Context::is_hls_demuxer`] of a context name.
pub(crate) fn is_hls_demuxer(name: &str) -> bool {
    if name == "hls" {
        return true;
    }
    let Some(input) = name.strip_prefix("in#") else {
        return false;
    };
    let digits = input.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&input[digits..], "" | "/hls")
}

/// ffmpeg's log level, from the `[level]` tag that `-loglevel level+…` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `[panic]`
    Panic,
    /// `[fatal]`
    Fatal,
    /// `[error]`
    Error,
    /// `[warning]`
    Warning,
    /// `[info]`
    Info,
    /// `[verbose]`
    Verbose,
    /// `[debug]`
    Debug,
    /// `[trace]`
    Trace,
}

/// The wall-clock stamp ffmpeg 6+ prints with the `datetime` log flag (`YYYY-MM-DD HH:MM:SS.mmm`).
///
/// ffmpeg prints local time without a zone; the value is milliseconds since the Unix epoch
/// *as if* that local time were UTC. Use it for differences between lines, not as an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Milliseconds since 1970-01-01 00:00:00 of the zone-less local time.
    pub naive_unix_ms: i64,
}

/// What an HTTP request fetched, judged from the URL path (query string ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// A playlist: master or media, first load or reload (`.m3u8`, `.m3u`).
    Manifest,
    /// A media segment (`.ts`, `.m4s`, `.aac`, `.mp4` that is not an init section, …).
    Segment,
    /// An fMP4 initialisation section (`init*.mp4`, `*.m4i`, `EXT-X-MAP` style names).
    Init,
    /// Anything else (keys, subtitles, unknown extensions).
    Other,
}

/// ffmpeg's periodic `-stats` line: `frame=  225 fps= 32 q=-1.0 size=N/A time=00:00:09.01 bitrate=N/A speed=1.29x`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsLine {
    /// Frames written so far.
    pub frame: Option<u64>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Output time in microseconds (`time=`).
    pub out_time_us: Option<i64>,
    /// Playback speed relative to real time (`speed=1.29x`); `N/A` is `None`.
    pub speed: Option<f64>,
}

/// One recognised event from a line of ffmpeg's debug stderr.
///
/// Strings borrow from the line given to [`crate::parse_line`]; nothing is allocated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a> {
    /// `[http @ …] request: GET /v0/seg1.ts HTTP/1.1`: one request on the wire, exactly what the
    /// origin's access log records (first loads, reloads, keep-alive reuse and retries alike).
    HttpRequest {
        /// `GET`, `HEAD`, …
        method: &'a str,
        /// Path and query as sent, e.g. `/v0/index.m3u8`.
        path: &'a str,
        /// What the path fetches.
        kind: RequestKind,
    },
    /// `Opening 'URL' for reading` (from `hls`, `http`, `AVFormatContext` or `NULL` contexts):
    /// ffmpeg is about to open a URL. Gives the full URL the following request belongs to.
    Opening {
        /// The absolute URL.
        url: &'a str,
        /// What the URL fetches.
        kind: RequestKind,
    },
    /// `[hls @ …] HLS request for url 'URL', offset N, playlist N`: the HLS demuxer asked for a segment.
    HlsSegmentRequest {
        /// The segment URL.
        url: &'a str,
        /// Byte offset requested.
        offset: u64,
        /// Index of the media playlist (variant) the segment belongs to.
        playlist: Option<u32>,
    },
    /// `[http @ …] HTTP error 404 Not Found`: the origin answered with an error status.
    HttpError {
        /// The status code.
        status: u16,
        /// The reason phrase as ffmpeg printed it.
        reason: &'a str,
    },
    /// `[hls @ …] Failed to reload playlist N`.
    PlaylistReloadFailed {
        /// Index of the media playlist.
        playlist: u32,
    },
    /// `[hls @ …] Failed to open segment N of playlist M`.
    SegmentOpenFailed {
        /// Media sequence number of the segment.
        segment: u64,
        /// Index of the media playlist.
        playlist: u32,
    },
    /// `[hls @ …] Segment N of playlist M failed too many times, skipping`: data loss.
    SegmentSkipped {
        /// Media sequence number of the segment.
        segment: u64,
        /// Index of the media playlist.
        playlist: u32,
    },
    /// `[hls @ …] skipping N segments ahead, expired from playlists`: the viewer fell behind.
    SegmentsExpired {
        /// How many segments were skipped.
        count: u64,
    },
    /// `[hls @ …] Media sequence change (A -> B) reflected in first_timestamp: …`.
    MediaSequenceChange {
        /// Previous media sequence number.
        from: u64,
        /// New media sequence number.
        to: u64,
    },
    /// `[hls @ …] keepalive request failed for 'URL' with error: 'REASON' when …, retrying with new connection`.
    KeepAliveRetry {
        /// The URL whose keep-alive request failed.
        url: &'a str,
        /// ffmpeg's error text.
        reason: &'a str,
    },
    /// `[http @ …] Will reconnect at OFFSET in N second(s), error=…`.
    ReconnectScheduled {
        /// Byte offset the reconnect resumes from.
        offset: u64,
        /// Delay before reconnecting, in seconds.
        delay_s: u64,
    },
    /// `[tcp @ …] Starting connection attempt to ADDR port P`.
    TcpConnectStart {
        /// IP address (v4 or v6) as printed.
        addr: &'a str,
        /// TCP port.
        port: u16,
    },
    /// `[tcp @ …] Successfully connected to ADDR port P`.
    TcpConnected {
        /// IP address as printed.
        addr: &'a str,
        /// TCP port.
        port: u16,
    },
    /// `[tcp @ …] Connection attempt to ADDR port P failed: REASON`: one address failed.
    TcpAttemptFailed {
        /// IP address as printed.
        addr: &'a str,
        /// TCP port.
        port: u16,
        /// ffmpeg's reason, e.g. `Connection refused`.
        reason: &'a str,
    },
    /// `[tcp @ …] Connection to tcp://HOST:PORT failed: REASON`: the whole connect failed.
    ///
    /// Also the bare forms `[tcp @ …] Connection refused`, `Connection timed out` and
    /// `Failed to connect to ADDR port P` (the Go original's fixtures): `target` is then empty and
    /// `reason` is the whole message.
    TcpConnectFailed {
        /// `HOST:PORT` as printed after `tcp://` (with any `?query`); empty for the bare forms.
        target: &'a str,
        /// ffmpeg's reason, e.g. `Connection refused`, `Connection timed out`.
        reason: &'a str,
    },
    /// `[AVIOContext @ …] Statistics: N bytes read, M seeks`: printed when an input closes.
    AvioBytesRead {
        /// Bytes this I/O context read over its life.
        bytes: u64,
    },
    /// ffmpeg's periodic `-stats` line.
    Stats(StatsLine),
    /// Any other line logged at `error`, `fatal` or `panic`, kept whole so a user can be told why a viewer died.
    ErrorMessage {
        /// The level it was logged at.
        level: Level,
        /// The message after the prefixes.
        message: &'a str,
    },
}

/// One line of ffmpeg's debug stderr, split into its prefixes and, when recognised, its event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<'a> {
    /// The `datetime` stamp, when ffmpeg printed one.
    pub time: Option<Timestamp>,
    /// The `[name @ 0x…]` context, when present.
    pub context: Option<Context<'a>>,
    /// The `[level]` tag, when present.
    pub level: Option<Level>,
    /// The recognised event, or `None` for a line that carries nothing hls-swarm counts.
    pub event: Option<Event<'a>>,
}

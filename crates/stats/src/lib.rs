//! Lock-free statistics of one hls-swarm viewer, fed by the events `hls-swarm-parse` finds in
//! ffmpeg's output. A [`ViewerStats`] per viewer holds only atomics (plus two small locks touched
//! on error lines and exits); a [`Recorder`] per ffmpeg process run is the parse state, driven by
//! one thread at a time through `&mut self`, that turns each [`hls_swarm_parse::Line`] and
//! [`hls_swarm_parse::ProgressBlock`] into counter updates, latency samples and per-variant
//! totals. Any other thread reads a [`ViewerStats`] without blocking the writer (which method
//! each thread may call: [`ViewerStats`], # Threads). What only the aggregator's tick needs
//! lives in [`tick`]. This crate does not depend on tokio and builds under `--cfg loom`.
//!
//! Recording real ffmpeg output on one thread and reading the figures on another:
//!
//! ```
//! use hls_swarm_parse::{ProgressParser, parse_line, split_log_lines};
//! use hls_swarm_stats::{BytesSource, Counter, HttpStatus, LatencyKind, Recorder, ViewerStats};
//! use std::sync::Arc;
//! use std::thread;
//! use std::time::Instant;
//!
//! // Lines of a real ffmpeg 5.1 capture (`http-errors.stderr`, others between them left out): a
//! // TCP connect, a media playlist, two segments (the first answered with a 404), and the bytes
//! // an input read when it closed.
//! const STDERR: &[u8] = b"\
//! [tcp @ 0x56353cc3ffc0] [verbose] Starting connection attempt to 127.0.0.1 port 18084\n\
//! [tcp @ 0x56353cc3ffc0] [verbose] Successfully connected to 127.0.0.1 port 18084\n\
//! [http @ 0x56353cc3d200] [debug] request: GET /v0/index.m3u8 HTTP/1.1\r\n\
//! User-Agent: hls-swarm-fixture/client-http-errors\r\n\
//! [hls @ 0x56353cc34280] [verbose] HLS request for url 'http://127.0.0.1:18084/v0/seg00332.ts', offset 0, playlist 0\n\
//! [http @ 0x56353cc5a280] [debug] request: GET /v0/seg00332.ts HTTP/1.1\r\n\
//! [http @ 0x56353cc5a280] [warning] HTTP error 404 Not Found\n\
//! [hls @ 0x56353cc34280] [warning] Failed to open segment 332 of playlist 0\n\
//! [hls @ 0x56353cc34280] [verbose] HLS request for url 'http://127.0.0.1:18084/v0/seg00333.ts', offset 0, playlist 0\n\
//! [http @ 0x56353cc5a840] [debug] request: GET /v0/seg00333.ts HTTP/1.1\r\n\
//! [AVIOContext @ 0x56353cc5b380] [verbose] Statistics: 332196 bytes read, 0 seeks\n";
//! // A `-progress` block of the same run (`http-errors.progress`).
//! const PROGRESS: &[u8] = b"frame=48\nfps=47.85\nstream_0_0_q=-1.0\nstream_0_2_q=-1.0\n\
//! bitrate=N/A\ntotal_size=N/A\nout_time_us=3018667\nout_time_ms=3018667\nout_time=00:00:03.018667\n\
//! dup_frames=0\ndrop_frames=0\nspeed=3.01x\nprogress=continue\n";
//!
//! let stats = Arc::new(ViewerStats::new());
//! let parser = {
//!     let stats = Arc::clone(&stats);
//!     thread::spawn(move || {
//!         // One Recorder per process run, driven by this thread alone.
//!         let mut recorder = Recorder::new(stats, Instant::now());
//!         for line in split_log_lines(STDERR) {
//!             recorder.on_line(&parse_line(line), Instant::now());
//!         }
//!         ProgressParser::new().feed(PROGRESS, |block| recorder.on_progress(block, Instant::now()));
//!     })
//! };
//!
//! // Meanwhile this thread reads whenever it likes; counts never go backwards.
//! let mut requests = 0;
//! while !parser.is_finished() {
//!     let now = stats.counters().total_requests();
//!     assert!(now >= requests && now <= 3);
//!     requests = now;
//! }
//! parser.join().unwrap();
//!
//! let seen = stats.snapshot(Instant::now());
//! assert_eq!(seen.counters.get(Counter::ManifestRequests), 1);
//! assert_eq!(stats.get(Counter::SegmentRequests), 2);
//! assert_eq!(seen.counters.get(Counter::HlsSegmentRequests), 2);
//! assert_eq!(seen.counters.get(Counter::HttpErrorsSegment), 1);
//! assert_eq!(stats.http_error_count(HttpStatus::Code(404)), 1);
//! assert_eq!(seen.counters.get(Counter::SegmentOpenFailures), 1);
//! assert_eq!(seen.counters.get(Counter::TcpConnects), 1);
//! assert_eq!(stats.latency_totals(LatencyKind::TcpConnect).count, 1);
//! assert_eq!(stats.latency_totals(LatencyKind::PlaylistFetch).count, 1);
//! assert_eq!((seen.bytes(), seen.bytes_source), (332_196, BytesSource::AvioStatistics));
//! assert_eq!(seen.playback.speed, Some(3.01));
//! assert_eq!(stats.starts(), 1);
//! ```
#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]

mod bytes;
mod clock;
mod counters;
mod http_errors;
mod latency;
mod playback;
mod process;
mod recorder;
mod silent_retry;
mod sync;
mod tap;
pub mod tick;
mod tick_source;
mod variant;
mod viewer;

pub use bytes::BytesSource;
pub use counters::{Counter, CounterValues, LineCounts, Stream};
pub use http_errors::HttpStatus;
pub use latency::{LatencyKind, LatencyTotals};
pub use playback::{PlaybackValues, STALL_AFTER, STALL_SPEED};
pub use process::{ExitGroup, ExitReason, ViewerState};
pub use recorder::{Recorder, SegmentSizeLookup};
pub use tap::{TAP_KINDS, TapCounts, TapRequest, TapStats, TapTiming, TapViewerStats};
pub use variant::{VariantLookup, VariantStats, VariantValues};
pub use viewer::{ViewerSnapshot, ViewerStats};

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;

//! A built-in live HLS test origin, so `hls-swarm` runs with nothing installed but ffmpeg and
//! so tests can compare what viewers counted with what the origin itself served.
//!
//! [`render`] encodes a short test-pattern loop once with ffmpeg (cached on disk, keyed by
//! the render parameters) and holds every segment in memory; [`serve`] answers a live
//! sliding window over it from memory, driven by the wall clock, and writes one
//! access-log line per request. [`FaultRule`]s inject error statuses and latency,
//! reproducibly for a given seed.
//!
//! ```
//! use hls_swarm_origin::{AccessLog, FaultRule, OriginConfig, VariantSpec};
//!
//! let cfg = OriginConfig {
//!     variants: vec![VariantSpec::new(640, 360, 800), VariantSpec::new(320, 180, 250)],
//!     access_log: AccessLog::File("origin.log".into()),
//!     faults: vec!["404:/v0/seg*.ts:0.2".parse::<FaultRule>().unwrap()],
//!     seed: 42,
//!     ..OriginConfig::default()
//! };
//! assert!(cfg.validate().is_ok());
//! assert_eq!(cfg.n_loop_segments(), 16);
//! // let rendition = hls_swarm_origin::render(&cfg).await?;
//! // let origin = hls_swarm_origin::serve(&cfg, rendition).await?;
//! // println!("{}", origin.url()); // http://127.0.0.1:PORT/master.m3u8
//! ```
//!
//! # URL layout
//!
//! | path | what | type |
//! |---|---|---|
//! | `/master.m3u8` | one `EXT-X-STREAM-INF` per variant (measured peak `BANDWIDTH`, `AVERAGE-BANDWIDTH`, `RESOLUTION`, `CODECS`, `FRAME-RATE`) | `application/vnd.apple.mpegurl` |
//! | `/v{i}/index.m3u8` | live media playlist of variant `i` (0-based, master order) | `application/vnd.apple.mpegurl` |
//! | `/v{i}/seg{N:05}.ts` | live segment `N` (loop segment `N mod loop_len`) | `video/mp2t` |
//! | `/v{i}/segments.json` | nginx `autoindex_format json` listing of variant `i`'s servable segments and the next window's worth still to be published (sizes are known ahead, so a listing refreshed every second never misses one): `[{"name":"seg884123456.ts","type":"file","mtime":"Thu, 29 Jan 2026 22:11:08 GMT","size":111484}, …]` | `application/json` |
//! | `/segments.json` | the same for every variant, names prefixed: `"v0/seg884123456.ts"` | `application/json` |
//!
//! Anything else is 404. Methods other than `GET`/`HEAD` get 405.
//!
//! # The live window
//!
//! Segment `N` covers `[N·d, (N+1)·d)` seconds since the Unix epoch (`d` =
//! [`OriginConfig::segment_secs`]) and is published when that interval ends, so the
//! sequence number keeps counting across origin restarts and two origins agree. A media
//! playlist lists the newest [`OriginConfig::window`] published segments with
//! `#EXT-X-TARGETDURATION`, `#EXT-X-MEDIA-SEQUENCE` (the first one's `N`),
//! `#EXT-X-DISCONTINUITY-SEQUENCE` (`first / loop_len`) and `#EXT-X-DISCONTINUITY` before
//! every segment where the loop restarts (`N mod loop_len == 0`, except on the first line,
//! whose discontinuity the sequence number already counts); no `#EXT-X-ENDLIST` unless the
//! stream ends (see below). A
//! segment is served if it is published and at most [`OriginConfig::grace_segments`] older
//! than the window; otherwise 404, as a real origin would.
//!
//! **The looped stream is continuous.** Served raw, a loop wrap would send timestamps back
//! and break MPEG-TS continuity counters, and ffmpeg 5.1's HLS demuxer does not survive
//! that with two variants (it stalls). So segment `N` is patched on the way out: its PCR,
//! PTS and DTS are advanced by `N / loop_len` loop lengths (modulo 2^33) and its continuity
//! counters likewise; each live segment is patched once and then shared by every viewer.
//! The render keeps the *second* of two encoded loops, so there is no encoder priming at
//! the start, and the loop is a multiple of 8 s, so 1024-sample AAC frames at 48 kHz tile
//! it. A real ffmpeg viewer then plays across wraps without a single timestamp warning; the
//! `#EXT-X-DISCONTINUITY` tag is kept because the *picture* jumps there.
//!
//! The default segment duration is 1 s, the shape of the fixtures in
//! `shared/fixtures/ffmpeg-5.1`: ffmpeg 5.1 viewers play it calmly (20 of them for 30 s cost
//! the origin 0.2 s of CPU), and a short segment gives a load test more requests to count
//! per viewer-second. The default loop is 16 s.
//!
//! # Range requests
//!
//! ffmpeg's HTTP client sends `Range: bytes=0-`. Like nginx (and the fixtures), the origin
//! answers a single satisfiable range with `206 Partial Content` and `Content-Range`, an
//! unsatisfiable one with 416, and ignores multi-range or malformed headers (200, full
//! body). Error answers are never ranged.
//!
//! # Access log
//!
//! One line per request, written with a single unbuffered write (so it can be read while
//! the origin runs and nothing is lost at shutdown):
//!
//! ```text
//! 1795238441.571 206 111484 "/v0/seg884123456.ts" "hls-swarm/client-3"
//! ```
//!
//! Fields: the Unix time when the answer was ready (seconds with milliseconds, from the
//! system clock even when the live window runs on a [`ManualClock`]), the status, the body
//! bytes answered (0 for `HEAD`; a client that hangs up mid-body received fewer), the path
//! with its query, and the `User-Agent` (`-` when absent). `"`, `\` and bytes outside
//! printable ASCII in the last two are written as `\xHH`. Every request is logged,
//! including 404s, 405s and injected faults; a client that disconnects while its answer is
//! being delayed by a fault is logged as `499` with 0 bytes, as nginx does.
//! [`AccessLogEntry::parse`] reads a line back. The same requests are counted in memory
//! ([`OriginHandle::stats`]).
//!
//! # Faults
//!
//! Each request's path (without query) is checked against the [`FaultRule`]s in order; the
//! first firing status rule replaces the answer (with a short text body), all firing
//! delay rules add their latency before it, and the first firing body rule ([`BodyFault`]:
//! a rate limit, a body cut mid-way, a truncated or an empty file) changes a successful
//! answer to a `GET`. See [`FaultRule`] for the syntax and [`decide`] for what is
//! deterministic. [`OriginStats::body_faults`] counts the bodies each fault changed.
//!
//! A rate-limited or cut body is streamed, and its access-log line is written when it ends
//! (sent, cut, or its client gone), with the bytes handed to the connection by then: a cut
//! body's first half (the server waits 50 ms after handing it over, so that it is written
//! to the socket before the connection is dropped). Every other answer is logged when it
//! is ready, as above.
//!
//! # A stale or ended stream
//!
//! [`OriginConfig::stale_after`] freezes the live window that long after [`serve`] starts:
//! the media playlists stay as they were (no new segment, no `#EXT-X-ENDLIST`) and their
//! segments stay servable, as when a packager dies and its files stay on disk.
//! [`OriginConfig::end_after`] freezes it the same way and ends the media playlists with
//! `#EXT-X-ENDLIST`: a stream that ended.
#![deny(missing_docs)]

mod access_log;
mod body;
mod clock;
mod config;
mod error;
mod faults;
mod playlist;
mod render;
mod rendition;
mod server;
mod ts;

pub use access_log::{AccessLogEntry, OriginStats};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AccessLog, OriginConfig, VariantSpec};
pub use error::OriginError;
pub use faults::{BodyFault, FaultAction, FaultDecision, FaultRule, ParseFaultError, decide};
pub use render::{render, render_dir};
pub use rendition::Rendition;
pub use server::{OriginHandle, serve, serve_with_clock};

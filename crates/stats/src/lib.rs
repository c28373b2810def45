//! Lock-free statistics of one hls-swarm viewer, fed by the events `hls-swarm-parse` finds in
//! ffmpeg's output. A [`ViewerStats`] per viewer holds only atomics (plus two small locks touched
//! on error lines and exits); a [`Recorder`] per ffmpeg process run is the single-owner parse
//! state that turns each [`hls_swarm_parse::Line`] and [`hls_swarm_parse::ProgressBlock`] into
//! counter updates, latency samples and per-variant totals. The aggregator reads [`ViewerStats`]
//! from another thread without blocking the writer. This crate does not depend on tokio and
//! builds under `--cfg loom`.
//!
//! ```
//! use hls_swarm_parse::{Context, Event, Line, RequestKind};
//! use hls_swarm_stats::{ViewerStats, Counter, Recorder};
//! use std::sync::Arc;
//! use std::time::Instant;
//!
//! let stats = Arc::new(ViewerStats::new());
//! let mut recorder = Recorder::new(Arc::clone(&stats), Instant::now());
//! let line = Line {
//!     time: None,
//!     context: Some(Context { name: "http", addr: 0x5555 }),
//!     level: None,
//!     event: Some(Event::HttpRequest { method: "GET", path: "/v0/seg1.ts", kind: RequestKind::Segment }),
//! };
//! recorder.on_line(&line, Instant::now());
//! assert_eq!(stats.get(Counter::SegmentRequests), 1);
//! assert_eq!(stats.starts(), 1);
//! ```
#![deny(missing_docs)]

mod bytes;
mod clock;
mod counters;
mod http_errors;
mod latency;
mod playback;
mod process;
mod recorder;
mod sync;
mod variant;
mod viewer;

pub use bytes::{BytesSource, SEGMENT_SIZE_RING};
pub use clock::StatsInstant;
pub use counters::{Counter, CounterValues, LineCounts, Stream};
pub use http_errors::HttpStatus;
pub use latency::{LatencyKind, LatencyTotals, RING_SLOTS};
pub use playback::{PlaybackValues, STALL_AFTER, STALL_SPEED};
pub use process::{ExitGroup, ExitReason, ViewerState};
pub use recorder::{Recorder, SegmentSizeLookup};
pub use variant::{VariantLookup, VariantStats, VariantValues};
pub use viewer::{TickValues, ViewerSnapshot, ViewerStats};

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_models;

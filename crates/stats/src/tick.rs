//! For the aggregator: the tick's fast read of many viewers, the latency drain, and the layout and
//! clock they rely on.
//!
//! Who it is for: the one periodic reader of every viewer of a run (`hls-swarm-aggregate`'s
//! `Aggregator::tick`), or an embedder writing its own. Recording and reading one viewer needs
//! none of it: [`ViewerStats`](crate::ViewerStats), [`Recorder`](crate::Recorder) and
//! [`ViewerSnapshot`](crate::ViewerSnapshot) are the whole API for that.
//!
//! What it promises:
//! - [`TickSource::read_into`] reads only the first [`HOT_BYTES`] of a `ViewerStats` (contiguous,
//!   from a 64-byte boundary), takes no lock and never makes a writer wait; its figures are those
//!   [`ViewerStats::snapshot`](crate::ViewerStats::snapshot) reports.
//! - [`TickSource::drain_latency`] hands each latency sample to exactly one drain, provided one
//!   thread at a time drains a given viewer (debug builds panic when two drains overlap).
//! - [`StatsInstant`] converts an `Instant` once per tick rather than once per viewer.
//!
//! The layout behind [`HOT_BYTES`] and the ring sizes follow the aggregator's needs and may change
//! with it; what a tick reads keeps the meaning documented on [`TickValues`].

pub use crate::bytes::SEGMENT_SIZE_RING;
pub use crate::clock::StatsInstant;
pub use crate::latency::RING_SLOTS;
pub use crate::tick_source::{TickSource, TickValues};

/// How many leading bytes of a `ViewerStats` [`TickSource::read_into`] reads: what a reader of
/// many viewers should prefetch (seven cache lines on x86_64).
pub const HOT_BYTES: usize = crate::viewer::ViewerStats::HOT_BYTES;

//! Swarm-wide aggregation for hls-swarm. Every viewer's [`hls_swarm_stats::ViewerStats`] sits in
//! an [`Aggregator`] (a `DashMap`, get-or-create); the caller drives [`Aggregator::tick`], which
//! folds them into an immutable [`Snapshot`] (totals, rates over the real interval, HTTP errors
//! by code, viewer counts, exits with their last error line, playback health, merged latency
//! histograms, per-variant table) and publishes it through `ArcSwap`, so readers
//! never block writers or each other. The full latency histograms ([`LatencyHistogram`]: lossless,
//! mergeable across runs) are copied on demand ([`Aggregator::latency_histogram`]), not by ticks. Per-viewer rows are read on demand
//! ([`Aggregator::viewer_rows`], [`worst_first`]), not by every tick. The end-of-run report is
//! built from the final snapshot by the `hls-swarm-report` crate.
//!
//! ```
//! use hls_swarm_aggregate::Aggregator;
//! use hls_swarm_stats::Counter;
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! let swarm = Aggregator::new("http://origin/master.m3u8", 2, start);
//! swarm.register(0).add(Counter::SegmentRequests, 10);
//! swarm.register(1).add(Counter::SegmentRequests, 5);
//! let snapshot = swarm.tick(start + Duration::from_secs(5));
//! assert_eq!(snapshot.totals.counters.get(Counter::SegmentRequests), 15);
//! assert_eq!(snapshot.rates.segment_per_s, 3.0);
//! assert_eq!(swarm.load().totals.counters.get(Counter::SegmentRequests), 15);
//! ```
#![deny(missing_docs)]

mod aggregator;
mod fold;
mod host;
mod latency;
mod snapshot;
mod tap;
mod viewers;

pub use aggregator::{Aggregator, VariantRegistry};
pub use host::HostFigures;
pub use latency::{LATENCY_QUANTILES, LatencyHistogram};
pub use snapshot::{
    ExitSummary, FigureKind, LATENCY_BUCKET_BOUNDS_US, Latencies, LatencySummary, Pipeline,
    Playback, Rates, RunInfo, SPEED_BUCKET_BOUNDS, Snapshot, TapFigures, Totals, VariantRow,
    ViewerCounts, ViewerId,
};
pub use viewers::{ViewerRow, worst_first};

#[cfg(test)]
mod tests;

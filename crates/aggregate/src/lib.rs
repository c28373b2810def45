//! Swarm-wide aggregation for hls-swarm. Every viewer's [`hls_swarm_stats::ViewerStats`] sits in
//! an [`Aggregator`] (a `DashMap`, get-or-create); the caller drives [`Aggregator::tick`], which
//! folds them into an immutable [`Snapshot`] (totals, rates over the real interval, HTTP errors
//! by code, viewer counts, exits with their last error line, playback health, merged latency
//! histograms, per-variant table) and publishes it through `ArcSwap`, so readers
//! never block writers or each other. Per-viewer rows are read on demand
//! ([`Aggregator::viewer_rows`], [`worst_first`]), not by every tick. A [`Summary`] renders the final snapshot as JSON
//! (`hls-swarm.summary.v1`) or text.
//!
//! ```
//! use hls_swarm_aggregate::{Aggregator, Summary};
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
//! let summary = Summary::from_snapshot(&swarm.load());
//! assert!(summary.to_json().contains("\"schema\": \"hls-swarm.summary.v1\""));
//! ```
#![deny(missing_docs)]

mod aggregator;
mod fold;
mod latency;
mod snapshot;
mod summary;
mod viewers;

pub use aggregator::{Aggregator, VariantRegistry};
pub use snapshot::{
    ExitSummary, LATENCY_BUCKET_BOUNDS_US, Latencies, LatencySummary, Pipeline, Playback, Rates,
    RunInfo, SPEED_BUCKET_BOUNDS, Snapshot, Totals, VariantRow, ViewerCounts, ViewerId,
};
pub use summary::{
    ByteTotals, ExitDetail, LatencyOut, PipelineOut, PlaybackTotals, RequestTotals, SCHEMA,
    Summary, VariantOut, ViewerTotals,
};
pub use viewers::{ViewerRow, worst_first};

#[cfg(test)]
mod tests;

//! The end-of-run report of an hls-swarm run, and the merge of a sharded run's reports. A
//! [`Report`] holds every figure the run ends with, section by section: requests, HTTP errors
//! and bytes, viewers and why they exited, playback, latency (with the full histograms), variants
//! and the line pipeline, all read off the final [`hls_swarm_aggregate::Snapshot`] and its
//! [`hls_swarm_aggregate::Aggregator`]; plus which run and shard it is ([`RunIdentity`]), what
//! hls-swarm itself cost ([`SelfUsage`]) and the origin's own figures ([`OriginFigures`]) when
//! the caller has them. It serialises (serde) as the summary JSON (schema
//! `hls-swarm.summary.v2`, described in `docs/summary.v2.schema.json`), reads back
//! ([`Report::from_json`]), renders as aligned text, and the summaries of a run's shards
//! [`merge`] into one.
//!
//! ```
//! use hls_swarm_aggregate::Aggregator;
//! use hls_swarm_report::{Report, RunIdentity, SelfUsage, ShardId, merge};
//! use hls_swarm_stats::{Counter, LatencyKind};
//! use std::time::{Duration, Instant, SystemTime};
//!
//! let start = Instant::now();
//! let swarm = Aggregator::new("http://origin/master.m3u8", 2, start);
//! swarm.register(0).add(Counter::SegmentRequests, 10);
//! swarm.register(1).record_http_error(404);
//! swarm.register(1).record_latency(LatencyKind::TcpConnect, Duration::from_millis(3));
//! let snapshot = swarm.tick(start + Duration::from_secs(5));
//! let report = Report::from_aggregator(&swarm, &snapshot)
//!     .with_self_usage(Some(SelfUsage { cpu_s: 0.5, peak_rss_bytes: 9_000_000, tap_cpu_s: None }));
//!
//! let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
//! assert_eq!(json["schema"], "hls-swarm.summary.v2");
//! assert_eq!(json["requests"]["segment"], 10);
//! assert_eq!(json["http_errors"]["404"], 1);
//! assert_eq!(json["latency_ms"]["tcp_connect"]["histogram"][0][1], 1);
//! assert_eq!(json["self"]["cpu_s"], 0.5);
//! assert!(json.get("origin").is_none(), "absent, not zero, when not scraped");
//! assert!(json["started_at"].is_null(), "unknown without with_run, never made up");
//!
//! let text = report.render_text();
//! assert!(text.contains("HTTP 404"));
//! assert!(text.contains("hls-swarm itself (not its viewers): 0.5 s CPU, 9.0 MB peak RSS"));
//!
//! // Two shards of one run merge into one summary; a shard missing is refused.
//! let shard = |index| {
//!     let now = SystemTime::now();
//!     Report::from_aggregator(&swarm, &snapshot).with_run(RunIdentity {
//!         run_id: Some("r1".to_owned()),
//!         shard: Some(ShardId { index, count: 2 }),
//!         started_at: now,
//!         ended_at: now + Duration::from_secs(5),
//!         start_late: None,
//!     })
//! };
//! let merged = merge(&[shard(0), shard(1)], false).unwrap();
//! assert_eq!((merged.shards, merged.requests.segment), (2, 20));
//! assert!(merged.is_upper_bound("viewers.peak_active"));
//! let refused = merge(&[shard(0)], false).unwrap_err();
//! assert_eq!(
//!     refused.to_string(),
//!     "shard 1/2 of the run is missing: pass its summary too, or --allow-missing to merge \
//!      without it"
//! );
//! ```
#![deny(missing_docs)]

mod layout;
mod merge;
mod read;
mod report;
mod sections;
mod series;
mod text;
mod thresholds;

pub use layout::to_json_pretty;
pub use merge::{MergeError, merge};
pub use read::SummaryReadError;
pub use report::{Report, SCHEMA};
pub use sections::ffmpeg::FfmpegSummary;
pub use sections::host::{HostCapacity, HostSummary};
pub use sections::latency::LatencyFigure;
pub use sections::origin::OriginFigures;
pub use sections::packed::PackedPairs;
pub use sections::pipeline::PipelineTotals;
pub use sections::playback::PlaybackTotals;
pub use sections::requests::{ByteTotals, RequestTotals};
pub use sections::run::{RunIdentity, ShardId};
pub use sections::self_usage::SelfUsage;
pub use sections::timeseries::{
    SERIES_CAPACITY, SeriesHost, SeriesLatency, SeriesPoint, SeriesRequests, SeriesSpeed,
    SeriesViewers, TimeSeries,
};
pub use sections::variants::VariantTotals;
pub use sections::viewers::{ExitDetail, ViewerTotals};
pub use series::SeriesRecorder;
pub use thresholds::{
    Comparison, FIGURES, Figure, Needs, Threshold, ThresholdError, ThresholdResult, Unit,
    WindowBreach, available_names, figure, names_with_the_tap, names_without_the_tap,
    refuse_with_tap, refuse_without_tap,
};

#[cfg(test)]
mod tests;

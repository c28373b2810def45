//! The end-of-run report of an hls-swarm run. A [`Report`] holds every figure the run ends
//! with, section by section: requests, HTTP errors and bytes, viewers and why they exited,
//! playback, latency, variants and the line pipeline, all read off the final
//! [`hls_swarm_aggregate::Snapshot`]; plus what hls-swarm itself cost ([`SelfUsage`]) and the
//! origin's own figures ([`OriginFigures`]) when the caller has them. It serialises (serde) as
//! the summary JSON (schema `hls-swarm.summary.v1`) and renders as aligned text.
//!
//! ```
//! use hls_swarm_aggregate::Aggregator;
//! use hls_swarm_report::{Report, SelfUsage};
//! use hls_swarm_stats::Counter;
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! let swarm = Aggregator::new("http://origin/master.m3u8", 2, start);
//! swarm.register(0).add(Counter::SegmentRequests, 10);
//! swarm.register(1).record_http_error(404);
//! let report = Report::from_snapshot(&swarm.tick(start + Duration::from_secs(5)))
//!     .with_self_usage(Some(SelfUsage { cpu_s: 0.5, peak_rss_bytes: 9_000_000 }));
//!
//! let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
//! assert_eq!(json["schema"], "hls-swarm.summary.v1");
//! assert_eq!(json["requests"]["segment"], 10);
//! assert_eq!(json["http_errors"]["404"], 1);
//! assert_eq!(json["self"]["cpu_s"], 0.5);
//! assert!(json.get("origin").is_none(), "absent, not zero, when not scraped");
//!
//! let text = report.render_text();
//! assert!(text.contains("HTTP 404"));
//! assert!(text.contains("hls-swarm itself (not its viewers): 0.5 s CPU, 9.0 MB peak RSS"));
//! ```
#![deny(missing_docs)]

mod report;
mod sections;
mod text;

pub use report::{Report, SCHEMA};
pub use sections::latency::LatencyFigure;
pub use sections::origin::OriginFigures;
pub use sections::pipeline::PipelineTotals;
pub use sections::playback::PlaybackTotals;
pub use sections::requests::{ByteTotals, RequestTotals};
pub use sections::self_usage::SelfUsage;
pub use sections::variants::VariantTotals;
pub use sections::viewers::{ExitDetail, ViewerTotals};

#[cfg(test)]
mod tests;

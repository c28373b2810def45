//! Prometheus metrics for an hls-swarm run, and a scraper of the origin's own exporters.
//!
//! The [`Exporter`] holds a prometheus-client registry with one collector that, on every scrape,
//! loads the aggregator's latest [`hls_swarm_aggregate::Snapshot`] (one lock-free `ArcSwap`
//! load) and encodes it: counters from the snapshot's totals, gauges for viewers and playback,
//! real histograms for the latency figures, built from the merged hdr histograms. It keeps no
//! metric state and never touches a viewer's statistics, so a scrape cannot slow a viewer down
//! (see `docs/METRICS.md`). [`serve`] puts it behind `/metrics`, `/healthz` and `/readyz`.
//!
//! The [`OriginScraper`] reads node_exporter and nginx-prometheus-exporter on an interval and
//! publishes an [`OriginSnapshot`] (CPU % as a rate between scrapes, memory, network and request
//! rates) that the exporter re-exports as `hls_swarm_origin_*`.
//!
//! ```
//! use hls_swarm_aggregate::Aggregator;
//! use hls_swarm_metrics::{Exporter, ExporterOptions, Format};
//! use hls_swarm_stats::Counter;
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! let swarm = Arc::new(Aggregator::new("http://origin/master.m3u8", 2, start));
//! swarm.register(0).add(Counter::SegmentRequests, 10);
//! swarm.register(1).record_http_error(404);
//! swarm.tick(start + Duration::from_secs(1));
//!
//! let exporter = Exporter::new(Arc::clone(&swarm), ExporterOptions::default());
//! let body = exporter.encode(Format::Text004);
//! assert!(body.contains("# TYPE hls_swarm_segment_requests_total counter"));
//! assert!(body.contains("\nhls_swarm_segment_requests_total 10\n"));
//! assert!(body.contains("hls_swarm_http_errors_total{status_code=\"404\"} 1"));
//! assert!(exporter.is_ready());
//! ```
#![deny(missing_docs)]

mod collector;
mod encode;
mod error;
mod exporter;
mod host_families;
mod latency_families;
mod options;
mod origin;
mod origin_families;
mod per_viewer;
mod server;
mod source;
mod tap_families;
mod text_format;

pub use error::{MetricsError, OriginScraperError, ScrapeError};
pub use exporter::{Exporter, Format};
pub use latency_families::LATENCY_BUCKETS_SECONDS;
pub use options::ExporterOptions;
pub use origin::{
    DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, NGINX_EXPORTER_PORT, NODE_EXPORTER_PORT,
    NetDevices, OriginScraper, OriginScraperConfig, OriginScraperHandle, OriginSnapshot,
    OriginTask, SourceHealth,
};
pub use per_viewer::PER_VIEWER_WARN_ABOVE;
pub use server::{DEFAULT_METRICS_ADDR, MetricsServer, serve};
pub use source::MetricsSource;

#[cfg(test)]
mod tests;

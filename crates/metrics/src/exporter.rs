//! `Exporter`: a prometheus-client registry holding one snapshot-reading collector, and encoding.

use crate::collector::SwarmCollector;
use crate::origin::OriginHandle;
use crate::text_format;
use hls_swarm_aggregate::{Aggregator, Snapshot, ViewerRow};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

/// Where a scrape gets the latest snapshot. It must not block: the aggregator's implementation is
/// one `ArcSwap` load.
pub trait MetricsSource: Send + Sync + 'static {
    /// The latest published snapshot.
    fn snapshot(&self) -> Arc<Snapshot>;

    /// One row per viewer, for [`ExporterOptions::per_viewer`]; read only when that is on.
    /// The default has none.
    fn viewer_rows(&self) -> Vec<ViewerRow> {
        Vec::new()
    }
}

impl MetricsSource for Arc<Aggregator> {
    fn snapshot(&self) -> Arc<Snapshot> {
        // `ArcSwap::load_full`: lock-free; never waits for a tick or a viewer.
        Aggregator::snapshot(self)
    }

    fn viewer_rows(&self) -> Vec<ViewerRow> {
        // Reads each viewer's atomics now; never waits for a tick.
        Aggregator::viewer_rows(self, Instant::now())
    }
}

/// A closure giving snapshots only: no per-viewer rows.
impl<F> MetricsSource for F
where
    F: Fn() -> Arc<Snapshot> + Send + Sync + 'static,
{
    fn snapshot(&self) -> Arc<Snapshot> {
        self()
    }
}

/// What the exporter adds to the snapshot.
#[derive(Debug, Clone)]
pub struct ExporterOptions {
    /// `version` label of `hls_swarm_info` (defaults to this crate's version, the workspace's).
    pub version: String,
    /// `variant` label of `hls_swarm_info`: the run's variant selection (`all`, `highest`, …).
    pub variant: String,
    /// Export per-viewer families labelled `client_id` (see [`crate::PER_VIEWER_WARN_ABOVE`]).
    pub per_viewer: bool,
    /// The origin scraper's output, re-exported as `hls_swarm_origin_*` when set.
    pub origin: Option<OriginHandle>,
}

impl Default for ExporterOptions {
    fn default() -> Self {
        ExporterOptions {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            variant: "all".to_owned(),
            per_viewer: false,
            origin: None,
        }
    }
}

/// The exposition format of one scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0 text, what prometheus-client writes (counter families named without
    /// `_total`, a final `# EOF`). Prometheus asks for it in its `Accept` header.
    OpenMetrics,
    /// Prometheus text format 0.0.4 (`curl`, `promtool check metrics`, older scrapers): the same
    /// samples, with counter `HELP`/`TYPE` lines named `…_total` and no `# EOF`.
    Text004,
}

impl Format {
    /// The format a scraper sending this `Accept` header wants.
    pub fn negotiate(accept: Option<&str>) -> Format {
        match accept {
            Some(a) if a.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Text004,
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Text004 => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// Encodes the latest snapshot as Prometheus metrics on demand.
pub struct Exporter {
    registry: Registry,
    source: Arc<dyn MetricsSource>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// An exporter reading `source` on every scrape.
    pub fn new(source: impl MetricsSource, options: ExporterOptions) -> Exporter {
        let source: Arc<dyn MetricsSource> = Arc::new(source);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(SwarmCollector {
            source: Arc::clone(&source),
            options,
        }));
        Exporter { registry, source }
    }

    /// One scrape's body.
    pub fn encode(&self, format: Format) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail; the collector returns no error of its own.
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("encoding into a String never fails");
        match format {
            Format::OpenMetrics => out,
            Format::Text004 => text_format::from_openmetrics(&out),
        }
    }

    /// True once the aggregator has published its first tick.
    pub fn is_ready(&self) -> bool {
        self.source.snapshot().seq > 0
    }
}

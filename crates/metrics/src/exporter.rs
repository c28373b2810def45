//! `Exporter`: a prometheus-client registry holding one snapshot-reading collector, and encoding.

use crate::collector::SwarmCollector;
use crate::options::ExporterOptions;
use crate::source::MetricsSource;
use crate::text_format;
use prometheus_client::registry::Registry;
use std::borrow::Cow;
use std::sync::Arc;

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
        let labels = (options.labels.iter())
            .map(|(k, v)| (Cow::Owned(k.clone()), Cow::Owned(v.clone())))
            .collect::<Vec<_>>();
        let mut registry = Registry::with_labels(labels.into_iter());
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

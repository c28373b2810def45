//! The origin's own figures at the end of the run, as its exporters reported them.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// The origin's figures, read from its node_exporter and nginx exporter; each is absent when
/// that exporter was not scraped or did not answer. Every shard of a run scrapes the same
/// origin, so a merge keeps the figures of the shard that ended last (the latest reading),
/// not a sum.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct OriginFigures {
    /// CPU busy %, over all CPUs, between the last two scrapes.
    pub cpu_percent: Option<f64>,
    /// Memory in use, bytes.
    pub memory_used_bytes: Option<u64>,
    /// Memory installed, bytes (text only).
    #[serde(skip)]
    pub memory_total_bytes: Option<u64>,
    /// Network bytes received per second.
    pub net_rx_bytes_per_s: Option<f64>,
    /// Network bytes sent per second.
    pub net_tx_bytes_per_s: Option<f64>,
    /// nginx's active client connections.
    pub nginx_connections_active: Option<u64>,
    /// nginx requests per second between the last two scrapes.
    pub nginx_requests_per_s: Option<f64>,
    /// The exporters' last scrape errors, when any failed (text only).
    #[serde(skip)]
    pub scrape_errors: Option<String>,
}

impl OriginFigures {
    /// The "Origin" section.
    pub(crate) fn render(&self, text: &mut Text) {
        fn opt(v: Option<f64>, unit: &str, scale: f64) -> String {
            v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.1} {unit}", v / scale))
        }
        text.section("Origin (from its exporters, at the end of the run)");
        text.row("cpu", &opt(self.cpu_percent, "%", 1.0));
        let memory = match (self.memory_used_bytes, self.memory_total_bytes) {
            (Some(u), Some(t)) => format!("{:.1} of {:.1} GB", u as f64 / 1e9, t as f64 / 1e9),
            _ => "n/a".to_owned(),
        };
        text.row("memory used", &memory);
        text.row("network in", &opt(self.net_rx_bytes_per_s, "MB/s", 1e6));
        text.row("network out", &opt(self.net_tx_bytes_per_s, "MB/s", 1e6));
        let connections =
            (self.nginx_connections_active).map_or_else(|| "n/a".to_owned(), |v| format!("{v}"));
        text.row("nginx connections", &connections);
        text.row(
            "nginx requests",
            &opt(self.nginx_requests_per_s, "req/s", 1.0),
        );
        if let Some(errors) = &self.scrape_errors {
            text.row("scrape errors", errors);
        }
    }
}

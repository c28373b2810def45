//! The latency figures ffmpeg's log can support, each saying what it measures.

use std::collections::BTreeMap;

use hls_swarm_aggregate::{LatencySummary, Snapshot};
use hls_swarm_stats::LatencyKind;
use serde::Serialize;

use crate::text::Text;

/// One latency figure, ms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyFigure {
    /// What is measured.
    pub measures: &'static str,
    /// Samples.
    pub count: u64,
    /// Median, ms.
    pub p50: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Maximum, ms.
    pub max: f64,
    /// Mean, ms.
    pub mean: f64,
    /// Samples lost (a viewer's ring overflowed between ticks).
    pub lost: u64,
}

impl LatencyFigure {
    fn from_summary(s: &LatencySummary) -> LatencyFigure {
        LatencyFigure {
            measures: s.kind.meaning(),
            count: s.count,
            p50: s.p50_ms,
            p95: s.p95_ms,
            p99: s.p99_ms,
            max: s.max_ms,
            mean: s.mean_ms,
            lost: s.lost,
        }
    }
}

/// Every latency figure by name (`tcp_connect`, `playlist_fetch`).
pub(crate) fn from_snapshot(s: &Snapshot) -> BTreeMap<&'static str, LatencyFigure> {
    (LatencyKind::ALL.iter())
        .map(|&k| (k.name(), LatencyFigure::from_summary(s.latency.get(k))))
        .collect()
}

/// The "Latency" section: what each figure measures, then its percentiles.
pub(crate) fn render(figures: &BTreeMap<&'static str, LatencyFigure>, text: &mut Text) {
    text.section("Latency (ms)");
    for (name, l) in figures {
        text.line(&format!("  {name}: {}", l.measures));
        if l.count == 0 {
            text.row("", "no samples");
            continue;
        }
        let lost = if l.lost > 0 {
            format!(", {} lost", l.lost)
        } else {
            String::new()
        };
        text.row(
            "",
            &format!(
                "p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} samples{lost})",
                l.p50, l.p95, l.p99, l.max, l.count,
            ),
        );
    }
}

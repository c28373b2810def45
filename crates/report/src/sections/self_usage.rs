//! What hls-swarm itself cost its host (not its ffmpeg viewers).

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// hls-swarm's own resource use over the run.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct SelfUsage {
    /// User + system CPU seconds of the hls-swarm process (all threads but the request
    /// tap's), excluding its children.
    pub cpu_s: f64,
    /// Peak resident set size of the hls-swarm process, in bytes.
    pub peak_rss_bytes: u64,
    /// User + system CPU seconds of the request tap's own threads, when the run had the tap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap_cpu_s: Option<f64>,
}

impl SelfUsage {
    /// hls-swarm's cost over several shards, each on its own machine: CPU seconds add; the peak
    /// RSS is the largest any one shard's hls-swarm reached (what one machine must hold), not a
    /// sum. `None` unless every shard measured its own (a partial sum would be too low).
    pub(crate) fn merge(parts: &[Option<SelfUsage>]) -> Option<SelfUsage> {
        let mut merged = SelfUsage {
            cpu_s: 0.0,
            peak_rss_bytes: 0,
            tap_cpu_s: Some(0.0),
        };
        for part in parts {
            let part = (*part)?;
            merged.cpu_s += part.cpu_s;
            merged.peak_rss_bytes = merged.peak_rss_bytes.max(part.peak_rss_bytes);
            // The tap's CPU, when every shard had the tap.
            merged.tap_cpu_s = merged.tap_cpu_s.zip(part.tap_cpu_s).map(|(a, b)| a + b);
        }
        Some(merged)
    }

    /// The one line that says what hls-swarm cost.
    pub(crate) fn render(&self, text: &mut Text) {
        let tap = self
            .tap_cpu_s
            .map(|s| format!(", and its request tap {s:.1} s CPU"))
            .unwrap_or_default();
        text.section(&format!(
            "hls-swarm itself (not its viewers): {:.1} s CPU, {:.1} MB peak RSS{tap}",
            self.cpu_s,
            self.peak_rss_bytes as f64 / 1e6
        ));
    }
}

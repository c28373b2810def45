//! What hls-swarm itself cost its host (not its ffmpeg viewers).

use serde::Serialize;

use crate::text::Text;

/// hls-swarm's own resource use over the run.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct SelfUsage {
    /// User + system CPU seconds of the hls-swarm process (all threads), excluding its children.
    pub cpu_s: f64,
    /// Peak resident set size of the hls-swarm process, in bytes.
    pub peak_rss_bytes: u64,
}

impl SelfUsage {
    /// The one line that says what hls-swarm cost.
    pub(crate) fn render(&self, text: &mut Text) {
        text.section(&format!(
            "hls-swarm itself (not its viewers): {:.1} s CPU, {:.1} MB peak RSS",
            self.cpu_s,
            self.peak_rss_bytes as f64 / 1e6
        ));
    }
}

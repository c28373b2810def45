//! The line transport from ffmpeg to the parsers: lines read and dropped.

use hls_swarm_aggregate::Snapshot;
use serde::{Deserialize, Serialize};

use crate::text::Text;

/// Line transport.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PipelineTotals {
    /// Lines read, both streams.
    pub lines_read: u64,
    /// Lines dropped because a parser fell behind, both streams.
    pub lines_dropped: u64,
    /// Viewers that dropped any.
    pub viewers_with_drops: u64,
}

impl PipelineTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> PipelineTotals {
        PipelineTotals {
            lines_read: s.pipeline.lines_read(),
            lines_dropped: s.pipeline.lines_dropped(),
            viewers_with_drops: s.pipeline.viewers_with_drops,
        }
    }

    /// The line transport of several shards: every count adds (viewers never repeat across
    /// shards).
    pub(crate) fn merge<'a>(parts: impl IntoIterator<Item = &'a PipelineTotals>) -> PipelineTotals {
        let mut sum = PipelineTotals {
            lines_read: 0,
            lines_dropped: 0,
            viewers_with_drops: 0,
        };
        for p in parts {
            sum.lines_read += p.lines_read;
            sum.lines_dropped += p.lines_dropped;
            sum.viewers_with_drops += p.viewers_with_drops;
        }
        sum
    }

    /// The warning that heads the report when lines were dropped: every count is then low.
    pub(crate) fn render_warning(&self, text: &mut Text) {
        if self.lines_dropped > 0 {
            text.line(&format!(
                "WARNING: {} of {} ffmpeg output lines dropped ({} viewers): counts below are low",
                self.lines_dropped, self.lines_read, self.viewers_with_drops
            ));
        }
    }

    /// The "Pipeline" section.
    pub(crate) fn render(&self, text: &mut Text) {
        text.section("Pipeline");
        text.row("lines read", &format!("{} lines", self.lines_read));
        text.row("lines dropped", &format!("{} lines", self.lines_dropped));
    }
}

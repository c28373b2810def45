//! The ffmpeg the viewers ran, and what of it shapes the figures: its version, whether it
//! stamped its log lines to the millisecond, and the options hls-swarm had to leave out.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// The ffmpeg the viewers ran ([`crate::Report::with_ffmpeg`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FfmpegSummary {
    /// Its version as `ffmpeg -version` prints it (`5.1.9-0+deb12u1`,
    /// `n9.0.2-17-g2a571b6068-20260930`); in a merge, each shard's, distinct and sorted.
    pub versions: Vec<String>,
    /// ffmpeg stamped its log lines (the `datetime` log flag, ffmpeg 6 and later): the
    /// latencies taken from its log are then timed by those stamps, which have a resolution of
    /// 1 ms ([`crate::LatencyFigure::clock_step_ms`]).
    pub log_stamps_ms: bool,
    /// The options hls-swarm passes to an ffmpeg that has them, left out because this one does
    /// not (`-seg_max_retry`: a failed segment is not fetched again); in a merge, any shard's.
    pub options_missing: Vec<String>,
}

impl FfmpegSummary {
    /// The ffmpegs of several shards: every version, stamps when any shard's ffmpeg stamped
    /// (the merged histograms hold its samples), every option any shard went without. `None`
    /// unless every shard says which ffmpeg it ran.
    pub(crate) fn merge<'a>(
        parts: impl IntoIterator<Item = Option<&'a FfmpegSummary>>,
    ) -> Option<FfmpegSummary> {
        let mut merged = FfmpegSummary {
            versions: Vec::new(),
            log_stamps_ms: false,
            options_missing: Vec::new(),
        };
        for part in parts {
            let part = part?;
            merged.versions.extend(part.versions.iter().cloned());
            merged.log_stamps_ms |= part.log_stamps_ms;
            merged
                .options_missing
                .extend(part.options_missing.iter().cloned());
        }
        for list in [&mut merged.versions, &mut merged.options_missing] {
            list.sort();
            list.dedup();
        }
        Some(merged)
    }

    /// The header row: `n9.0.2-… (log stamped to 1 ms; without -seg_max_retry)`.
    pub(crate) fn render(&self, text: &mut Text) {
        text.row("ffmpeg", &self.describe());
    }

    /// One line: the version(s), and whether its log was stamped to 1 ms and which options it
    /// went without (`5.1.9-0+deb12u1 (without -seg_max_retry)`).
    pub fn describe(&self) -> String {
        let mut notes = Vec::new();
        if self.log_stamps_ms {
            notes.push("its log stamped to 1 ms".to_owned());
        }
        if !self.options_missing.is_empty() {
            notes.push(format!("without {}", self.options_missing.join(", ")));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        let versions = if self.versions.is_empty() {
            "unknown".to_owned()
        } else {
            self.versions.join(", ")
        };
        format!("{versions}{notes}")
    }
}

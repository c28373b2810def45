//! Viewer lifecycle: starts, restarts, stalls, and why viewers exited.

use std::collections::BTreeMap;

use hls_swarm_aggregate::Snapshot;
use serde::Serialize;

use crate::text::Text;

/// One kind of exit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExitDetail {
    /// `exit code 1`, `signal 9`, `stopped by hls-swarm`, `spawn failed`.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The last error line those processes logged.
    pub last_error: Option<String>,
}

/// Viewer lifecycle.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ViewerTotals {
    /// Viewers that started at least one process.
    pub started: u64,
    /// Process restarts.
    pub restarts: u64,
    /// Most viewers running at once (at tick resolution).
    pub peak_active: u64,
    /// Viewers running at the end.
    pub active_at_end: u64,
    /// Viewers that were stalled (below 0.9× for more than 5 s) at one tick or more of the run.
    pub stalled: u64,
    /// Exits by reason.
    pub exit_reasons: BTreeMap<String, u64>,
    /// Exits by reason and last error line, most frequent first.
    pub exits: Vec<ExitDetail>,
}

impl ViewerTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> ViewerTotals {
        let mut exit_reasons = BTreeMap::new();
        for e in s.exits.iter() {
            *exit_reasons.entry(e.reason.to_string()).or_default() += e.count;
        }
        ViewerTotals {
            started: s.viewers.started,
            restarts: s.viewers.restarts,
            peak_active: s.viewers.peak_active,
            active_at_end: s.viewers.active,
            stalled: s.playback.ever_stalled,
            exit_reasons,
            exits: (s.exits.iter())
                .map(|e| ExitDetail {
                    reason: e.reason.to_string(),
                    count: e.count,
                    last_error: e.last_error.as_deref().map(str::to_owned),
                })
                .collect(),
        }
    }

    /// The "Viewers" section.
    pub(crate) fn render(&self, text: &mut Text) {
        text.section("Viewers");
        text.row("started", &format!("{} viewers", self.started));
        text.row("peak running", &format!("{} viewers", self.peak_active));
        text.row("running at end", &format!("{} viewers", self.active_at_end));
        text.row("restarts", &format!("{} restarts", self.restarts));
        text.row(
            "stalled",
            &format!(
                "{} viewers stalled at some point (<0.9x for >5 s)",
                self.stalled
            ),
        );
        for e in &self.exits {
            let why = e.last_error.as_deref().unwrap_or("(no error line)");
            text.row(&e.reason, &format!("{} exits: {why}", e.count));
        }
    }
}

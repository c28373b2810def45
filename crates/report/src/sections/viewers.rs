//! Viewer lifecycle: starts, restarts, stalls, and why viewers exited.

use std::collections::BTreeMap;

use hls_swarm_aggregate::Snapshot;
use serde::{Deserialize, Serialize};

use super::sum_maps;
use crate::text::Text;

/// The key of [`ViewerTotals::peak_active`] in `upper_bounds`.
pub(crate) const PEAK_ACTIVE: &str = "viewers.peak_active";

/// One kind of exit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExitDetail {
    /// `exit code 1`, `signal 9`, `stopped by hls-swarm`, `spawn failed`.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The last error line those processes logged.
    pub last_error: Option<String>,
}

/// Viewer lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ViewerTotals {
    /// Viewers that started at least one process.
    pub started: u64,
    /// Process restarts.
    pub restarts: u64,
    /// Most viewers running at once (at tick resolution); in a merge, the sum of the shards'
    /// peaks (an upper bound: they need not have peaked at once).
    pub peak_active: u64,
    /// Viewers running at the end.
    pub active_at_end: u64,
    /// Viewers that were stalled (below 0.9×, or reporting nothing, for more than 5 s) at one tick
    /// or more of the run.
    pub stalled: u64,
    /// Exits by reason.
    pub exit_reasons: BTreeMap<String, u64>,
    /// Exits by reason and last error line, most frequent first (then by reason, then by line).
    pub exits: Vec<ExitDetail>,
}

impl ViewerTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> ViewerTotals {
        let mut exit_reasons = BTreeMap::new();
        for e in s.exits.iter() {
            *exit_reasons.entry(e.reason.to_string()).or_default() += e.count;
        }
        let mut exits: Vec<ExitDetail> = (s.exits.iter())
            .map(|e| ExitDetail {
                reason: e.reason.to_string(),
                count: e.count,
                last_error: e.last_error.as_deref().map(str::to_owned),
            })
            .collect();
        sort_exits(&mut exits);
        ViewerTotals {
            started: s.viewers.started,
            restarts: s.viewers.restarts,
            peak_active: s.viewers.peak_active,
            active_at_end: s.viewers.active,
            stalled: s.playback.ever_stalled,
            exit_reasons,
            exits,
        }
    }

    /// The viewers of several shards (whose viewers never repeat): counts add, exits combine
    /// by reason and last error line, and the peaks add (an upper bound).
    pub(crate) fn merge(parts: &[&ViewerTotals]) -> ViewerTotals {
        let sum = |f: fn(&ViewerTotals) -> u64| parts.iter().map(|v| f(v)).sum::<u64>();
        let mut by_kind: BTreeMap<(&str, Option<&str>), u64> = BTreeMap::new();
        for e in parts.iter().flat_map(|v| &v.exits) {
            *by_kind
                .entry((&e.reason, e.last_error.as_deref()))
                .or_default() += e.count;
        }
        let mut exits: Vec<ExitDetail> = (by_kind.into_iter())
            .map(|((reason, last_error), count)| ExitDetail {
                reason: reason.to_owned(),
                count,
                last_error: last_error.map(str::to_owned),
            })
            .collect();
        sort_exits(&mut exits);
        ViewerTotals {
            started: sum(|v| v.started),
            restarts: sum(|v| v.restarts),
            peak_active: sum(|v| v.peak_active),
            active_at_end: sum(|v| v.active_at_end),
            stalled: sum(|v| v.stalled),
            exit_reasons: sum_maps(parts.iter().map(|v| &v.exit_reasons)),
            exits,
        }
    }

    /// The "Viewers" section; `peak_is_bound` when `peak_active` is an upper bound.
    pub(crate) fn render(&self, peak_is_bound: bool, text: &mut Text) {
        text.section("Viewers");
        text.row("started", &format!("{} viewers", self.started));
        let peak = if peak_is_bound {
            format!(
                "at most {} viewers (the sum of each shard's peak)",
                self.peak_active
            )
        } else {
            format!("{} viewers", self.peak_active)
        };
        text.row("peak running", &peak);
        text.row("running at end", &format!("{} viewers", self.active_at_end));
        text.row("restarts", &format!("{} restarts", self.restarts));
        text.row(
            "stalled",
            &format!(
                "{} viewers stalled at some point (<0.9x or silent for >5 s)",
                self.stalled
            ),
        );
        for e in &self.exits {
            // A graceful stop logs no error line: then the count alone.
            let line = match &e.last_error {
                Some(why) => format!("{} exits: {why}", e.count),
                None => format!("{} exits", e.count),
            };
            text.row(&e.reason, &line);
        }
    }
}

/// Most frequent first, then by reason, then by last error line (none first): one order for a
/// run and for a merge, so equal exits list the same way in both.
fn sort_exits(exits: &mut [ExitDetail]) {
    exits.sort_by(|a, b| {
        (b.count.cmp(&a.count))
            .then_with(|| a.reason.cmp(&b.reason))
            .then_with(|| a.last_error.cmp(&b.last_error))
    });
}

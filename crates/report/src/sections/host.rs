//! The machine hls-swarm ran on: how long it was saturated, its peaks and capacity, how long
//! the ramp was held, and how many stalls began while it was saturated.

use hls_swarm_aggregate::{HostFigures, Snapshot};
use hls_swarm_host::CapacityEstimate;
use serde::{Deserialize, Serialize};

use crate::text::{Text, human_bytes};

/// What the host could give: found once at the start of the run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostCapacity {
    /// Effective CPU capacity, cores: the smallest of the online CPUs, the affinity mask and the
    /// cgroup quota. In a merge, the sum of the shards' (each shard on a host of its own).
    pub cpu_cores: f64,
    /// Where `cpu_cores` came from: `machine`, `affinity` or `cgroup` (`mixed` in a merge of
    /// shards that differ).
    pub cpu_source: String,
    /// Memory limit, bytes: the smaller of MemTotal and the cgroup's limit. In a merge, the sum.
    pub memory_bytes: u64,
    /// Where `memory_bytes` came from: `machine` or `cgroup` (`mixed` in a merge).
    pub memory_source: String,
    /// How many viewers the host can hold, estimated from its capacity and the measured cost of
    /// one viewer, keeping 20 % free. In a merge, the sum.
    pub estimate_viewers: u32,
    /// Which resource bounds the estimate: `cpu` or `memory` (`mixed` in a merge).
    pub estimate_limited_by: String,
}

/// The host's section of the summary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostSummary {
    /// Seconds the host was saturated (CPU busy ≥ 90 % of its capacity, or memory used ≥ 95 %
    /// of its limit). In a merge, the largest shard's.
    pub saturated_s: f64,
    /// Seconds the ramp was held because the host was saturated. In a merge, the largest
    /// shard's.
    pub ramp_held_s: f64,
    /// Peak CPU busy of any sample, cores; `null` when never measured. In a merge, the largest
    /// shard's.
    pub peak_cpu_cores: Option<f64>,
    /// Peak CPU busy, % of the capacity. In a merge, the largest shard's.
    pub peak_cpu_percent: Option<f64>,
    /// Peak memory used (unreclaimable), bytes. In a merge, the largest shard's.
    pub peak_memory_bytes: Option<u64>,
    /// Peak memory used, % of the limit. In a merge, the largest shard's.
    pub peak_memory_percent: Option<f64>,
    /// Viewers whose first stall began while the host was saturated (of `viewers.stalled`):
    /// stalls that may be this machine's, not the origin's. In a merge, the sum.
    pub stall_onsets_while_saturated: u64,
    /// What the host could give.
    pub capacity: HostCapacity,
}

impl HostSummary {
    /// The section of a run whose host was sampled; `None` when it never was.
    pub(crate) fn from_snapshot(s: &Snapshot) -> Option<HostSummary> {
        s.host.as_ref().map(HostSummary::from_figures)
    }

    fn from_figures(h: &HostFigures) -> HostSummary {
        let limits = &h.sample.limits;
        let estimate = CapacityEstimate::of(limits);
        HostSummary {
            saturated_s: h.saturated_s,
            ramp_held_s: h.ramp_held_s,
            peak_cpu_cores: h.peak_cpu_busy_cores,
            peak_cpu_percent: h.peak_cpu_busy_share.map(|s| s * 100.0),
            peak_memory_bytes: h.peak_memory_used_bytes,
            peak_memory_percent: h.peak_memory_used_share.map(|s| s * 100.0),
            stall_onsets_while_saturated: h.stall_onsets_while_saturated,
            capacity: HostCapacity {
                cpu_cores: limits.cpu_cores,
                cpu_source: limits.cpu_source.as_str().to_owned(),
                memory_bytes: limits.memory_bytes,
                memory_source: limits.memory_source.as_str().to_owned(),
                estimate_viewers: estimate.viewers,
                estimate_limited_by: estimate.limited_by().as_str().to_owned(),
            },
        }
    }

    /// The section of several shards: times and peaks are the largest shard's, stall onsets
    /// and capacities add (each shard on a host of its own). `None` when no shard has one (an
    /// older summary, a replay): absent, never 0.
    pub(crate) fn merge(parts: &[Option<&HostSummary>]) -> Option<HostSummary> {
        let parts: Vec<&HostSummary> = parts.iter().flatten().copied().collect();
        let first = parts.first()?;
        let max = |f: fn(&HostSummary) -> f64| parts.iter().map(|h| f(h)).fold(0.0, f64::max);
        let peak = |f: fn(&HostSummary) -> Option<f64>| {
            (parts.iter().filter_map(|h| f(h))).reduce(f64::max)
        };
        let same = |f: fn(&HostCapacity) -> &String| {
            let value = f(&first.capacity);
            if parts.iter().all(|h| f(&h.capacity) == value) {
                value.clone()
            } else {
                "mixed".to_owned()
            }
        };
        Some(HostSummary {
            saturated_s: max(|h| h.saturated_s),
            ramp_held_s: max(|h| h.ramp_held_s),
            peak_cpu_cores: peak(|h| h.peak_cpu_cores),
            peak_cpu_percent: peak(|h| h.peak_cpu_percent),
            peak_memory_bytes: parts.iter().filter_map(|h| h.peak_memory_bytes).max(),
            peak_memory_percent: peak(|h| h.peak_memory_percent),
            stall_onsets_while_saturated: parts
                .iter()
                .map(|h| h.stall_onsets_while_saturated)
                .sum(),
            capacity: HostCapacity {
                cpu_cores: parts.iter().map(|h| h.capacity.cpu_cores).sum(),
                cpu_source: same(|c| &c.cpu_source),
                memory_bytes: parts.iter().map(|h| h.capacity.memory_bytes).sum(),
                memory_source: same(|c| &c.memory_source),
                estimate_viewers: (parts.iter())
                    .map(|h| h.capacity.estimate_viewers)
                    .fold(0u32, u32::saturating_add),
                estimate_limited_by: same(|c| &c.estimate_limited_by),
            },
        })
    }

    /// The "Host" section; `stalled` is how many viewers stalled at all, and `merged` says
    /// whether the figures are of several shards.
    pub(crate) fn render(&self, stalled: u64, merged: bool, text: &mut Text) {
        let (largest, each) = if merged {
            (" (largest shard's)", " (sum of the shards' hosts)")
        } else {
            ("", "")
        };
        text.section("Host (the machine hls-swarm ran on)");
        let c = &self.capacity;
        text.row(
            "capacity",
            &format!(
                "{:.2} cores ({}), {} memory ({}){each}",
                c.cpu_cores,
                c.cpu_source,
                human_bytes(c.memory_bytes),
                c.memory_source
            ),
        );
        text.row(
            "estimate",
            &format!(
                "about {} viewers (bound by {}){each}",
                c.estimate_viewers, c.estimate_limited_by
            ),
        );
        let cpu = match (self.peak_cpu_cores, self.peak_cpu_percent) {
            (Some(cores), Some(pct)) => {
                format!("{cores:.2} cores, {pct:.0} % of capacity{largest}")
            }
            _ => "n/a".to_owned(),
        };
        text.row("peak cpu", &cpu);
        let memory = match (self.peak_memory_bytes, self.peak_memory_percent) {
            (Some(b), Some(pct)) => format!("{}, {pct:.0} % of the limit{largest}", human_bytes(b)),
            _ => "n/a".to_owned(),
        };
        text.row("peak memory", &memory);
        text.row("saturated", &format!("{:.1} s{largest}", self.saturated_s));
        text.row("ramp held", &format!("{:.1} s{largest}", self.ramp_held_s));
        text.row(
            "stalls while saturated",
            &format!(
                "{} of the {stalled} viewers that stalled began stalling while {} was saturated",
                self.stall_onsets_while_saturated,
                if merged {
                    "its shard's host"
                } else {
                    "this host"
                }
            ),
        );
    }
}

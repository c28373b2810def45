//! The host's figures (the machine hls-swarm runs on) as `hls_swarm_host_*` families.

use crate::encode::Families;
use hls_swarm_aggregate::HostFigures;
use std::fmt::Error;

/// The host's series; none before the first sample, and each gauge only when its figure is
/// known (no made-up zeros).
pub(crate) fn encode(out: &mut Families<'_>, host: Option<&HostFigures>) -> Result<(), Error> {
    let Some(h) = host else { return Ok(()) };
    let limits = &h.sample.limits;
    out.gauge_opt(
        "hls_swarm_host_cpu_busy_cores",
        "CPU busy on the host between its last two samples, cores (the cgroup's usage when its quota is the limit, else the allowed CPUs' non-idle time).",
        h.sample.cpu_busy_cores,
    )?;
    out.gauge(
        "hls_swarm_host_cpu_capacity_cores",
        "The host's CPU capacity, cores: the smallest of the online CPUs, the affinity mask and the cgroup CPU quota.",
        limits.cpu_cores,
    )?;
    out.gauge_opt(
        "hls_swarm_host_memory_used_bytes",
        "Unreclaimable memory in use on the host: MemTotal - MemAvailable, or a limiting cgroup's working set (usage - inactive file).",
        h.sample.memory_used_bytes,
    )?;
    out.gauge(
        "hls_swarm_host_memory_limit_bytes",
        "The host's memory limit: the smaller of MemTotal and the cgroup's memory limit.",
        limits.memory_bytes,
    )?;
    out.gauge(
        "hls_swarm_host_saturated",
        "1 while the host is saturated (CPU busy >= 90 % of its capacity, or memory used >= 95 % of its limit), else 0.",
        i64::from(h.saturated),
    )?;
    out.counter(
        "hls_swarm_host_saturated_seconds",
        "Seconds the host was saturated so far.",
        h.saturated_s,
    )?;
    out.counter(
        "hls_swarm_host_stall_onsets_while_saturated",
        "Viewers whose first stall began while the host was saturated.",
        h.stall_onsets_while_saturated,
    )?;
    out.counter(
        "hls_swarm_ramp_held_seconds",
        "Seconds the ramp was held because the host was saturated (at most --max-ramp-hold).",
        h.ramp_held_s,
    )
}

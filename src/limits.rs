//! Preflight of the machine's limits: open files and processes for N viewers, and how many
//! viewers its CPU and memory can hold.

use hls_swarm_host::{
    CapacityEstimate, HostLimits, HostSampler, VIEWER_CPU_CORES, VIEWER_MEMORY_BYTES,
    VIEWER_START_CPU_SECONDS,
};

use crate::log::Log;

/// File descriptors hls-swarm itself holds per viewer (stderr pipe, progress pipe, pidfd and
/// spare), plus a fixed reserve for sockets, the runtime and the metrics server.
const FDS_PER_VIEWER: u64 = 8;
const FDS_RESERVE: u64 = 128;

/// Raises the open-files soft limit to the hard limit when `viewers` (this shard's) need more,
/// and warns (one line each, with what to do) when the hard limits are too low, when they are
/// more than this machine can hold (of `total_viewers` in the whole run), or when this shard's
/// `ramp_rate` starts viewers faster than this machine can. Never fails the run.
pub fn check(viewers: u32, total_viewers: u32, ramp_rate: f64, log: &Log) {
    if let Ok(host) = HostSampler::live() {
        let limits = host.limits();
        if let Some(what) = capacity_warning(viewers, total_viewers, &limits) {
            log.warn("more_viewers_than_this_machine_holds", &[("what", what)]);
        }
        if let Some(what) = ramp_warning(viewers, ramp_rate, &limits) {
            log.warn("ramp_faster_than_this_machine_starts", &[("what", what)]);
        }
    }
    let need_fds = u64::from(viewers) * FDS_PER_VIEWER + FDS_RESERVE;
    if let Some((soft, hard)) = get(libc::RLIMIT_NOFILE)
        && soft < need_fds
    {
        let raised = hard.min(need_fds.max(soft));
        if set(libc::RLIMIT_NOFILE, raised, hard) {
            log.event(
                "raised_open_files_limit",
                &[("from", soft.to_string()), ("to", raised.to_string())],
            );
        }
        if raised < need_fds {
            log.warn(
                "open_files_limit_low",
                &[(
                    "what",
                    format!(
                        "{viewers} viewers need about {need_fds} open files but the limit is {raised}: raise it (ulimit -n {need_fds}) or run fewer viewers"
                    ),
                )],
            );
        }
    }
    let need_procs = u64::from(viewers) + 64;
    if let Some((soft, _)) = get(libc::RLIMIT_NPROC)
        && soft < need_procs
    {
        log.warn(
            "process_limit_low",
            &[(
                "what",
                format!(
                    "{viewers} viewers need about {need_procs} processes but the limit is {soft}: raise it (ulimit -u {need_procs}) or run fewer viewers"
                ),
            )],
        );
    }
}

/// The warning when `viewers` exceed what a host with `limits` can hold, by the estimate.
fn capacity_warning(viewers: u32, total_viewers: u32, limits: &HostLimits) -> Option<String> {
    let estimate = CapacityEstimate::of(limits);
    if viewers <= estimate.viewers {
        return None;
    }
    let shards = estimate.shards_for(u64::from(total_viewers));
    Some(format!(
        "{viewers} viewers is more than the about {} this machine can hold (an estimate from its {:.2} cores ({}) and {:.1} GB memory ({}) at about {:.2} % of a core and {} MB per viewer, keeping 20 % free; {} runs out first): expect stalls this machine causes, or split the run, e.g. --shards {shards} on machines like this one",
        estimate.viewers,
        limits.cpu_cores,
        limits.cpu_source.as_str(),
        limits.memory_bytes as f64 / 1e9,
        limits.memory_source.as_str(),
        VIEWER_CPU_CORES * 100.0,
        VIEWER_MEMORY_BYTES / 1_000_000,
        estimate.limited_by().as_str(),
    ))
}

/// The warning when starting `viewers` at `ramp_rate` a second would take more CPU than a host
/// with `limits` has: each start costs about [`VIEWER_START_CPU_SECONDS`] (a ramp of a few
/// viewers is over before it matters, so it is not warned about).
fn ramp_warning(viewers: u32, ramp_rate: f64, limits: &HostLimits) -> Option<String> {
    let sustainable = CapacityEstimate::starts_per_second(limits);
    // A ramp shorter than two seconds' worth of starts is a burst the host absorbs.
    if ramp_rate <= sustainable || f64::from(viewers) <= 2.0 * sustainable {
        return None;
    }
    Some(format!(
        "--ramp-rate {ramp_rate} starts viewers faster than the about {sustainable:.0} a second this machine can (an estimate: each ffmpeg costs about {VIEWER_START_CPU_SECONDS} s of CPU to start, on {:.2} cores keeping 20 % free): the ramp will be held while the machine is saturated (--max-ramp-hold); a lower --ramp-rate, or more shards, keeps the ramp on schedule",
        limits.cpu_cores,
    ))
}

fn get(resource: libc::__rlimit_resource_t) -> Option<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    (unsafe { libc::getrlimit(resource, &raw mut lim) } == 0)
        .then_some((lim.rlim_cur, lim.rlim_max))
}

fn set(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> bool {
    let lim = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit reads the struct we own; lowering nothing, raising soft up to hard.
    unsafe { libc::setrlimit(resource, &raw const lim) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hls_swarm_host::LimitSource;

    fn two_cores() -> HostLimits {
        HostLimits {
            cpu_cores: 2.0,
            cpu_source: LimitSource::Machine,
            online_cpus: 2,
            affinity_cpus: 2,
            memory_bytes: 24_000_000_000,
            memory_source: LimitSource::Machine,
        }
    }

    #[test]
    fn more_viewers_than_the_estimate_warn_with_the_shards_that_fit() {
        // 2 cores hold about 842 viewers.
        assert_eq!(capacity_warning(842, 842, &two_cores()), None);
        let what = capacity_warning(100_000, 100_000, &two_cores()).unwrap();
        for wanted in [
            "100000 viewers",
            "about 842",
            "2.00 cores (machine)",
            "24.0 GB",
            "cpu runs out first",
            "--shards 119",
        ] {
            assert!(what.contains(wanted), "{wanted:?} not in {what:?}");
        }
        // A shard of a 4-shard run: the whole run's 4000 viewers need 5 such machines.
        let what = capacity_warning(1000, 4000, &two_cores()).unwrap();
        assert!(
            what.contains("1000 viewers") && what.contains("--shards 5"),
            "{what}"
        );
    }

    #[test]
    fn a_ramp_faster_than_the_machine_starts_viewers_warns() {
        // 2 cores start about 10.7 viewers a second.
        assert_eq!(ramp_warning(600, 10.0, &two_cores()), None);
        // A burst of a few viewers is absorbed.
        assert_eq!(ramp_warning(20, 25.0, &two_cores()), None);
        let what = ramp_warning(600, 25.0, &two_cores()).unwrap();
        for wanted in [
            "--ramp-rate 25",
            "about 11 a second",
            "2.00 cores",
            "--max-ramp-hold",
        ] {
            assert!(what.contains(wanted), "{wanted:?} not in {what:?}");
        }
    }
}

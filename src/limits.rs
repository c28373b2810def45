//! Preflight of the machine's limits: open files and processes for N viewers.

use crate::log::Log;

/// File descriptors hls-swarm itself holds per viewer (stderr pipe, progress pipe, pidfd and
/// spare), plus a fixed reserve for sockets, the runtime and the metrics server.
const FDS_PER_VIEWER: u64 = 8;
const FDS_RESERVE: u64 = 128;

/// Raises the open-files soft limit to the hard limit when `viewers` need more, and warns
/// (one line each, with what to do) when the hard limits are too low. Never fails the run.
pub fn check(viewers: u32, log: &Log) {
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

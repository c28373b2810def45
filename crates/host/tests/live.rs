//! The sampler on this machine: its capacity against the kernel's own answers (sysconf,
//! sched_getaffinity), and a CPU burner on every core driving the busy share to saturation.

use std::process::Command;
use std::time::{Duration, Instant};

use hls_swarm_host::{CPU_SATURATED_SHARE, HostSampler};
use hls_swarm_testkit::{Guarded, poll};

/// CPUs in this process's affinity mask, from the syscall.
fn affinity_count() -> u32 {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes into it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &raw mut set) };
    assert_eq!(rc, 0, "sched_getaffinity failed");
    // SAFETY: the set was filled by the kernel.
    unsafe { libc::CPU_COUNT(&set) as u32 }
}

fn online_count() -> u32 {
    // SAFETY: sysconf has no preconditions.
    u32::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }).unwrap()
}

fn mem_total() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kb: u64 = (meminfo.lines())
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

#[test]
fn the_capacity_is_what_the_kernel_says() {
    let host = HostSampler::live().unwrap();
    let limits = host.limits();
    assert_eq!(limits.online_cpus, online_count());
    assert_eq!(limits.affinity_cpus, affinity_count());
    // This machine and CI set no CPU quota: the capacity is the smaller of the two counts.
    let expected = online_count().min(affinity_count());
    assert!(
        limits.cpu_cores <= f64::from(expected),
        "capacity {} above the {expected} CPUs this process may use",
        limits.cpu_cores
    );
    assert!(limits.memory_bytes <= mem_total());
    assert!(limits.memory_bytes > 0);
}

#[test]
fn a_burner_on_every_core_saturates_the_host() {
    let mut host = HostSampler::live().unwrap();
    let cores = host.limits().cpu_cores.ceil() as u32;
    let burners: Vec<Guarded> = (0..cores)
        .map(|_| Guarded::spawn(Command::new("sh").args(["-c", "while :; do :; done"])))
        .collect();
    host.sample();
    let mut last = Instant::now();
    let mut seen = Vec::new();
    // A sample covers the time since the previous one: at least 200 ms, so that a share is
    // over enough scheduler ticks (10 ms each) to mean something.
    let saturated = poll::until(Duration::from_secs(10), || {
        if last.elapsed() < Duration::from_millis(200) {
            return false;
        }
        last = Instant::now();
        let sample = host.sample();
        seen.push(sample.cpu_busy_share());
        sample
            .cpu_busy_share()
            .is_some_and(|s| s >= CPU_SATURATED_SHARE)
            && sample.is_saturated()
    });
    drop(burners);
    assert!(
        saturated,
        "{cores} burners never drove the busy share to 90 %: {seen:?}"
    );
}

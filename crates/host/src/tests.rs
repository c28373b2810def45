//! The sampler on fixture trees of real-looking `/proc` and cgroup v1 and v2 files.

use std::path::Path;
use std::time::{Duration, Instant};

use hls_swarm_testkit::Scratch;

use crate::procfs::{parse_cpu_list, parse_meminfo, parse_stat};
use crate::{CapacityEstimate, HostSampler, LimitSource, Resource};

const GIB: u64 = 1 << 30;

/// Writes `text` at `path` under `root`, making its directories.
fn put(root: &Path, path: &str, text: &str) {
    let path = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `/proc/stat` of a machine with `cpus` CPUs, each with `busy` and `idle` ticks (user and
/// idle columns), and the lines the sampler must skip.
fn stat(cpus: &[(u64, u64)]) -> String {
    let (busy, idle) = (cpus.iter()).fold((0, 0), |(b, i), (cb, ci)| (b + cb, i + ci));
    let mut text = format!("cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\n");
    for (n, (b, i)) in cpus.iter().enumerate() {
        text += &format!("cpu{n} {b} 0 0 {i} 0 0 0 0 0 0\n");
    }
    text + "intr 12345 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 42\n"
}

/// A machine under `root`: `cpus` CPUs online and allowed, `total` bytes of memory of which
/// `available` are available, and the given cgroup files.
fn machine(root: &Path, cpus: u32, total: u64, available: u64) {
    put(root, "/proc/stat", &stat(&vec![(100, 900); cpus as usize]));
    put(
        root,
        "/proc/meminfo",
        &format!(
            "MemTotal:       {} kB\nMemFree:         1000 kB\nMemAvailable:   {} kB\nBuffers:  1 kB\n",
            total / 1024,
            available / 1024
        ),
    );
    let list = format!("0-{}", cpus - 1);
    put(root, "/sys/devices/system/cpu/online", &format!("{list}\n"));
    put(
        root,
        "/proc/self/status",
        &format!(
            "Name:\ths\nCpus_allowed:\t3\nCpus_allowed_list:\t{list}\nMems_allowed_list:\t0\n"
        ),
    );
}

/// This machine's cgroup layout (v1 hybrid): cpu, cpuacct and memory mounted apart, the
/// process in `/process_api/abc` of the memory hierarchy and at the root of the others.
fn v1_hybrid(root: &Path) {
    put(
        root,
        "/proc/self/cgroup",
        "9:name=systemd:/\n4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n",
    );
    put(
        root,
        "/proc/self/mountinfo",
        "23 1 0:21 / /proc rw,nosuid - proc proc rw\n\
         31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
         32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
         33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n\
         35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n\
         41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw\n",
    );
    put(root, "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
    put(root, "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    put(
        root,
        "/sys/fs/cgroup/cpuacct/cpuacct.usage",
        "11437915170640\n",
    );
    let mem = "/sys/fs/cgroup/memory/process_api/abc";
    put(
        root,
        &format!("{mem}/memory.limit_in_bytes"),
        "9223372036854771712\n",
    );
    put(
        root,
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        "9223372036854771712\n",
    );
    put(root, "/sys/fs/cgroup/unified/cgroup.controllers", "");
}

/// A Kubernetes-style v2 container: the process in `/kubepods/pod1/ctr`, with `cpu.max` and
/// `memory.max` set on the container.
fn v2_container(root: &Path, cpu_max: &str, memory_max: &str) {
    put(root, "/proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
    put(
        root,
        "/proc/self/mountinfo",
        "24 30 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
    );
    let dir = "/sys/fs/cgroup/kubepods/pod1/ctr";
    put(
        root,
        &format!("{dir}/cgroup.controllers"),
        "cpuset cpu io memory pids\n",
    );
    put(root, &format!("{dir}/cpu.max"), cpu_max);
    put(root, &format!("{dir}/memory.max"), memory_max);
    put(root, "/sys/fs/cgroup/kubepods/pod1/cpu.max", "max 100000\n");
    put(root, "/sys/fs/cgroup/kubepods/pod1/memory.max", "max\n");
    put(
        root,
        &format!("{dir}/cpu.stat"),
        "usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\n",
    );
    put(root, &format!("{dir}/memory.current"), "300000000\n");
    put(
        root,
        &format!("{dir}/memory.stat"),
        "anon 200000000\nfile 100000000\nactive_file 40000000\ninactive_file 60000000\n",
    );
}

#[test]
fn cpu_lists_parse_as_the_kernel_writes_them() {
    assert_eq!(
        parse_cpu_list("0-3,5,7-8\n"),
        Some(vec![0, 1, 2, 3, 5, 7, 8])
    );
    assert_eq!(parse_cpu_list("0"), Some(vec![0]));
    assert_eq!(parse_cpu_list("3-1"), None);
    assert_eq!(parse_cpu_list("a-b"), None);
}

#[test]
fn proc_stat_counts_non_idle_time_of_the_asked_cpus() {
    let text = "cpu  10 1 2 100 7 3 4 5 9 9\ncpu0 6 1 1 50 3 1 2 2 0 0\ncpu1 4 0 1 50 4 2 2 3 0 0\nintr 1\n";
    let all = parse_stat(text, None).unwrap();
    // user + nice + system + irq + softirq + steal; guest columns are inside user already.
    assert_eq!(all.busy, 10 + 1 + 2 + 3 + 4 + 5);
    assert_eq!(all.total, all.busy + 100 + 7);
    let one = parse_stat(text, Some(&[1])).unwrap();
    assert_eq!((one.busy, one.total), (4 + 1 + 2 + 2 + 3, 12 + 50 + 4));
    assert_eq!(
        parse_stat(text, Some(&[2])),
        None,
        "an absent CPU is not zero"
    );
}

#[test]
fn meminfo_needs_both_total_and_available() {
    let info = parse_meminfo("MemTotal: 4 kB\nMemFree: 1 kB\nMemAvailable: 3 kB\n").unwrap();
    assert_eq!((info.total, info.available), (4096, 3072));
    assert_eq!(parse_meminfo("MemTotal: 4 kB\n"), None);
}

#[test]
fn a_v1_hybrid_machine_without_limits_is_the_machine() {
    let dir = Scratch::new("host-v1-hybrid");
    machine(dir.path(), 2, 24 * GIB, 20 * GIB);
    v1_hybrid(dir.path());
    let mut host = HostSampler::open(dir.path()).unwrap();
    let limits = host.limits();
    assert_eq!(
        (limits.cpu_cores, limits.cpu_source),
        (2.0, LimitSource::Machine)
    );
    assert_eq!(
        (limits.memory_bytes, limits.memory_source),
        (24 * GIB, LimitSource::Machine)
    );
    let first = host.sample();
    assert_eq!(first.cpu_busy_cores, None);
    assert_eq!(first.memory_used_bytes, Some(4 * GIB));
}

#[test]
fn a_v1_memory_limit_and_cpu_quota_are_the_capacity() {
    let dir = Scratch::new("host-v1-limits");
    let root = dir.path();
    machine(root, 4, 24 * GIB, 20 * GIB);
    v1_hybrid(root);
    // The quota on the parent of the process's cgroup; the process at /a/b in cpu and cpuacct.
    put(
        root,
        "/proc/self/cgroup",
        "4:memory:/process_api/abc\n2:cpuacct:/a/b\n1:cpu:/a/b\n0::/\n",
    );
    put(root, "/sys/fs/cgroup/cpu/a/b/cpu.cfs_quota_us", "-1\n");
    put(root, "/sys/fs/cgroup/cpu/a/b/cpu.cfs_period_us", "100000\n");
    put(root, "/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us", "150000\n");
    put(root, "/sys/fs/cgroup/cpu/a/cpu.cfs_period_us", "100000\n");
    put(root, "/sys/fs/cgroup/cpuacct/a/b/cpuacct.usage", "7\n");
    put(
        root,
        "/sys/fs/cgroup/cpuacct/a/cpuacct.usage",
        "1000000000\n",
    );
    let mem = "/sys/fs/cgroup/memory/process_api/abc";
    put(
        root,
        &format!("{mem}/memory.limit_in_bytes"),
        &format!("{}\n", 2 * GIB),
    );
    put(
        root,
        &format!("{mem}/memory.usage_in_bytes"),
        &format!("{}\n", GIB),
    );
    put(
        root,
        &format!("{mem}/memory.stat"),
        &format!(
            "cache 5\ninactive_file 1\nhierarchical_memory_limit 2\ntotal_inactive_file {}\n",
            GIB / 4
        ),
    );
    let mut host = HostSampler::open(root).unwrap();
    let limits = host.limits();
    assert_eq!(
        (limits.cpu_cores, limits.cpu_source),
        (1.5, LimitSource::Cgroup)
    );
    assert_eq!(
        (limits.memory_bytes, limits.memory_source),
        (2 * GIB, LimitSource::Cgroup)
    );
    let t0 = Instant::now();
    let first = host.sample_at(t0);
    // The working set: usage minus the hierarchy's inactive file pages.
    assert_eq!(first.memory_used_bytes, Some(GIB - GIB / 4));
    // 0.6 s of CPU in 0.5 s on the cgroup that holds the quota: 1.2 cores, 80 % of 1.5.
    put(
        root,
        "/sys/fs/cgroup/cpuacct/a/cpuacct.usage",
        "1600000000\n",
    );
    let second = host.sample_at(t0 + Duration::from_millis(500));
    assert_eq!(second.interval, Some(Duration::from_millis(500)));
    let busy = second.cpu_busy_cores.unwrap();
    assert!((busy - 1.2).abs() < 1e-9, "{busy}");
    assert!(!second.is_saturated());
    // 1.4 cores: 93 % of the quota, saturated.
    put(
        root,
        "/sys/fs/cgroup/cpuacct/a/cpuacct.usage",
        "2300000000\n",
    );
    let third = host.sample_at(t0 + Duration::from_millis(1000));
    assert!(third.cpu_saturated() && third.is_saturated(), "{third:?}");
}

#[test]
fn a_v2_container_is_its_cgroup() {
    let dir = Scratch::new("host-v2");
    let root = dir.path();
    machine(root, 8, 64 * GIB, 60 * GIB);
    v2_container(root, "250000 100000\n", &format!("{}\n", GIB));
    let mut host = HostSampler::open(root).unwrap();
    let limits = host.limits();
    assert_eq!(
        (limits.cpu_cores, limits.cpu_source),
        (2.5, LimitSource::Cgroup)
    );
    assert_eq!(
        (limits.memory_bytes, limits.memory_source),
        (GIB, LimitSource::Cgroup)
    );
    let t0 = Instant::now();
    let first = host.sample_at(t0);
    assert_eq!(first.memory_used_bytes, Some(300_000_000 - 60_000_000));
    let ctr = "/sys/fs/cgroup/kubepods/pod1/ctr";
    // 1 s of CPU in 1 s: one core of 2.5.
    put(
        root,
        &format!("{ctr}/cpu.stat"),
        "usage_usec 6000000\nuser_usec 1\n",
    );
    let second = host.sample_at(t0 + Duration::from_secs(1));
    assert!((second.cpu_busy_cores.unwrap() - 1.0).abs() < 1e-9);
    assert!((second.cpu_busy_share().unwrap() - 0.4).abs() < 1e-9);
    // A working set of 1.03 GB is 96 % of the 1 GiB limit: saturated by memory alone.
    put(root, &format!("{ctr}/memory.current"), "1090000000\n");
    let third = host.sample_at(t0 + Duration::from_secs(2));
    assert!(
        third.memory_saturated() && !third.cpu_saturated(),
        "{third:?}"
    );
}

#[test]
fn a_v2_container_without_limits_is_the_machine() {
    let dir = Scratch::new("host-v2-unlimited");
    let root = dir.path();
    machine(root, 2, 8 * GIB, 6 * GIB);
    v2_container(root, "max 100000\n", "max\n");
    let mut host = HostSampler::open(root).unwrap();
    let limits = host.limits();
    assert_eq!(
        (limits.cpu_cores, limits.cpu_source),
        (2.0, LimitSource::Machine)
    );
    assert_eq!(
        (limits.memory_bytes, limits.memory_source),
        (8 * GIB, LimitSource::Machine)
    );
    let t0 = Instant::now();
    host.sample_at(t0);
    // /proc/stat: CPU 0 went 100 busy ticks further, CPU 1 none, each 100 ticks in all.
    put(root, "/proc/stat", &stat(&[(200, 900), (100, 1000)]));
    let second = host.sample_at(t0 + Duration::from_secs(1));
    assert!(
        (second.cpu_busy_cores.unwrap() - 1.0).abs() < 1e-9,
        "{second:?}"
    );
    assert_eq!(second.memory_used_bytes, Some(2 * GIB));
}

#[test]
fn a_narrow_affinity_mask_is_the_capacity_and_only_its_cpus_count() {
    let dir = Scratch::new("host-affinity");
    let root = dir.path();
    machine(root, 4, 8 * GIB, 6 * GIB);
    put(
        root,
        "/proc/self/status",
        "Name:\ths\nCpus_allowed_list:\t2\n",
    );
    let mut host = HostSampler::open(root).unwrap();
    let limits = host.limits();
    assert_eq!(
        (limits.cpu_cores, limits.cpu_source),
        (1.0, LimitSource::Affinity)
    );
    assert_eq!((limits.online_cpus, limits.affinity_cpus), (4, 1));
    let t0 = Instant::now();
    host.sample_at(t0);
    // CPUs 0 and 1 fully busy (not ours), CPU 2 (ours) 95 busy of 100 ticks.
    put(
        root,
        "/proc/stat",
        &stat(&[(200, 900), (200, 900), (195, 905), (100, 1000)]),
    );
    let second = host.sample_at(t0 + Duration::from_secs(1));
    assert!(
        (second.cpu_busy_cores.unwrap() - 0.95).abs() < 1e-9,
        "{second:?}"
    );
    assert!(second.is_saturated());
}

#[test]
fn a_missing_proc_is_an_error_that_says_so() {
    let dir = Scratch::new("host-missing");
    let error = HostSampler::open(dir.path()).unwrap_err().to_string();
    assert!(
        error.contains("proc/stat") && error.contains("absent"),
        "{error}"
    );
}

#[test]
fn an_unreadable_counter_is_an_absent_figure_not_zero() {
    let dir = Scratch::new("host-vanished");
    let root = dir.path();
    machine(root, 2, 8 * GIB, 6 * GIB);
    let mut host = HostSampler::open(root).unwrap();
    host.sample();
    std::fs::remove_file(root.join("proc/stat")).unwrap();
    std::fs::remove_file(root.join("proc/meminfo")).unwrap();
    let sample = host.sample();
    assert_eq!(
        (sample.cpu_busy_cores, sample.memory_used_bytes),
        (None, None)
    );
    assert!(!sample.is_saturated());
}

#[test]
fn the_estimate_is_the_scarcer_resource_with_headroom() {
    let dir = Scratch::new("host-estimate");
    machine(dir.path(), 2, 24 * GIB, 20 * GIB);
    let limits = HostSampler::open(dir.path()).unwrap().limits();
    let estimate = CapacityEstimate::of(&limits);
    // 2 cores x 0.8 / 0.0019 = 842.1; 24 GiB x 0.8 / 18 MB = 1145.3.
    assert_eq!((estimate.by_cpu, estimate.by_memory), (842, 1145));
    assert_eq!(
        (estimate.viewers, estimate.limited_by()),
        (842, Resource::Cpu)
    );
    assert_eq!(estimate.shards_for(100_000), 119);
    assert_eq!(estimate.shards_for(842), 1);
    assert_eq!(estimate.shards_for(843), 2);
    // 2 cores x 0.8 / 0.15 core-seconds a start.
    let starts = CapacityEstimate::starts_per_second(&limits);
    assert!((starts - 10.67).abs() < 0.01, "{starts}");
    let small = crate::HostLimits {
        memory_bytes: GIB,
        ..limits
    };
    let estimate = CapacityEstimate::of(&small);
    assert_eq!(
        (estimate.viewers, estimate.limited_by()),
        (47, Resource::Memory)
    );
}

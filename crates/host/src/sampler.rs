//! `HostSampler`: the host's capacity, found once, and its CPU and memory use, read per sample.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cgroup::{self, Controller, Version};
use crate::error::HostError;
use crate::procfs::{self, CpuTicks, read_into, read_optional, under};
use crate::saturation::{CPU_SATURATED_SHARE, MEMORY_SATURATED_SHARE};

/// Where a capacity figure came from: the smallest of the candidates wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitSource {
    /// The machine itself: its online CPUs, or its `MemTotal`.
    Machine,
    /// The process's CPU affinity mask (`taskset`, a cpuset), narrower than the online CPUs.
    Affinity,
    /// A cgroup limit (`cpu.max` / `cpu.cfs_quota_us`, `memory.max` / `memory.limit_in_bytes`):
    /// a container's share of the machine.
    Cgroup,
}

impl LimitSource {
    /// `machine`, `affinity` or `cgroup`, as the summary and the logs write it.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitSource::Machine => "machine",
            LimitSource::Affinity => "affinity",
            LimitSource::Cgroup => "cgroup",
        }
    }
}

/// What the host can give hls-swarm and its viewers: found once, when the sampler opens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostLimits {
    /// Effective CPU capacity, cores: the smallest of the online CPUs, the affinity mask and
    /// the cgroup quota (which may be fractional).
    pub cpu_cores: f64,
    /// Which of the three [`HostLimits::cpu_cores`] is.
    pub cpu_source: LimitSource,
    /// CPUs online on the machine.
    pub online_cpus: u32,
    /// CPUs in the process's affinity mask.
    pub affinity_cpus: u32,
    /// Memory limit, bytes: the smaller of `MemTotal` and the cgroup's limit.
    pub memory_bytes: u64,
    /// Which of the two [`HostLimits::memory_bytes`] is.
    pub memory_source: LimitSource,
}

/// The host at one moment: its limits and what is in use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostSample {
    /// The capacity the use is measured against.
    pub limits: HostLimits,
    /// CPU busy between the previous sample and this one, cores (e.g. 1.83 of 2.0): the
    /// cgroup's usage when its quota is the limit, else every allowed CPU's non-idle time.
    /// `None` on the first sample (a rate needs two) or when the counter could not be read.
    pub cpu_busy_cores: Option<f64>,
    /// Memory that cannot be reclaimed, bytes: `MemTotal - MemAvailable` for the machine, the
    /// working set (usage minus inactive file pages) for a limiting cgroup. `None` when it
    /// could not be read.
    pub memory_used_bytes: Option<u64>,
    /// The time since the previous sample: what [`HostSample::cpu_busy_cores`] is over, and how
    /// long this sample stands for. `None` on the first sample.
    pub interval: Option<Duration>,
}

impl HostSample {
    /// CPU busy as a share of the capacity, 0 to 1 (a little more on a cgroup that is over its
    /// quota within one period).
    pub fn cpu_busy_share(&self) -> Option<f64> {
        let busy = self.cpu_busy_cores?;
        (self.limits.cpu_cores > 0.0).then(|| busy / self.limits.cpu_cores)
    }

    /// Memory used as a share of the limit, 0 to 1.
    pub fn memory_used_share(&self) -> Option<f64> {
        let used = self.memory_used_bytes?;
        (self.limits.memory_bytes > 0).then(|| used as f64 / self.limits.memory_bytes as f64)
    }

    /// Whether the host is saturated: CPU busy at least [`CPU_SATURATED_SHARE`] of its
    /// capacity, or memory used at least [`MEMORY_SATURATED_SHARE`] of its limit. An unknown
    /// figure never saturates.
    pub fn is_saturated(&self) -> bool {
        self.cpu_saturated() || self.memory_saturated()
    }

    /// CPU busy is at least [`CPU_SATURATED_SHARE`] of the capacity.
    pub fn cpu_saturated(&self) -> bool {
        self.cpu_busy_share()
            .is_some_and(|s| s >= CPU_SATURATED_SHARE)
    }

    /// Memory used is at least [`MEMORY_SATURATED_SHARE`] of the limit.
    pub fn memory_saturated(&self) -> bool {
        self.memory_used_share()
            .is_some_and(|s| s >= MEMORY_SATURATED_SHARE)
    }
}

/// How CPU busy is counted.
#[derive(Debug)]
enum CpuCounter {
    /// `/proc/stat`: every CPU (`cpus` = `None`) or those of the affinity mask.
    ProcStat {
        path: PathBuf,
        cpus: Option<Vec<u32>>,
    },
    /// A cgroup's usage counter (v2 `cpu.stat`, v1 `cpuacct.usage`), ns.
    Cgroup { path: PathBuf, version: Version },
}

/// How memory used is counted.
#[derive(Debug)]
enum MemoryCounter {
    /// `/proc/meminfo`: `MemTotal - MemAvailable`.
    Machine { path: PathBuf },
    /// A limiting cgroup's working set.
    Cgroup {
        usage: PathBuf,
        stat: PathBuf,
        inactive_key: &'static str,
    },
}

/// A counter reading, for the next sample's difference.
#[derive(Debug, Clone, Copy)]
struct CpuReading {
    at: Instant,
    ticks: CpuTicks,
}

/// Samples the host. [`HostSampler::open`] finds the capacity once (online CPUs, affinity,
/// cgroup quota and limit); each [`HostSampler::sample`] reads two or three small files.
#[derive(Debug)]
pub struct HostSampler {
    limits: HostLimits,
    cpu: CpuCounter,
    memory: MemoryCounter,
    previous: Option<CpuReading>,
    buf: String,
    stat_buf: String,
}

impl HostSampler {
    /// The sampler of the machine this process runs on.
    pub fn live() -> Result<HostSampler, HostError> {
        HostSampler::open(Path::new("/"))
    }

    /// A sampler reading every file under `root` (`/` for the live machine; a directory of
    /// fixture files in tests): `proc/stat`, `proc/meminfo`, `proc/self/status`,
    /// `proc/self/cgroup`, `proc/self/mountinfo`, `sys/devices/system/cpu/online` and the cgroup
    /// hierarchies the mountinfo names.
    pub fn open(root: &Path) -> Result<HostSampler, HostError> {
        let mut buf = String::new();
        let stat_path = under(root, "/proc/stat");
        read_into(&stat_path, &mut buf)?;
        let all_cpus = count_stat_cpus(&buf);
        let online = read_optional(&under(root, "/sys/devices/system/cpu/online"))
            .and_then(|t| procfs::parse_cpu_list(&t))
            .map_or(all_cpus, |c| c.len() as u32)
            .max(1);
        let allowed = read_optional(&under(root, "/proc/self/status"))
            .and_then(|t| procfs::allowed_cpus(&t))
            .filter(|c| !c.is_empty());
        let affinity = allowed.as_ref().map_or(online, |c| c.len() as u32);
        let meminfo_path = under(root, "/proc/meminfo");
        read_into(&meminfo_path, &mut buf)?;
        let meminfo = procfs::parse_meminfo(&buf).ok_or_else(|| HostError::Format {
            path: meminfo_path.clone(),
            what: "MemTotal and MemAvailable",
        })?;

        let cgroups = cgroup::locate(root);
        let quota = cgroups.cpu.as_ref().and_then(cgroup::cpu_quota);
        let (mut cpu_cores, mut cpu_source) = (f64::from(online), LimitSource::Machine);
        if affinity < online {
            (cpu_cores, cpu_source) = (f64::from(affinity), LimitSource::Affinity);
        }
        let mut cpu = CpuCounter::ProcStat {
            path: stat_path,
            // The affinity mask's own CPUs, when it is narrower than the machine.
            cpus: allowed.filter(|c| (c.len() as u32) < all_cpus),
        };
        if let Some(quota) = quota.filter(|q| q.cores < cpu_cores)
            && let Some(counter) = cgroup_cpu_counter(&cgroups, &quota)
        {
            (cpu_cores, cpu_source) = (quota.cores, LimitSource::Cgroup);
            cpu = counter;
        }

        let limit = cgroups.memory.as_ref().and_then(|memory| {
            let limit = cgroup::memory_limit(memory)?;
            // A limit at or above the machine's memory (v1 writes a huge number for none) does
            // not limit anything.
            (limit.bytes < meminfo.total).then_some((memory.version, limit))
        });
        let (memory_bytes, memory_source, memory) = match limit {
            Some((version, limit)) => {
                let (usage, inactive_key) = cgroup::memory_usage_files(version);
                let counter = MemoryCounter::Cgroup {
                    usage: limit.dir.join(usage),
                    stat: limit.dir.join("memory.stat"),
                    inactive_key,
                };
                (limit.bytes, LimitSource::Cgroup, counter)
            }
            None => (
                meminfo.total,
                LimitSource::Machine,
                MemoryCounter::Machine { path: meminfo_path },
            ),
        };
        Ok(HostSampler {
            limits: HostLimits {
                cpu_cores,
                cpu_source,
                online_cpus: online,
                affinity_cpus: affinity,
                memory_bytes,
                memory_source,
            },
            cpu,
            memory,
            previous: None,
            buf,
            stat_buf: String::new(),
        })
    }

    /// The capacity found when the sampler opened.
    pub fn limits(&self) -> HostLimits {
        self.limits
    }

    /// The host now: CPU busy since the previous sample (none on the first), memory used now.
    /// A counter that cannot be read gives an absent figure, never an error.
    pub fn sample(&mut self) -> HostSample {
        self.sample_at(Instant::now())
    }

    /// [`HostSampler::sample`] as of `now` (the moment the counters are read).
    pub fn sample_at(&mut self, now: Instant) -> HostSample {
        let reading = self.read_cpu().map(|ticks| CpuReading { at: now, ticks });
        let (cpu_busy_cores, interval) = match (self.previous, reading) {
            (Some(prev), Some(cur)) => {
                let interval = now.saturating_duration_since(prev.at);
                (self.busy_cores(prev, cur, interval), Some(interval))
            }
            (Some(prev), None) => (None, Some(now.saturating_duration_since(prev.at))),
            (None, _) => (None, None),
        };
        if reading.is_some() {
            self.previous = reading;
        }
        HostSample {
            limits: self.limits,
            cpu_busy_cores,
            memory_used_bytes: self.read_memory(),
            interval,
        }
    }

    /// Busy cores between two readings.
    fn busy_cores(&self, prev: CpuReading, cur: CpuReading, interval: Duration) -> Option<f64> {
        let busy = cur.ticks.busy.checked_sub(prev.ticks.busy)?;
        match &self.cpu {
            CpuCounter::ProcStat { cpus, .. } => {
                // A share of the CPUs' own time (ticks of all of them between the readings),
                // so the figure does not depend on when exactly the file was read.
                let total = cur.ticks.total.checked_sub(prev.ticks.total)?;
                let n = cpus
                    .as_ref()
                    .map_or(self.limits.online_cpus, |c| c.len() as u32);
                (total > 0).then(|| busy as f64 / total as f64 * f64::from(n))
            }
            CpuCounter::Cgroup { .. } => {
                let ns = interval.as_nanos() as f64;
                (ns > 0.0).then(|| busy as f64 / ns)
            }
        }
    }

    /// The CPU counter now: ticks from `/proc/stat`, or ns (in `busy`) from a cgroup.
    fn read_cpu(&mut self) -> Option<CpuTicks> {
        match &self.cpu {
            CpuCounter::ProcStat { path, cpus } => {
                read_into(path, &mut self.stat_buf).ok()?;
                procfs::parse_stat(&self.stat_buf, cpus.as_deref())
            }
            CpuCounter::Cgroup { path, version } => {
                read_into(path, &mut self.stat_buf).ok()?;
                let ns = cgroup::cpu_usage_ns(*version, &self.stat_buf)?;
                Some(CpuTicks { busy: ns, total: 0 })
            }
        }
    }

    /// Memory used now.
    fn read_memory(&mut self) -> Option<u64> {
        match &self.memory {
            MemoryCounter::Machine { path } => {
                read_into(path, &mut self.buf).ok()?;
                let info = procfs::parse_meminfo(&self.buf)?;
                Some(info.total.saturating_sub(info.available))
            }
            MemoryCounter::Cgroup {
                usage,
                stat,
                inactive_key,
            } => {
                read_into(usage, &mut self.buf).ok()?;
                read_into(stat, &mut self.stat_buf).ok()?;
                cgroup::working_set(&self.buf, &self.stat_buf, inactive_key)
            }
        }
    }
}

/// The counter of the cgroup whose quota limits the CPU: v2's `cpu.stat` beside the quota;
/// v1's `cpuacct.usage` as many levels up in the cpuacct hierarchy. `None` when v1 has no
/// cpuacct hierarchy (then the capacity is not the quota either: busy could not be measured
/// against it).
fn cgroup_cpu_counter(cgroups: &cgroup::Cgroups, quota: &cgroup::CpuQuota) -> Option<CpuCounter> {
    let cpu = cgroups.cpu.as_ref()?;
    let path = match cpu.version {
        Version::V2 => quota.dir.join("cpu.stat"),
        Version::V1 => {
            let acct: &Controller = cgroups.cpuacct.as_ref()?;
            acct.up(quota.levels_up).join("cpuacct.usage")
        }
    };
    path.is_file().then_some(CpuCounter::Cgroup {
        path,
        version: cpu.version,
    })
}

/// The `cpuN` lines of a `/proc/stat`: the CPUs the kernel counts time for.
fn count_stat_cpus(stat: &str) -> u32 {
    (stat.lines())
        .map_while(|l| l.strip_prefix("cpu"))
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .count() as u32
}

//! This process's cgroups: where each controller's directory is (from `/proc/self/cgroup` and
//! `/proc/self/mountinfo`), and the CPU quota and memory limit on the way up to its mount.

use std::path::{Path, PathBuf};

use crate::procfs::{read_optional, table_value, under};

/// Which cgroup hierarchy a controller is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// cgroup v1: one hierarchy per controller (or a few co-mounted).
    V1,
    /// cgroup v2: the unified hierarchy.
    V2,
}

/// One controller of this process: the directory of its cgroup and the mount it is under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Controller {
    pub(crate) version: Version,
    /// The process's own cgroup directory.
    pub(crate) dir: PathBuf,
    /// The hierarchy's mount point: no limit is looked for above it.
    mount: PathBuf,
}

impl Controller {
    /// The cgroup's directory and its ancestors up to the hierarchy's root, nearest first.
    fn chain(&self) -> impl Iterator<Item = &Path> {
        self.dir
            .ancestors()
            .take_while(|p| p.starts_with(&self.mount))
    }

    /// The directory `levels` above the process's own (the mount point at most).
    pub(crate) fn up(&self, levels: usize) -> PathBuf {
        let mut chain = self.chain();
        let last = chain.next().unwrap_or(&self.dir);
        chain.take(levels).last().unwrap_or(last).to_owned()
    }
}

/// The controllers hls-swarm reads, each absent when the process is in none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cgroups {
    pub(crate) cpu: Option<Controller>,
    /// v1's CPU usage accounting (in v2 it is the `cpu` controller's `cpu.stat`).
    pub(crate) cpuacct: Option<Controller>,
    pub(crate) memory: Option<Controller>,
}

/// One line of `/proc/self/mountinfo` that mounts a cgroup hierarchy.
#[derive(Debug)]
struct Mount<'a> {
    /// The cgroup path mounted there (`/` unless the mount is of a sub-tree).
    root: &'a str,
    point: &'a str,
    version: Version,
    /// v1: the controllers in the super options (`rw,cpu,cpuacct`).
    options: &'a str,
}

/// The cgroup mounts of a mountinfo: `id parent maj:min root point opts [optional…] - fstype
/// source superopts`.
fn cgroup_mounts(mountinfo: &str) -> Vec<Mount<'_>> {
    (mountinfo.lines())
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mut l = left.split(' ');
            let (root, point) = (l.nth(3)?, l.next()?);
            let mut r = right.split(' ');
            let version = match r.next()? {
                "cgroup" => Version::V1,
                "cgroup2" => Version::V2,
                _ => return None,
            };
            let options = r.nth(1).unwrap_or("");
            Some(Mount {
                root,
                point,
                version,
                options,
            })
        })
        .collect()
}

/// Whether a comma-separated list holds `name` whole.
fn lists(list: &str, name: &str) -> bool {
    list.split(',').any(|c| c == name)
}

/// Finds this process's controllers under `root` (`/` for the live machine). A missing or
/// unreadable file only means no cgroup is known: the machine's figures are used.
pub(crate) fn locate(root: &Path) -> Cgroups {
    let (Some(membership), Some(mountinfo)) = (
        read_optional(&under(root, "/proc/self/cgroup")),
        read_optional(&under(root, "/proc/self/mountinfo")),
    ) else {
        return Cgroups::default();
    };
    let mounts = cgroup_mounts(&mountinfo);
    let find = |name: &str| locate_controller(root, &membership, &mounts, name);
    Cgroups {
        cpu: find("cpu"),
        cpuacct: find("cpuacct").filter(|c| c.version == Version::V1),
        memory: find("memory"),
    }
}

/// The controller `name`: in its v1 hierarchy when it has one mounted (a hybrid machine has
/// both), else in the unified hierarchy when that cgroup offers it.
fn locate_controller(
    root: &Path,
    membership: &str,
    mounts: &[Mount<'_>],
    name: &str,
) -> Option<Controller> {
    // `hierarchy-id:controllers:path`; v2's line is `0::/path`.
    let lines = || {
        (membership.lines()).filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
    };
    let v1 = lines().find(|(_, controllers, _)| lists(controllers, name));
    let v1_mount = mounts
        .iter()
        .find(|m| m.version == Version::V1 && lists(m.options, name));
    if let (Some((_, _, path)), Some(mount)) = (v1, v1_mount) {
        return Some(controller_dir(root, mount, path));
    }
    let (_, _, path) = lines().find(|(id, controllers, _)| *id == "0" && controllers.is_empty())?;
    let mount = mounts.iter().find(|m| m.version == Version::V2)?;
    let controller = controller_dir(root, mount, path);
    // v2 has no cpuacct: CPU usage is the cpu controller's cpu.stat.
    let offered = match name {
        "cpuacct" => "cpu",
        other => other,
    };
    let available = read_optional(&controller.dir.join("cgroup.controllers"))?;
    available
        .split_ascii_whitespace()
        .any(|c| c == offered)
        .then_some(controller)
}

/// The directory of cgroup `path` in `mount`: the mount point plus the path below the mount's
/// own root. A container without a cgroup namespace sees the host's path (`/docker/abc…`) for a
/// hierarchy mounted at its own cgroup: then the mount point itself is the process's cgroup.
fn controller_dir(root: &Path, mount: &Mount<'_>, path: &str) -> Controller {
    let point = under(root, mount.point);
    let below = match path.strip_prefix(mount.root) {
        Some(rest) if mount.root != "/" => rest,
        _ => path,
    };
    let dir = point.join(below.trim_start_matches('/'));
    let dir = if dir.is_dir() { dir } else { point.clone() };
    Controller {
        version: mount.version,
        dir,
        mount: point,
    }
}

/// A CPU quota: how many cores it allows, and how far above the process's cgroup it is set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CpuQuota {
    pub(crate) cores: f64,
    pub(crate) dir: PathBuf,
    pub(crate) levels_up: usize,
}

/// The smallest CPU quota on the way from the process's cgroup to the root: v2 `cpu.max`
/// (`quota period`, or `max` for none), v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1 for
/// none).
pub(crate) fn cpu_quota(cpu: &Controller) -> Option<CpuQuota> {
    let mut best: Option<CpuQuota> = None;
    for (levels_up, dir) in cpu.chain().enumerate() {
        let cores = match cpu.version {
            Version::V2 => read_optional(&dir.join("cpu.max")).and_then(|t| {
                let mut words = t.split_ascii_whitespace();
                let quota: f64 = words.next()?.parse().ok()?;
                let period: f64 = words.next()?.parse().ok()?;
                (quota > 0.0 && period > 0.0).then(|| quota / period)
            }),
            Version::V1 => {
                let read = |f: &str| read_optional(&dir.join(f))?.trim().parse::<f64>().ok();
                match (read("cpu.cfs_quota_us"), read("cpu.cfs_period_us")) {
                    (Some(q), Some(p)) if q > 0.0 && p > 0.0 => Some(q / p),
                    _ => None,
                }
            }
        };
        if let Some(cores) = cores
            && best.as_ref().is_none_or(|b| cores < b.cores)
        {
            best = Some(CpuQuota {
                cores,
                dir: dir.to_owned(),
                levels_up,
            });
        }
    }
    best
}

/// A memory limit and the cgroup directory it is set on (whose usage it limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemoryLimit {
    pub(crate) bytes: u64,
    pub(crate) dir: PathBuf,
}

/// The smallest memory limit on the way from the process's cgroup to the root: v2
/// `memory.max` (`max` for none), v1 `memory.limit_in_bytes` (a huge value for none; the caller
/// ignores any limit at or above the machine's memory).
pub(crate) fn memory_limit(memory: &Controller) -> Option<MemoryLimit> {
    let file = match memory.version {
        Version::V2 => "memory.max",
        Version::V1 => "memory.limit_in_bytes",
    };
    (memory.chain())
        .filter_map(|dir| {
            let bytes = read_optional(&dir.join(file))?.trim().parse::<u64>().ok()?;
            Some(MemoryLimit {
                bytes,
                dir: dir.to_owned(),
            })
        })
        .min_by_key(|l| l.bytes)
}

/// The files of a memory cgroup's usage: its charge, and the `memory.stat` key of its inactive
/// file pages (what the kernel reclaims first, so not part of the working set).
pub(crate) fn memory_usage_files(version: Version) -> (&'static str, &'static str) {
    match version {
        Version::V2 => ("memory.current", "inactive_file"),
        Version::V1 => ("memory.usage_in_bytes", "total_inactive_file"),
    }
}

/// The working set of a memory cgroup from its charge and its `memory.stat`, as the kubelet
/// counts it: usage minus inactive file pages (never below 0).
pub(crate) fn working_set(usage: &str, stat: &str, inactive_key: &str) -> Option<u64> {
    let usage: u64 = usage.trim().parse().ok()?;
    let inactive = table_value(stat, inactive_key).unwrap_or(0);
    Some(usage.saturating_sub(inactive))
}

/// CPU time a cgroup used, ns: v2 `cpu.stat`'s `usage_usec`, v1 `cpuacct.usage`.
pub(crate) fn cpu_usage_ns(version: Version, text: &str) -> Option<u64> {
    match version {
        Version::V2 => table_value(text, "usage_usec").map(|us| us * 1000),
        Version::V1 => text.trim().parse().ok(),
    }
}

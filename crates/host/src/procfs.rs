//! Readers of the kernel's text files: `/proc/stat`, `/proc/meminfo`, CPU lists, `key value` tables.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::HostError;

/// Reads `path` into `buf` (cleared first), reusing its allocation.
pub(crate) fn read_into(path: &Path, buf: &mut String) -> Result<(), HostError> {
    buf.clear();
    File::open(path)
        .and_then(|mut f| f.read_to_string(buf))
        .map(drop)
        .map_err(|source| HostError::Read {
            path: path.to_owned(),
            source,
        })
}

/// Reads `path` whole, or `None` when it does not exist or cannot be read (an optional file).
pub(crate) fn read_optional(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// `path` under `root`: `/proc/stat` under `/tmp/x` is `/tmp/x/proc/stat`.
pub(crate) fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// A CPU list as the kernel writes it (`0-3,5,7-8`, maybe with a newline): the CPU numbers in
/// order, or `None` when it is not one.
pub(crate) fn parse_cpu_list(text: &str) -> Option<Vec<u32>> {
    let text = text.trim();
    let mut cpus = Vec::new();
    if text.is_empty() {
        return Some(cpus);
    }
    for part in text.split(',') {
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi): (u32, u32) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
                if hi < lo {
                    return None;
                }
                cpus.extend(lo..=hi);
            }
            None => cpus.push(part.trim().parse().ok()?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    Some(cpus)
}

/// The value of the first line `key value…` (whitespace-separated, `key` whole) in a table such
/// as `memory.stat` or `cpu.stat`, or `/proc/meminfo`'s `MemTotal:       24683584 kB`
/// (give `key` with its colon).
pub(crate) fn table_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let mut words = line.split_ascii_whitespace();
        (words.next()? == key).then(|| words.next()?.parse().ok())?
    })
}

/// The CPU allowed list of `/proc/self/status` (`Cpus_allowed_list:\t0-1`).
pub(crate) fn allowed_cpus(status: &str) -> Option<Vec<u32>> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
    parse_cpu_list(line)
}

/// The machine's memory from `/proc/meminfo`, bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemInfo {
    pub(crate) total: u64,
    pub(crate) available: u64,
}

/// `MemTotal` and `MemAvailable` of a `/proc/meminfo` (values in kB, as the kernel writes them).
pub(crate) fn parse_meminfo(text: &str) -> Option<MemInfo> {
    let mut total = None;
    let mut available = None;
    for line in text.lines() {
        let mut words = line.split_ascii_whitespace();
        let slot = match words.next() {
            Some("MemTotal:") => &mut total,
            Some("MemAvailable:") => &mut available,
            _ => continue,
        };
        let kb: u64 = words.next()?.parse().ok()?;
        *slot = Some(kb * 1024);
        if total.is_some() && available.is_some() {
            break;
        }
    }
    Some(MemInfo {
        total: total?,
        available: available?,
    })
}

/// CPU time of some CPUs from `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct CpuTicks {
    /// user + nice + system + irq + softirq + steal (guest time is already in user and nice).
    pub(crate) busy: u64,
    /// busy + idle + iowait.
    pub(crate) total: u64,
}

/// The ticks of one `cpu…` line's numbers (after its name).
fn line_ticks(fields: &str) -> Option<CpuTicks> {
    let mut n = [0u64; 8];
    let mut words = fields.split_ascii_whitespace();
    for (i, slot) in n.iter_mut().enumerate() {
        match words.next() {
            Some(w) => *slot = w.parse().ok()?,
            // Old kernels have fewer columns (no steal before 2.6.11); four are needed.
            None if i >= 4 => break,
            None => return None,
        }
    }
    let [user, nice, system, idle, iowait, irq, softirq, steal] = n;
    let busy = user + nice + system + irq + softirq + steal;
    Some(CpuTicks {
        busy,
        total: busy + idle + iowait,
    })
}

/// The ticks of every CPU (the `cpu ` line) when `cpus` is `None`, else the sum of the `cpuN`
/// lines of those CPUs (an affinity mask narrower than the machine). `None` when a line is
/// missing or malformed.
pub(crate) fn parse_stat(text: &str, cpus: Option<&[u32]>) -> Option<CpuTicks> {
    let mut sum = CpuTicks::default();
    let mut found = 0usize;
    for line in text.lines() {
        // The cpu lines come first; nothing after them is needed.
        let Some(rest) = line.strip_prefix("cpu") else {
            break;
        };
        let (name, fields) = rest.split_once(' ').unwrap_or((rest, ""));
        let wanted = match (cpus, name) {
            (None, "") => true,
            (Some(cpus), n) if !n.is_empty() => n
                .parse::<u32>()
                .is_ok_and(|n| cpus.binary_search(&n).is_ok()),
            _ => false,
        };
        if wanted {
            let ticks = line_ticks(fields)?;
            sum.busy += ticks.busy;
            sum.total += ticks.total;
            found += 1;
            if cpus.is_none() {
                return Some(sum);
            }
        }
    }
    match cpus {
        Some(cpus) if found == cpus.len() && found > 0 => Some(sum),
        _ => None,
    }
}

//! Processes as Linux's `/proc` shows them: one process's `stat` line, and the processes that
//! match a command line or belong to a process group.

/// The fields of `/proc/<pid>/stat` the tests and `cargo xtask perf` read; times in clock ticks
/// (`getconf CLK_TCK`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// `R`, `S`, `D`, `Z` (zombie: exited, not reaped yet), `T`, …
    pub state: char,
    /// The parent's pid.
    pub ppid: u32,
    /// The process group.
    pub pgrp: u32,
    /// CPU time in user mode.
    pub utime: u64,
    /// CPU time in kernel mode.
    pub stime: u64,
    /// User-mode CPU time of the children it has reaped.
    pub cutime: u64,
    /// Kernel-mode CPU time of the children it has reaped.
    pub cstime: u64,
}

impl Stat {
    /// Parses the text of `/proc/<pid>/stat`.
    pub fn parse(text: &str) -> Option<Stat> {
        // The command name (field 2) may hold spaces and parentheses: fields 3.. follow the last ')'.
        let (_, rest) = text.rsplit_once(')')?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // fields[0] is field 3 (state); field k is fields[k - 3].
        let field = |k: usize| fields.get(k - 3)?.parse::<u64>().ok();
        let small = |k: usize| u32::try_from(field(k)?).ok();
        Some(Stat {
            state: fields.first()?.chars().next()?,
            ppid: small(4)?,
            pgrp: small(5)?,
            utime: field(14)?,
            stime: field(15)?,
            cutime: field(16)?,
            cstime: field(17)?,
        })
    }

    /// Whether the process has exited and waits to be reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// `/proc/<pid>/stat`, or `None` when there is no such process (not even a zombie).
pub fn stat(pid: u32) -> Option<Stat> {
    Stat::parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether `pid` is a live process: it exists and is not a zombie.
pub fn is_running(pid: u32) -> bool {
    stat(pid).is_some_and(|s| !s.is_zombie())
}

/// Every pid in `/proc` now.
pub fn pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// Live processes whose command line (arguments joined by NUL) contains `needle`.
pub fn with_cmdline(needle: &str) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|&pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
                && is_running(pid)
        })
        .collect()
}

/// Live processes whose process group is one of `groups`.
pub fn in_groups(groups: &[u32]) -> Vec<u32> {
    pids()
        .into_iter()
        .filter(|&pid| stat(pid).is_some_and(|s| !s.is_zombie() && groups.contains(&s.pgrp)))
        .collect()
}

#[cfg(test)]
mod tests;

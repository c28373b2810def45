//! The CPU time of the tap's own threads: each thread notes its kernel thread id when it starts
//! (from `/proc/thread-self`), and [`Threads::cpu_time`] sums what `/proc` says each used
//! (`schedstat`'s nanoseconds, else `stat`'s `utime + stime` ticks), plus what threads that
//! already ended had used.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `/proc`'s clock tick (`USER_HZ`), which Linux fixes at 100 for every user-space ABI.
const TICKS_PER_SECOND: u64 = 100;

/// The tap's threads, by kernel thread id.
#[derive(Debug, Default)]
pub(crate) struct Threads {
    /// Live thread ids. A mutex, taken only when a thread starts or stops and when the CPU time
    /// is read: never on a request's path.
    live: Mutex<Vec<u32>>,
    /// Nanoseconds used by threads that have ended.
    ended_ns: AtomicU64,
}

impl Threads {
    /// Notes the calling thread (`on_thread_start`).
    pub(crate) fn started(&self) {
        if let Some(tid) = current_tid() {
            self.live
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(tid);
        }
    }

    /// Keeps what the calling thread used and forgets it (`on_thread_stop`).
    pub(crate) fn stopped(&self) {
        let Some(tid) = current_tid() else { return };
        let used = thread_cpu(tid).unwrap_or_default();
        // Relaxed: a sum read on its own; the thread's own CPU time is final by now.
        self.ended_ns
            .fetch_add(used.as_nanos() as u64, Ordering::Relaxed);
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|t| *t != tid);
    }

    /// CPU time (user + system) used by every thread of the tap so far.
    pub(crate) fn cpu_time(&self) -> Duration {
        let live: Vec<u32> = self.live.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // Relaxed: see `stopped`.
        let ended = Duration::from_nanos(self.ended_ns.load(Ordering::Relaxed));
        live.into_iter()
            .filter_map(thread_cpu)
            .fold(ended, |sum, d| sum + d)
    }

    /// How many threads are live (for tests).
    #[cfg(test)]
    pub(crate) fn n_live(&self) -> usize {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The calling thread's kernel id, read from the `/proc/thread-self` link (`PID/task/TID`).
fn current_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// CPU time used so far by thread `tid` of this process.
fn thread_cpu(tid: u32) -> Option<Duration> {
    let dir = Path::new("/proc/self/task").join(tid.to_string());
    if let Ok(text) = std::fs::read_to_string(dir.join("schedstat")) {
        // "on-cpu-ns wait-ns timeslices"
        if let Some(ns) = text.split_whitespace().next().and_then(|n| n.parse().ok()) {
            return Some(Duration::from_nanos(ns));
        }
    }
    let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the whole line (utime, stime) are the 12th and 13th after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let millis = utime.saturating_add(stime).saturating_mul(1000) / TICKS_PER_SECOND;
    Some(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's CPU time, from `CLOCK_THREAD_CPUTIME_ID`.
    fn own_cpu() -> Duration {
        let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
            .expect("the thread's CPU clock");
        Duration::new(now.tv_sec() as u64, now.tv_nsec() as u32)
    }

    #[test]
    fn a_busy_thread_is_seen_using_cpu() {
        let threads = std::sync::Arc::new(Threads::default());
        let t = std::sync::Arc::clone(&threads);
        let (tx, rx) = std::sync::mpsc::channel();
        let worker = std::thread::spawn(move || {
            t.started();
            // Spin until this thread itself has used 60 ms of CPU (its own clock), however
            // busy the machine is, so that /proc has something to show.
            let mut x = 0u64;
            while own_cpu() < Duration::from_millis(60) {
                for _ in 0..10_000 {
                    x = x.wrapping_mul(31).wrapping_add(1);
                }
            }
            std::hint::black_box(x);
            tx.send(()).unwrap();
            // Wait to be read while still live.
            std::thread::park();
            t.stopped();
        });
        rx.recv().unwrap();
        assert_eq!(threads.n_live(), 1);
        let live = threads.cpu_time();
        assert!(live >= Duration::from_millis(30), "{live:?}");
        worker.thread().unpark();
        worker.join().unwrap();
        assert_eq!(threads.n_live(), 0);
        let ended = threads.cpu_time();
        assert!(ended >= live, "{ended:?} < {live:?}");
    }
}

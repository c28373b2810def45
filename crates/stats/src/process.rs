//! Process lifecycle per viewer: state, starts and restarts, exit reasons and the last error line.

use crate::sync::{AtomicU8, AtomicU64, Mutex, Ordering};
use std::sync::Arc;

/// Where a viewer's supervisor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ViewerState {
    /// Registered, no process started yet.
    Idle = 0,
    /// An ffmpeg process is running.
    Running = 1,
    /// The process exited; waiting out the backoff before a restart.
    Restarting = 2,
    /// Finished for good (shutdown or gave up).
    Stopped = 3,
}

impl ViewerState {
    #[inline]
    fn from_u8(v: u8) -> ViewerState {
        match v {
            1 => ViewerState::Running,
            2 => ViewerState::Restarting,
            3 => ViewerState::Stopped,
            _ => ViewerState::Idle,
        }
    }
}

/// Why an ffmpeg process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExitReason {
    /// It exited by itself with this code (0 included).
    Code(i32),
    /// It was killed by this signal, not by hls-swarm.
    Signal(i32),
    /// hls-swarm stopped it (shutdown, scale-down).
    Stopped,
    /// It could not be started at all.
    SpawnFailed,
    /// It exited with code 0 by itself because the stream ended (`#EXT-X-ENDLIST`): the viewer
    /// is over, not restarted.
    StreamEnded,
}

impl std::fmt::Display for ExitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::Code(code) => write!(f, "exit code {code}"),
            ExitReason::Signal(sig) => write!(f, "signal {sig}"),
            ExitReason::Stopped => f.write_str("stopped by hls-swarm"),
            ExitReason::SpawnFailed => f.write_str("spawn failed"),
            ExitReason::StreamEnded => f.write_str("stream ended"),
        }
    }
}

/// One kind of exit and how often it happened: the reason and the process's last error line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExitGroup {
    /// Why the process ended.
    pub reason: ExitReason,
    /// The last line ffmpeg logged at `error` or worse before it ended, if any.
    pub last_error: Option<Arc<str>>,
    /// How many exits had this reason and this last error.
    pub count: u64,
}

/// Distinct (reason, last error) pairs kept per viewer; more are folded into the last slot's count.
const MAX_EXIT_GROUPS: usize = 8;

/// Lifecycle cells. Counters are written by the supervisor; the last error by the parser task,
/// under a lock taken only on error-level lines (rare, off the per-request hot path).
///
/// `repr(C)`: the scalars every tick reads come first, the locks after them.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct ProcessCells {
    state: AtomicU8,
    starts: AtomicU64,
    exit_count: AtomicU64,
    exits: Mutex<Vec<ExitGroup>>,
    last_error: Mutex<Option<Arc<str>>>,
}

impl ProcessCells {
    /// The leading bytes a tick reads: the scalars, not the locks.
    pub(crate) const HOT_BYTES: usize = std::mem::offset_of!(ProcessCells, exits);

    pub(crate) fn new() -> Self {
        ProcessCells {
            state: AtomicU8::new(ViewerState::Idle as u8),
            starts: AtomicU64::new(0),
            exit_count: AtomicU64::new(0),
            exits: Mutex::new(Vec::new()),
            last_error: Mutex::new(None),
        }
    }

    pub(crate) fn begin(&self) {
        // Relaxed: a standalone counter.
        self.starts.fetch_add(1, Ordering::Relaxed);
        self.set_state(ViewerState::Running);
        *lock(&self.last_error) = None;
    }

    pub(crate) fn set_state(&self, state: ViewerState) {
        // Relaxed: a standalone gauge.
        self.state.store(state as u8, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn state(&self) -> ViewerState {
        // Relaxed: a standalone gauge.
        ViewerState::from_u8(self.state.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn starts(&self) -> u64 {
        // Relaxed: a standalone counter.
        self.starts.load(Ordering::Relaxed)
    }

    pub(crate) fn set_last_error(&self, message: &str) {
        let mut slot = lock(&self.last_error);
        if slot.as_deref() != Some(message) {
            *slot = Some(Arc::from(message));
        }
    }

    pub(crate) fn last_error(&self) -> Option<Arc<str>> {
        lock(&self.last_error).clone()
    }

    pub(crate) fn record_exit(&self, reason: ExitReason) {
        let last_error = self.last_error();
        let mut exits = lock(&self.exits);
        if let Some(group) = exits
            .iter_mut()
            .find(|g| g.reason == reason && g.last_error == last_error)
        {
            group.count += 1;
        } else if exits.len() < MAX_EXIT_GROUPS {
            exits.push(ExitGroup {
                reason,
                last_error,
                count: 1,
            });
        } else if let Some(last) = exits.last_mut() {
            last.count += 1;
        }
        drop(exits);
        // Relaxed: a standalone counter, so readers need not take the lock to count exits.
        self.exit_count.fetch_add(1, Ordering::Relaxed);
        let next = if matches!(reason, ExitReason::Stopped | ExitReason::StreamEnded) {
            ViewerState::Stopped
        } else {
            ViewerState::Restarting
        };
        self.set_state(next);
    }

    pub(crate) fn exits(&self) -> Vec<ExitGroup> {
        lock(&self.exits).clone()
    }

    #[inline]
    pub(crate) fn exit_count(&self) -> u64 {
        // Relaxed: a standalone counter.
        self.exit_count.load(Ordering::Relaxed)
    }
}

/// Locks, recovering from poisoning: the data are plain values, valid after any panic.
fn lock<T>(m: &Mutex<T>) -> crate::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

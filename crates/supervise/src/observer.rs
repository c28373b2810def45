//! The boundary to the binary: what the swarm reports, and where the raw lines go.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Receives the raw lines of one stream (stderr or `-progress`) of one process run.
///
/// Called from the swarm's one line reader thread, one line at a time, in order, for every
/// viewer; keep it cheap (parse and count): while it runs, no other viewer's lines are read.
/// Both consumers of one process run are called from that thread, never at once. Dropped
/// once the stream has ended (after its last line).
pub trait LineConsumer: Send + 'static {
    /// One physical line, split on `\n` (the `\n` removed, a `\r` kept: ffmpeg's stats
    /// line ends in `\r` and the next log line is glued to it). At most
    /// [`SwarmOptions::max_line_len`](crate::SwarmOptions::max_line_len) bytes; longer lines
    /// are cut. `arrived` is when ffmpeg wrote the line's end (the kernel's stamp of that
    /// write), however much later the reader reads it.
    fn line(&mut self, line: &[u8], arrived: Instant);
}

/// Receives the swarm's events. Implemented by the binary; called from tokio tasks.
pub trait SwarmObserver: Send + Sync + 'static {
    /// The line consumer type, one per stream per process run.
    type Lines: LineConsumer;

    /// An ffmpeg process started (`run` counts from 0 per viewer). Returns the consumers
    /// for its stderr and its `-progress` (fd 3) lines, in that order.
    fn process_started(&self, viewer: u32, run: u32, pid: u32) -> (Self::Lines, Self::Lines);

    /// A process run ended, or could not be started. Called after both of its consumers
    /// have received their last line (or after the drain timeout gave up on them).
    fn process_exited(&self, viewer: u32, report: ExitReport);

    /// The viewer will be restarted after `delay`; `attempt` counts consecutive quick
    /// failures from 0 (it resets after a clean exit or a long run).
    fn restart_scheduled(&self, viewer: u32, delay: Duration, attempt: u32);
}

/// Whether the stream has ended (its media playlist ends with `#EXT-X-ENDLIST`), asked when a
/// viewer's ffmpeg exits with code 0 by itself. ffmpeg exits so at the end of an ended stream,
/// and also when its input failed for good (an origin gone), so the playlist itself is asked:
/// a viewer whose stream ended is ended, not restarted (a restarted ffmpeg would fetch the
/// whole ended playlist again, as fast as it can, over and over).
pub trait EndCheck: std::fmt::Debug + Send + Sync + 'static {
    /// Resolves to `true` only when the stream is known to have ended.
    fn stream_ended(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>>;
}

/// How a process run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitStatusKind {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal number.
    Signal(i32),
    /// It could not be started; the text says why.
    SpawnFailed(String),
    /// Waiting for it failed (should not happen); the text says why.
    WaitFailed(String),
}

impl ExitStatusKind {
    /// The shell convention: the code, 128 + signal number for a signal, 1 for a failure
    /// to start or wait.
    pub fn code(&self) -> i32 {
        match self {
            ExitStatusKind::Code(c) => *c,
            ExitStatusKind::Signal(s) => 128 + s,
            ExitStatusKind::SpawnFailed(_) | ExitStatusKind::WaitFailed(_) => 1,
        }
    }

    /// Exit code 0.
    pub fn is_success(&self) -> bool {
        *self == ExitStatusKind::Code(0)
    }
}

/// Counters of one stream of one process run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Lines read (every line read is delivered: the reader drops none).
    pub lines: u64,
    /// Lines cut to the maximum length.
    pub truncated: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// The end of one process run, given to [`SwarmObserver::process_exited`].
#[derive(Clone, Debug)]
pub struct ExitReport {
    /// The run number (from 0 per viewer).
    pub run: u32,
    /// The process id; `None` when it did not start.
    pub pid: Option<u32>,
    /// How it ended.
    pub status: ExitStatusKind,
    /// From spawn to exit; zero when it did not start.
    pub uptime: Duration,
    /// Whether the swarm asked it to stop (SIGINT or SIGKILL on stop), as opposed to it
    /// ending on its own.
    pub stop_requested: bool,
    /// Whether the swarm had to SIGKILL it.
    pub killed: bool,
    /// It exited with code 0 by itself and the [`EndCheck`] found the stream ended: the viewer
    /// is not restarted.
    pub stream_ended: bool,
    /// Its stderr counters.
    pub stderr: StreamStats,
    /// Its `-progress` counters.
    pub progress: StreamStats,
    /// Whether both streams reached end of file within the drain timeout (false when
    /// something else, such as a grandchild, kept a pipe open).
    pub drained: bool,
}

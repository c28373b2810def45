//! The swarm: ramp viewers up, restart them with backoff, stop them gracefully, reap them all.

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::backoff::{Backoff, BackoffPolicy};
use crate::capabilities::Capabilities;
use crate::command::{ConfigError, FfmpegConfig};
use crate::launch::Launch;
use crate::observer::{EndCheck, ExitReport, ExitStatusKind, StreamStats, SwarmObserver};
use crate::process::{Spawned, Spawner, signal_group};
use crate::ramp::{GateState, RampGate, RampSchedule};
use crate::reader::{LineReader, LineTiming};
use crate::shard::Shard;
use crate::stop::{StopHandle, StopLevel};

/// How the swarm runs.
#[derive(Clone, Debug)]
pub struct SwarmOptions {
    /// Number of viewers of the whole swarm (ids `0..viewers`).
    pub viewers: u32,
    /// Which of them this swarm runs: the ids `j` with `j mod shard.count == shard.index`.
    pub shard: Shard,
    /// Viewers started per second during ramp-up by the whole swarm (positive); a shard ramps
    /// at its share.
    pub ramp_rate: f64,
    /// Up to this much random extra delay per start, capped at half the interval.
    pub ramp_jitter: Duration,
    /// How long a stopped ffmpeg may take after SIGINT before it gets SIGKILL.
    pub stop_grace: Duration,
    /// Lines longer than this many bytes are cut.
    pub max_line_len: usize,
    /// How long to wait, after a process exits, for its streams to reach end of file.
    pub drain_timeout: Duration,
    /// Restart delays.
    pub backoff: BackoffPolicy,
    /// Seed for ramp and backoff jitter; `None` picks a random one.
    pub seed: Option<u64>,
    /// Holds the ramp while held (open by default): keep a clone to hold and release it.
    pub ramp_gate: RampGate,
    /// How each output line's arrival time is taken (exact by default).
    pub line_timing: LineTiming,
    /// Asked when a viewer's ffmpeg exits with code 0 by itself: a stream that ended ends the
    /// viewer instead of restarting it. `None` (the default): always restart.
    pub end_check: Option<Arc<dyn EndCheck>>,
    /// How viewers' processes are started: forked (the default), or without a fork through a
    /// trampoline, much cheaper for a large process (see [`Launch`]).
    pub launch: Launch,
}

impl Default for SwarmOptions {
    fn default() -> Self {
        SwarmOptions {
            viewers: 10,
            shard: Shard::WHOLE,
            ramp_rate: 5.0,
            ramp_jitter: Duration::from_millis(200),
            stop_grace: Duration::from_secs(5),
            max_line_len: 64 * 1024,
            drain_timeout: Duration::from_secs(2),
            backoff: BackoffPolicy::default(),
            seed: None,
            ramp_gate: RampGate::new(),
            line_timing: LineTiming::Exact,
            end_check: None,
            launch: Launch::Fork,
        }
    }
}

/// Why a swarm could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The ffmpeg config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The ramp rate is not a positive number.
    #[error("ramp rate {0} is not a positive number of viewers per second")]
    RampRate(f64),
    /// The line reader thread could not be started.
    #[error("cannot start the line reader thread: {0}")]
    Reader(std::io::Error),
    /// The spawner thread could not be started.
    #[error("cannot start the process spawner thread: {0}")]
    Spawner(std::io::Error),
}

/// Live counts, readable at any time without locks.
#[derive(Debug, Default)]
pub struct SwarmCounters {
    waiting_ramp: AtomicU32,
    starting: AtomicU32,
    active: AtomicU32,
    backoff: AtomicU32,
    starts_total: AtomicU64,
    restarts_total: AtomicU64,
    spawn_failures_total: AtomicU64,
    ramp_held_us: AtomicU64,
}

/// A copy of [`SwarmCounters`] at one moment (fields may be from slightly different moments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Viewers the ramp has not started yet.
    pub waiting_ramp: u32,
    /// Viewers whose process is being spawned.
    pub starting: u32,
    /// Viewers whose process is running.
    pub active: u32,
    /// Viewers waiting to be restarted.
    pub backoff: u32,
    /// Processes started.
    pub starts_total: u64,
    /// Restarts scheduled.
    pub restarts_total: u64,
    /// Processes that failed to start.
    pub spawn_failures_total: u64,
    /// How long the ramp waited on its [`RampGate`] so far (a hold still going on is counted
    /// when it ends).
    pub ramp_held: Duration,
}

// Relaxed everywhere below: independent gauges and counters for display; a snapshot
// tolerates a torn view across fields, and no other memory is published through them.
impl SwarmCounters {
    /// Viewers whose process is running.
    pub fn active(&self) -> u32 {
        self.active.load(Ordering::Relaxed)
    }

    /// Viewers whose process is being spawned.
    pub fn starting(&self) -> u32 {
        self.starting.load(Ordering::Relaxed)
    }

    /// Viewers waiting to be restarted.
    pub fn in_backoff(&self) -> u32 {
        self.backoff.load(Ordering::Relaxed)
    }

    /// All counters.
    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            waiting_ramp: self.waiting_ramp.load(Ordering::Relaxed),
            starting: self.starting.load(Ordering::Relaxed),
            active: self.active.load(Ordering::Relaxed),
            backoff: self.backoff.load(Ordering::Relaxed),
            starts_total: self.starts_total.load(Ordering::Relaxed),
            restarts_total: self.restarts_total.load(Ordering::Relaxed),
            spawn_failures_total: self.spawn_failures_total.load(Ordering::Relaxed),
            ramp_held: Duration::from_micros(self.ramp_held_us.load(Ordering::Relaxed)),
        }
    }
}

fn inc(gauge: &AtomicU32) {
    gauge.fetch_add(1, Ordering::Relaxed);
}

fn dec(gauge: &AtomicU32) {
    gauge.fetch_sub(1, Ordering::Relaxed);
}

/// A running swarm of ffmpeg viewers.
///
/// Dropping it without [`wait`](Swarm::wait) kills every process (SIGKILL to each group);
/// the viewer tasks then reap them as long as the runtime runs.
pub struct Swarm {
    stop: StopHandle,
    counters: Arc<SwarmCounters>,
    task: Option<JoinHandle<()>>,
}

struct Context<O: SwarmObserver> {
    config: FfmpegConfig,
    caps: Capabilities,
    observer: Arc<O>,
    options: SwarmOptions,
    seed: u64,
    counters: Arc<SwarmCounters>,
    spawner: Spawner,
    reader: LineReader<O::Lines>,
}

impl Swarm {
    /// Starts ramping up this shard's share of `options.viewers` viewers. Must be called within a tokio runtime
    /// (multi-threaded or not); the processes are forked from a dedicated thread.
    pub fn start<O: SwarmObserver>(
        config: FfmpegConfig,
        caps: Capabilities,
        observer: Arc<O>,
        options: SwarmOptions,
    ) -> Result<Swarm, StartError> {
        config.validate()?;
        if !(options.ramp_rate.is_finite() && options.ramp_rate > 0.0) {
            return Err(StartError::RampRate(options.ramp_rate));
        }
        let spawner = Spawner::start(tokio::runtime::Handle::current(), options.launch.clone())
            .map_err(StartError::Spawner)?;
        let reader = LineReader::start(options.max_line_len, options.line_timing)
            .map_err(StartError::Reader)?;
        let stop = StopHandle::new();
        let counters = Arc::new(SwarmCounters::default());
        counters
            .waiting_ramp
            .store(options.shard.viewers(options.viewers), Ordering::Relaxed);
        let context = Arc::new(Context {
            config,
            caps,
            observer,
            seed: options.seed.unwrap_or_else(|| fastrand::u64(..)),
            options,
            counters: counters.clone(),
            spawner,
            reader,
        });
        let task = tokio::spawn(ramp(context, stop.subscribe()));
        Ok(Swarm {
            stop,
            counters,
            task: Some(task),
        })
    }

    /// A handle that can stop the swarm from another task.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Stops gracefully; a second call kills at once. See [`StopHandle::stop`].
    pub fn stop(&self) -> StopLevel {
        self.stop.stop()
    }

    /// Kills every process now.
    pub fn kill(&self) {
        self.stop.kill();
    }

    /// The live counters.
    pub fn counters(&self) -> &Arc<SwarmCounters> {
        &self.counters
    }

    /// Waits until every viewer has stopped and every process is reaped (after a stop
    /// request, or never if none comes). Cancel-safe: dropping the future and calling again
    /// resumes waiting.
    pub async fn wait(&mut self) {
        if let Some(task) = &mut self.task {
            let _ = task.await;
            self.task = None;
        }
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.stop.kill();
        }
    }
}

/// Starts viewers on the ramp schedule, then waits for all of them. While the ramp gate is
/// held no viewer starts; the time held shifts the rest of the schedule later.
async fn ramp<O: SwarmObserver>(context: Arc<Context<O>>, mut stop: watch::Receiver<StopLevel>) {
    let mut viewers = JoinSet::new();
    let shard = context.options.shard;
    let mut schedule = RampSchedule::new(
        shard.ramp_rate(context.options.ramp_rate),
        context.options.ramp_jitter,
        context.seed,
    );
    let mut gate = context.options.ramp_gate.subscribe();
    let mut shift = Duration::ZERO;
    let start = tokio::time::Instant::now();
    'ramp: for k in 0..shard.viewers(context.options.viewers) {
        let viewer = shard.viewer_id(k);
        let offset = schedule.offset(k);
        loop {
            let state = *gate.borrow_and_update();
            let now = Instant::now();
            if let GateState::Held { until } = state
                && until.is_none_or(|t| t > now)
            {
                let stopped = tokio::select! {
                    // Released or held anew: look again. Never an error: `context.options`
                    // keeps a sender of the gate alive.
                    _ = gate.changed() => false,
                    () = sleep_until_opt(until.map(tokio::time::Instant::from_std)) => false,
                    () = stop_requested(&mut stop) => true,
                };
                let held = now.elapsed();
                shift += held;
                let us = u64::try_from(held.as_micros()).unwrap_or(u64::MAX);
                context
                    .counters
                    .ramp_held_us
                    .fetch_add(us, Ordering::Relaxed);
                if stopped {
                    break 'ramp;
                }
                // Look again: a hold that ran out falls through to the schedule below.
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep_until(start + offset + shift) => break,
                // Held (or released) meanwhile: look again.
                Ok(()) = gate.changed() => {}
                () = stop_requested(&mut stop) => break 'ramp,
            }
        }
        dec(&context.counters.waiting_ramp);
        viewers.spawn(run_viewer(context.clone(), viewer, stop.clone()));
    }
    context.counters.waiting_ramp.store(0, Ordering::Relaxed);
    while viewers.join_next().await.is_some() {}
}

/// Resolves once a stop is requested (or every stop handle is gone).
async fn stop_requested(stop: &mut watch::Receiver<StopLevel>) {
    let _ = stop.wait_for(|level| *level != StopLevel::Running).await;
}

fn stopping(stop: &watch::Receiver<StopLevel>) -> bool {
    *stop.borrow() != StopLevel::Running || stop.has_changed().is_err()
}

/// One viewer: run, report, back off, run again, until stopped.
async fn run_viewer<O: SwarmObserver>(
    context: Arc<Context<O>>,
    viewer: u32,
    mut stop: watch::Receiver<StopLevel>,
) {
    let args = context.config.build_args(&context.caps, viewer);
    let mut backoff = Backoff::new(
        context.options.backoff,
        context.seed ^ u64::from(viewer).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let counters = &context.counters;
    for run in 0u32.. {
        if stopping(&stop) {
            break;
        }
        let mut report = run_once(&context, viewer, run, &args, &mut stop).await;
        backoff.record_exit(report.uptime, report.status.is_success());
        if let Some(check) = &context.options.end_check
            && report.status.is_success()
            && !report.stop_requested
        {
            report.stream_ended = tokio::select! {
                ended = check.stream_ended() => ended,
                () = stop_requested(&mut stop) => false,
            };
        }
        let stop_requested_now = report.stop_requested || stopping(&stop);
        let ended = report.stream_ended;
        context.observer.process_exited(viewer, report);
        if stop_requested_now || ended {
            break;
        }
        let (delay, attempt) = backoff.next_delay();
        context.observer.restart_scheduled(viewer, delay, attempt);
        counters.restarts_total.fetch_add(1, Ordering::Relaxed);
        inc(&counters.backoff);
        let cancelled = tokio::select! {
            () = tokio::time::sleep(delay) => false,
            () = stop_requested(&mut stop) => true,
        };
        dec(&counters.backoff);
        if cancelled {
            break;
        }
    }
}

/// Spawns one process, pumps its streams, waits for it (stopping it on request), drains.
async fn run_once<O: SwarmObserver>(
    context: &Context<O>,
    viewer: u32,
    run: u32,
    args: &[OsString],
    stop: &mut watch::Receiver<StopLevel>,
) -> ExitReport {
    let counters = &context.counters;
    let options = &context.options;
    inc(&counters.starting);
    let spawned = context
        .spawner
        .spawn(
            context.config.ffmpeg.clone(),
            args.to_vec(),
            options.line_timing,
        )
        .await;
    let started = Instant::now();
    dec(&counters.starting);
    let Spawned {
        mut child,
        stderr,
        progress,
    } = match spawned {
        Ok(spawned) => spawned,
        Err(error) => {
            counters
                .spawn_failures_total
                .fetch_add(1, Ordering::Relaxed);
            return ExitReport {
                run,
                pid: None,
                status: ExitStatusKind::SpawnFailed(format!(
                    "cannot start {}: {error}",
                    context.config.ffmpeg.display()
                )),
                uptime: Duration::ZERO,
                stop_requested: false,
                killed: false,
                stream_ended: false,
                stderr: StreamStats::default(),
                progress: StreamStats::default(),
                drained: true,
            };
        }
    };
    inc(&counters.active);
    counters.starts_total.fetch_add(1, Ordering::Relaxed);
    let pid = child.id().unwrap_or(0);
    let (stderr_lines, progress_lines) = context.observer.process_started(viewer, run, pid);
    let mut streams = [
        context.reader.add(stderr, stderr_lines),
        context.reader.add(progress, progress_lines),
    ];

    let outcome = wait_child(&mut child, pid, stop, options.stop_grace).await;
    let uptime = started.elapsed();
    dec(&counters.active);

    let drained = tokio::time::timeout(options.drain_timeout, async {
        for stream in &mut streams {
            stream.finished().await;
        }
    })
    .await
    .is_ok();
    if !drained {
        streams.iter().for_each(|stream| stream.abandon());
        // The consumers must have their last line before the observer hears of the exit.
        for stream in &mut streams {
            stream.finished().await;
        }
    }
    let [stderr, progress] = streams.map(|stream| stream.stats());
    ExitReport {
        run,
        pid: Some(pid),
        status: outcome.status,
        uptime,
        stop_requested: outcome.stop_requested,
        killed: outcome.killed,
        stream_ended: false,
        stderr,
        progress,
        drained,
    }
}

struct WaitOutcome {
    status: ExitStatusKind,
    stop_requested: bool,
    killed: bool,
}

/// Waits for the child to exit. On a graceful stop: SIGINT to its group, then SIGKILL after
/// `grace`; on a kill: SIGKILL at once. The child is reaped when this returns.
async fn wait_child(
    child: &mut tokio::process::Child,
    pid: u32,
    stop: &mut watch::Receiver<StopLevel>,
    grace: Duration,
) -> WaitOutcome {
    let mut stop_requested = false;
    let mut killed = false;
    let mut deadline: Option<tokio::time::Instant> = None;
    let mut stop_gone = false;
    loop {
        let level = if stop_gone {
            StopLevel::Kill
        } else {
            *stop.borrow_and_update()
        };
        match level {
            StopLevel::Running => {}
            StopLevel::Graceful => {
                if !stop_requested {
                    stop_requested = true;
                    signal_group(pid, libc::SIGINT);
                    deadline = Some(tokio::time::Instant::now() + grace);
                }
            }
            StopLevel::Kill => {
                if !killed {
                    stop_requested = true;
                    killed = true;
                    deadline = None;
                    signal_group(pid, libc::SIGKILL);
                }
            }
        }
        tokio::select! {
            status = child.wait() => {
                let status = match status {
                    Ok(status) => exit_kind(status),
                    Err(error) => ExitStatusKind::WaitFailed(error.to_string()),
                };
                return WaitOutcome { status, stop_requested, killed };
            }
            changed = stop.changed(), if !stop_gone && !killed => {
                stop_gone = changed.is_err();
            }
            () = sleep_until_opt(deadline) => {
                deadline = None;
                killed = true;
                signal_group(pid, libc::SIGKILL);
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn exit_kind(status: std::process::ExitStatus) -> ExitStatusKind {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitStatusKind::Code(code),
        (None, Some(signal)) => ExitStatusKind::Signal(signal),
        (None, None) => ExitStatusKind::WaitFailed(format!("unknown exit status {status}")),
    }
}

//! The bridge from supervised processes to statistics: each ffmpeg run's stderr and `-progress`
//! lines are parsed and recorded into that viewer's `ViewerStats`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::{ProgressParser, parse_line, split_log_lines};
use hls_swarm_stats::{Counter, ExitReason, Recorder, SegmentSizeLookup, Stream, ViewerState};
use hls_swarm_supervise::{ExitReport, ExitStatusKind, LineConsumer, SwarmObserver};

use crate::log::Log;

/// Implements the supervisor's observer: registers viewers, hands each process run a recorder.
pub struct Observer {
    aggregator: Arc<Aggregator>,
    sizes: Option<Arc<dyn SegmentSizeLookup>>,
    log: Log,
}

impl Observer {
    /// An observer recording into `aggregator`, with exact segment sizes from `sizes` when given.
    pub fn new(
        aggregator: Arc<Aggregator>,
        sizes: Option<Arc<dyn SegmentSizeLookup>>,
        log: Log,
    ) -> Self {
        Observer {
            aggregator,
            sizes,
            log,
        }
    }

    /// A recorder for a new process run of `viewer` (counts the start in its `ViewerStats`).
    fn recorder(&self, viewer: u32, started: Instant) -> Recorder {
        let stats = self.aggregator.register(viewer);
        stats.set_state(ViewerState::Running);
        let mut recorder =
            Recorder::new(stats, started).with_variants(self.aggregator.variant_lookup());
        if let Some(sizes) = &self.sizes {
            recorder = recorder.with_segment_sizes(Arc::clone(sizes));
        }
        recorder
    }
}

/// One stream of one process run: stderr lines are parsed as log lines, progress lines as
/// `-progress` key=value pairs. Both feed the run's shared recorder.
pub enum RunLines {
    /// ffmpeg's stderr.
    Stderr(Arc<Mutex<Recorder>>),
    /// ffmpeg's `-progress pipe:3`.
    Progress(Arc<Mutex<Recorder>>, Box<ProgressParser>),
}

impl LineConsumer for RunLines {
    fn line(&mut self, line: &[u8], arrived: Instant) {
        match self {
            RunLines::Stderr(recorder) => {
                let mut recorder = lock(recorder);
                recorder.stats().add_lines_read(Stream::Stderr, 1);
                for logical in split_log_lines(line) {
                    recorder.on_line(&parse_line(logical), arrived);
                }
            }
            RunLines::Progress(recorder, parser) => {
                let mut recorder = lock(recorder);
                recorder.stats().add_lines_read(Stream::Progress, 1);
                if let Some(block) = parser.feed_line(line) {
                    recorder.on_progress(&block, arrived);
                }
            }
        }
    }
}

/// The recorder's lock is taken by this run's two consumers only, both called from the line
/// reader thread, so it is never contended.
fn lock(recorder: &Mutex<Recorder>) -> std::sync::MutexGuard<'_, Recorder> {
    recorder
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SwarmObserver for Observer {
    type Lines = RunLines;

    fn process_started(&self, viewer: u32, run: u32, pid: u32) -> (RunLines, RunLines) {
        self.log.event(
            "viewer_started",
            &[
                ("viewer", viewer.to_string()),
                ("run", run.to_string()),
                ("pid", pid.to_string()),
            ],
        );
        let recorder = Arc::new(Mutex::new(self.recorder(viewer, Instant::now())));
        (
            RunLines::Stderr(Arc::clone(&recorder)),
            RunLines::Progress(recorder, Box::new(ProgressParser::new())),
        )
    }

    fn process_exited(&self, viewer: u32, report: ExitReport) {
        let stats = self.aggregator.register(viewer);
        let cut = report.stderr.truncated + report.progress.truncated;
        if cut > 0 {
            stats.add(Counter::LinesCut, cut);
        }
        let reason = exit_reason(&report);
        if let ExitStatusKind::SpawnFailed(why) = &report.status {
            stats.set_last_error(why);
        }
        stats.record_exit(reason);
        stats.set_state(if report.stop_requested || report.stream_ended {
            ViewerState::Stopped
        } else {
            ViewerState::Restarting
        });
        let mut fields = vec![
            ("viewer", viewer.to_string()),
            ("run", report.run.to_string()),
            ("reason", reason.to_string()),
            ("uptime_s", format!("{:.1}", report.uptime.as_secs_f64())),
        ];
        if !report.stop_requested
            && let Some(err) = stats.last_error()
        {
            fields.push(("last_error", err.to_string()));
        }
        self.log.event("viewer_exited", &fields);
    }

    fn restart_scheduled(&self, viewer: u32, delay: Duration, attempt: u32) {
        self.aggregator
            .register(viewer)
            .set_state(ViewerState::Restarting);
        self.log.event(
            "viewer_restart_scheduled",
            &[
                ("viewer", viewer.to_string()),
                ("attempt", attempt.to_string()),
                ("delay_ms", delay.as_millis().to_string()),
            ],
        );
    }
}

/// Why a process ended, as the statistics group it: a stop we asked for is not a failure.
pub fn exit_reason(report: &ExitReport) -> ExitReason {
    match &report.status {
        _ if report.stop_requested => ExitReason::Stopped,
        _ if report.stream_ended => ExitReason::StreamEnded,
        ExitStatusKind::Code(code) => ExitReason::Code(*code),
        ExitStatusKind::Signal(sig) => ExitReason::Signal(*sig),
        ExitStatusKind::SpawnFailed(_) => ExitReason::SpawnFailed,
        ExitStatusKind::WaitFailed(_) => ExitReason::Code(1),
    }
}

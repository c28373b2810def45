//! Shared helpers for the integration tests: a recording observer, fake ffmpeg scripts, no
//! process left behind. Deadlines, `/proc` and scratch directories come from the test kit.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hls_swarm_supervise::{ExitReport, LineConsumer, SwarmObserver};
use hls_swarm_testkit::{Scratch, poll, proc};

/// Which stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stderr,
    Progress,
}

/// Everything the swarm told the observer, in order.
#[derive(Clone, Debug)]
pub enum Event {
    Started {
        viewer: u32,
        run: u32,
        pid: u32,
        at: Instant,
    },
    Line {
        viewer: u32,
        run: u32,
        stream: Stream,
        text: String,
        /// The `arrived` the swarm gave.
        arrived: Instant,
        /// When the consumer got it.
        delivered: Instant,
    },
    Exited {
        viewer: u32,
        report: ExitReport,
    },
    Restart {
        viewer: u32,
        delay: Duration,
        attempt: u32,
    },
}

/// Records events; `slow` makes each line take that long to consume.
#[derive(Default)]
pub struct Recorder {
    pub events: Mutex<Vec<Event>>,
    pub slow: Duration,
}

impl Recorder {
    pub fn new() -> Arc<Self> {
        Arc::new(Recorder::default())
    }

    pub fn slow(slow: Duration) -> Arc<Self> {
        Arc::new(Recorder {
            slow,
            ..Recorder::default()
        })
    }

    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// What `pick` takes from each event, in order.
    pub fn collect<T>(&self, pick: impl FnMut(Event) -> Option<T>) -> Vec<T> {
        self.events().into_iter().filter_map(pick).collect()
    }

    pub fn exits(&self, viewer: u32) -> Vec<ExitReport> {
        self.collect(|e| match e {
            Event::Exited { viewer: v, report } if v == viewer => Some(report),
            _ => None,
        })
    }

    pub fn all_exits(&self) -> Vec<ExitReport> {
        self.collect(|e| match e {
            Event::Exited { report, .. } => Some(report),
            _ => None,
        })
    }

    pub fn pids(&self) -> Vec<u32> {
        self.collect(|e| match e {
            Event::Started { pid, .. } => Some(pid),
            _ => None,
        })
    }

    pub fn lines(&self, viewer: u32, run: u32, stream: Stream) -> Vec<String> {
        self.collect(|e| match e {
            Event::Line {
                viewer: v,
                run: r,
                stream: s,
                text,
                ..
            } if (v, r, s) == (viewer, run, stream) => Some(text),
            _ => None,
        })
    }

    /// The lines of one stream with when each arrived (as the swarm says) and was delivered.
    pub fn timed_lines(
        &self,
        viewer: u32,
        run: u32,
        stream: Stream,
    ) -> Vec<(String, Instant, Instant)> {
        self.collect(|e| match e {
            Event::Line {
                viewer: v,
                run: r,
                stream: s,
                text,
                arrived,
                delivered,
            } if (v, r, s) == (viewer, run, stream) => Some((text, arrived, delivered)),
            _ => None,
        })
    }

    pub fn has_line(&self, needle: &str) -> bool {
        self.events()
            .iter()
            .any(|e| matches!(e, Event::Line { text, .. } if text.contains(needle)))
    }

    fn push(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }
}

pub struct Observer(pub Arc<Recorder>);

pub struct Lines {
    viewer: u32,
    run: u32,
    stream: Stream,
    recorder: Arc<Recorder>,
}

impl LineConsumer for Lines {
    fn line(&mut self, line: &[u8], arrived: Instant) {
        let delivered = Instant::now();
        if !self.recorder.slow.is_zero() {
            std::thread::sleep(self.recorder.slow);
        }
        self.recorder.push(Event::Line {
            viewer: self.viewer,
            run: self.run,
            stream: self.stream,
            text: String::from_utf8_lossy(line).into_owned(),
            arrived,
            delivered,
        });
    }
}

impl SwarmObserver for Observer {
    type Lines = Lines;

    fn process_started(&self, viewer: u32, run: u32, pid: u32) -> (Lines, Lines) {
        self.0.push(Event::Started {
            viewer,
            run,
            pid,
            at: Instant::now(),
        });
        let lines = |stream| Lines {
            viewer,
            run,
            stream,
            recorder: self.0.clone(),
        };
        (lines(Stream::Stderr), lines(Stream::Progress))
    }

    fn process_exited(&self, viewer: u32, report: ExitReport) {
        self.0.push(Event::Exited { viewer, report });
    }

    fn restart_scheduled(&self, viewer: u32, delay: Duration, attempt: u32) {
        self.0.push(Event::Restart {
            viewer,
            delay,
            attempt,
        });
    }
}

/// Writes an executable fake "ffmpeg" shell script. `$ua` holds the `-user_agent` argument.
///
/// The file is written by a separate `sh` process: a write descriptor opened here could be
/// inherited by a concurrently forking test thread and make exec fail with ETXTBSY.
pub fn fake_ffmpeg(name: &str, body: &str) -> PathBuf {
    let path = Scratch::new(name).keep().join("ffmpeg");
    let script = format!(
        "#!/bin/sh\nua=''; prev=''\nfor a in \"$@\"; do [ \"$prev\" = -user_agent ] && ua=\"$a\"; prev=\"$a\"; done\n{body}\n"
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg("printf '%s' \"$1\" > \"$2\" && chmod 755 \"$2\"")
        .arg("sh")
        .arg(&script)
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

/// Asserts that nothing of ours is left: the direct children are reaped (no /proc entry at
/// all, not even a zombie) and, within a short deadline, no process remains in their groups.
pub fn assert_no_leftovers(pids: &[u32]) {
    for &pid in pids {
        assert!(
            proc::stat(pid).is_none(),
            "child {pid} still exists: {:?}",
            proc::stat(pid)
        );
    }
    let gone = poll::until(Duration::from_secs(5), || proc::in_groups(pids).is_empty());
    assert!(
        gone,
        "left in the children's groups: {:?}",
        proc::in_groups(pids)
    );
}

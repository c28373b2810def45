//! Shared helpers for the integration tests: a recording observer, fake ffmpeg scripts, /proc checks.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hls_swarm_supervise::{ExitReport, LineConsumer, SwarmObserver};

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
    },
    Dropped {
        viewer: u32,
        run: u32,
        stream: Stream,
        n: u64,
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

    pub fn exits(&self, viewer: u32) -> Vec<ExitReport> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Exited { viewer: v, report } if v == viewer => Some(report),
                _ => None,
            })
            .collect()
    }

    pub fn all_exits(&self) -> Vec<ExitReport> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Exited { report, .. } => Some(report),
                _ => None,
            })
            .collect()
    }

    pub fn pids(&self) -> Vec<u32> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Started { pid, .. } => Some(pid),
                _ => None,
            })
            .collect()
    }

    pub fn lines(&self, viewer: u32, run: u32, stream: Stream) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Line {
                    viewer: v,
                    run: r,
                    stream: s,
                    text,
                } if (v, r, s) == (viewer, run, stream) => Some(text),
                _ => None,
            })
            .collect()
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
    fn line(&mut self, line: &[u8], _arrived: Instant) {
        if !self.recorder.slow.is_zero() {
            std::thread::sleep(self.recorder.slow);
        }
        self.recorder.push(Event::Line {
            viewer: self.viewer,
            run: self.run,
            stream: self.stream,
            text: String::from_utf8_lossy(line).into_owned(),
        });
    }

    fn dropped(&mut self, n: u64) {
        self.recorder.push(Event::Dropped {
            viewer: self.viewer,
            run: self.run,
            stream: self.stream,
            n,
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

/// A fresh directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hls-swarm-supervise-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes an executable fake "ffmpeg" shell script. `$ua` holds the `-user_agent` argument.
///
/// The file is written by a separate `sh` process: a write descriptor opened here could be
/// inherited by a concurrently forking test thread and make exec fail with ETXTBSY.
pub fn fake_ffmpeg(name: &str, body: &str) -> PathBuf {
    let path = temp_dir(name).join("ffmpeg");
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

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
pub async fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Blocking version of [`wait_until`].
pub fn wait_until_blocking(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `(state, ppid, pgrp)` from `/proc/<pid>/stat`, or `None` if there is no such process.
pub fn proc_stat(pid: u32) -> Option<(char, u32, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, ppid, pgrp))
}

/// Whether `pid` is a live (non-zombie) process.
pub fn is_running(pid: u32) -> bool {
    matches!(proc_stat(pid), Some((state, _, _)) if state != 'Z')
}

/// Live (non-zombie) processes whose process group is one of `groups`.
pub fn group_members(groups: &[u32]) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            matches!(proc_stat(pid), Some((state, _, pgrp)) if state != 'Z' && groups.contains(&pgrp))
        })
        .collect()
}

/// Asserts that nothing of ours is left: the direct children are reaped (no /proc entry at
/// all, not even a zombie) and, within a short deadline, no process remains in their groups.
pub async fn assert_no_leftovers(pids: &[u32]) {
    for &pid in pids {
        assert!(
            proc_stat(pid).is_none(),
            "child {pid} still exists: {:?}",
            proc_stat(pid)
        );
    }
    let gone = wait_until(Duration::from_secs(5), || group_members(pids).is_empty()).await;
    assert!(
        gone,
        "left in the children's groups: {:?}",
        group_members(pids)
    );
}

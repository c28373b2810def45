//! Shared pieces of the end-to-end tests: the built-in origin in-process, the binary as a child,
//! the origin's access log as ground truth, and polling with deadlines.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hls_swarm_origin::{AccessLog, AccessLogEntry, FaultRule, OriginConfig, OriginHandle};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_hls-swarm");

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hls-swarm-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A running built-in origin and the file its access log goes to.
pub struct Origin {
    pub handle: OriginHandle,
    pub log: PathBuf,
    pub runtime: tokio::runtime::Runtime,
}

impl Origin {
    /// Starts the origin on 127.0.0.1:0 with `faults` (`STATUS:PATTERN:RATE`).
    pub fn start(dir: &Path, faults: &[&str]) -> Origin {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let log = dir.join("origin.access.log");
        let cfg = OriginConfig {
            access_log: AccessLog::File(log.clone()),
            faults: faults
                .iter()
                .map(|f| f.parse::<FaultRule>().expect("fault rule"))
                .collect(),
            seed: 7,
            ..OriginConfig::default()
        };
        let handle = runtime.block_on(async {
            let rendition = hls_swarm_origin::render(&cfg)
                .await
                .expect("render (needs ffmpeg: cargo xtask deps installs it)");
            hls_swarm_origin::serve(&cfg, rendition)
                .await
                .expect("serve")
        });
        Origin {
            handle,
            log,
            runtime,
        }
    }

    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn sizes_url(&self) -> String {
        format!("http://{}/segments.json", self.handle.local_addr())
    }

    /// The access-log lines of requests whose user agent starts with `ua_base/client-`.
    pub fn entries_for(&self, ua_base: &str) -> Vec<AccessLogEntry> {
        let prefix = format!("{ua_base}/client-");
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(AccessLogEntry::parse)
            .filter(|e| e.user_agent.starts_with(&prefix))
            .collect()
    }
}

/// What the origin's log says a set of viewers requested.
#[derive(Debug, Default, PartialEq)]
pub struct LogCounts {
    pub manifest: u64,
    pub segment: u64,
    pub errors_by_code: BTreeMap<String, u64>,
    pub segment_2xx_bytes: u64,
}

pub fn count(entries: &[AccessLogEntry]) -> LogCounts {
    let mut c = LogCounts::default();
    for e in entries {
        let path = e.path.split('?').next().unwrap_or_default();
        if path.ends_with(".m3u8") {
            c.manifest += 1;
        } else if path.ends_with(".ts") {
            c.segment += 1;
            if e.status < 300 {
                c.segment_2xx_bytes += e.body_bytes;
            }
        }
        if e.status >= 400 {
            *c.errors_by_code.entry(e.status.to_string()).or_default() += 1;
        }
    }
    c
}

/// A child process that is killed and reaped if the test panics before it ends, so a failing
/// test never leaves an hls-swarm (and its viewers) running.
pub struct Guarded(pub Option<Child>);

impl Guarded {
    pub fn id(&self) -> u32 {
        self.0.as_ref().expect("child").id()
    }

    pub fn take(mut self) -> Child {
        self.0.take().expect("child")
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `hls-swarm args…` in the background with its output piped, killed if the test fails.
pub fn spawn_run(args: &[&str]) -> Guarded {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hls-swarm");
    Guarded(Some(child))
}

/// Runs the binary to completion with a deadline.
pub fn run_to_end(args: &[&str], deadline: Duration) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hls-swarm");
    wait_output(child, deadline)
}

/// Waits for a child's output, killing it (and failing) at the deadline.
pub fn wait_output(mut child: Child, deadline: Duration) -> Output {
    let until = Instant::now() + deadline;
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > until {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "hls-swarm did not finish within {deadline:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `cond` every 50 ms until it holds or `deadline` passes.
pub fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + deadline;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// PIDs of live (not zombie) processes whose command line contains `needle`.
pub fn pids_with_cmdline(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmdline).contains(needle) {
            out.push(pid);
        }
    }
    out
}

/// The summary JSON a run wrote.
pub fn read_summary(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("summary {} not written: {e}", path.display()));
    serde_json::from_str(&text).expect("summary is JSON")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A private tmux server (its own socket), killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(name: &str) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is not installed ({version:?}): run `cargo xtask deps` (or apt-get install tmux)"
        );
        Tmux {
            socket: format!("hls-swarm-{name}-{}", std::process::id()),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Starts `command` in a detached session `run` of `cols`×`rows`.
    pub fn session(&self, cols: u16, rows: u16, command: &str) {
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let out = self.run(&[
            "new-session",
            "-d",
            "-s",
            "run",
            "-x",
            &cols,
            "-y",
            &rows,
            command,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "run"]).stdout).into_owned()
    }

    pub fn alternate_on(&self) -> String {
        let out = self.run(&["display-message", "-p", "-t", "run", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The number in the first row starting with `label` on a dashboard screen (`segments  84  8.0`).
pub fn number_in_row(pane: &str, label: &str) -> Option<u64> {
    pane.lines().find_map(|l| {
        let l = l.trim_matches(|c| c == '│' || c == ' ');
        let rest = l.strip_prefix(label)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The path of a program a test needs, or a failure naming the package that provides it.
pub fn require_tool(path: &str, package: &str) -> PathBuf {
    let p = PathBuf::from(path);
    assert!(
        p.exists(),
        "{path} is missing: run `cargo xtask deps` (apt-get install {package})"
    );
    p
}

/// Starts a background process that is killed and reaped when the guard drops.
pub fn spawn_guarded(cmd: &mut Command, log: &Path) -> Guarded {
    let out = std::fs::File::create(log).expect("log file");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    Guarded(Some(child))
}

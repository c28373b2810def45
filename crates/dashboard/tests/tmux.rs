//! End to end in a real terminal: the demo dashboard inside tmux draws its panels, quits on `q`,
//! restores the terminal and exits 0.
//!
//! Uses the `demo_dashboard` example binary that `cargo test` builds next to this test.
//! Needs tmux (`cargo xtask deps` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A private tmux server (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start() -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is not installed or does not run ({version:?}): run `cargo xtask deps` (or apt-get install tmux)"
        );
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Tmux {
            socket: format!("hls-swarm-dashboard-{}-{nanos}", std::process::id()),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "demo"]).stdout)
            .into_owned()
    }

    fn alternate_on(&self) -> String {
        let out = self.run(&["display-message", "-p", "-t", "demo", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// `target/debug/examples/demo_dashboard`, beside this test's `target/debug/deps/`.
fn demo_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary sits in target/<profile>/deps");
    let bin = profile_dir.join("examples").join("demo_dashboard");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p hls-swarm-dashboard --example demo_dashboard` (cargo test builds it)",
        bin.display()
    );
    bin
}

/// Polls `check` on the pane's text until it holds or `timeout` passes.
fn wait_for(tmux: &Tmux, timeout: Duration, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let pane = tmux.capture();
        if check(&pane) {
            return pane;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; the pane shows:\n{pane}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The total request count in the Requests panel's `total` row, if drawn.
fn total_requests(pane: &str) -> Option<u64> {
    let line = pane.lines().find(|l| l.starts_with("│total"))?;
    let row = line.trim_start_matches('│').split('│').next()?;
    row.split_whitespace().nth(1)?.replace(',', "").parse().ok()
}

#[test]
fn dashboard_draws_quits_on_q_and_restores_the_terminal() {
    let bin = demo_binary();
    let tmux = Tmux::start();
    let status_file = std::env::temp_dir().join(format!("{}.status", tmux.socket));
    let _ = std::fs::remove_file(&status_file);
    let command = format!(
        "'{}'; echo $? > '{}'; sleep 600",
        bin.display(),
        status_file.display()
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "demo",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(started.status.success(), "tmux new-session: {started:?}");

    let pane = wait_for(
        &tmux,
        Duration::from_secs(30),
        "the dashboard with traffic",
        |p| {
            [
                "Viewers",
                "Requests",
                "Throughput",
                "Errors",
                "Playback",
                "Latency",
            ]
            .iter()
            .all(|t| p.contains(t))
                && total_requests(p).is_some_and(|n| n > 0)
        },
    );
    assert!(pane.contains("hls-swarm"), "{pane}");
    assert_eq!(
        tmux.alternate_on(),
        "1",
        "the dashboard runs on the alternate screen"
    );

    tmux.run(&["send-keys", "-t", "demo", "q"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && !s.trim().is_empty()
        {
            break s.trim().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "demo did not exit after q; the pane shows:\n{}",
            tmux.capture()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = std::fs::remove_file(&status_file);
    let pane = tmux.capture();
    assert_eq!(status, "0", "exit status; pane:\n{pane}");
    assert!(pane.contains("summary printed"), "{pane}");
    assert!(
        !pane.contains("┌ Requests"),
        "the dashboard frame is gone once the terminal is restored:\n{pane}"
    );
    assert_eq!(tmux.alternate_on(), "0", "alternate screen left");
}

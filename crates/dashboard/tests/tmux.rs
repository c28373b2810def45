//! End to end in a real terminal: the demo dashboard inside tmux draws its panels, quits on `q`,
//! restores the terminal and exits 0.
//!
//! Uses the `demo_dashboard` example binary that `cargo test` builds next to this test.
//! Needs tmux (`cargo xtask deps` installs it).

use std::path::{Path, PathBuf};
use std::time::Duration;

use hls_swarm_testkit::Tmux;

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

/// The total request count in the Requests panel's `total` row, if drawn.
fn total_requests(pane: &str) -> Option<u64> {
    let line = pane.lines().find(|l| l.starts_with("│total"))?;
    let row = line.trim_start_matches('│').split('│').next()?;
    row.split_whitespace().nth(1)?.replace(',', "").parse().ok()
}

#[test]
fn dashboard_draws_quits_on_q_and_restores_the_terminal() {
    let bin = demo_binary();
    let tmux = Tmux::start("dashboard", 120, 40, &format!("'{}'", bin.display()));

    let pane = tmux.wait_for("the dashboard with traffic", Duration::from_secs(30), |p| {
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
    });
    assert!(pane.contains("hls-swarm"), "{pane}");
    assert!(
        tmux.alternate_on(),
        "the dashboard runs on the alternate screen"
    );

    tmux.send_keys("q");
    let status = tmux.wait_exit(Duration::from_secs(30));
    let pane = tmux.capture();
    assert_eq!(status, 0, "exit status; pane:\n{pane}");
    assert!(pane.contains("summary printed"), "{pane}");
    assert!(
        !pane.contains("┌ Requests"),
        "the dashboard frame is gone once the terminal is restored:\n{pane}"
    );
    assert!(!tmux.alternate_on(), "alternate screen left");
}

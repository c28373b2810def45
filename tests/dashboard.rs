//! The live dashboard of a real run, in a real terminal (tmux): panels with non-zero counts,
//! `q` stops gracefully, the summary is printed, the exit code is 0, the terminal restored.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::*;

/// A private tmux server (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is not installed ({version:?}): run `cargo xtask deps` (or apt-get install tmux)"
        );
        Tmux {
            socket: format!("hls-swarm-{name}-{}", std::process::id()),
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
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "run"]).stdout).into_owned()
    }

    fn alternate_on(&self) -> String {
        let out = self.run(&["display-message", "-p", "-t", "run", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The number in the `segments` row of the Requests panel.
fn segments_on_screen(pane: &str) -> Option<u64> {
    pane.lines().find_map(|l| {
        let l = l.trim_matches(|c| c == '│' || c == ' ');
        let rest = l.strip_prefix("segments")?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[test]
fn dashboard_shows_a_real_run_and_q_stops_it_cleanly() {
    let dir = scratch("dashboard");
    let origin = Origin::start(&dir, &[]);
    let tmux = Tmux::start("dashboard");
    let status = dir.join("exit-status");
    let command = format!(
        "{BIN} run {} --clients 3 --ramp-rate 10 --duration 2m --metrics 127.0.0.1:0 --user-agent e2e-tui; echo $? > {}; sleep 600",
        origin.url(),
        status.display()
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "run",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");

    let mut pane = String::new();
    let drawn = wait_until(Duration::from_secs(40), || {
        pane = tmux.capture();
        ["Viewers", "Requests", "Throughput", "Latency", "Playback"]
            .iter()
            .all(|p| pane.contains(p))
            && segments_on_screen(&pane).is_some_and(|n| n > 0)
    });
    assert!(drawn, "the dashboard never showed segments:\n{pane}");
    assert_eq!(
        tmux.alternate_on(),
        "1",
        "the dashboard draws on the alternate screen"
    );
    assert!(pane.contains("q/Ctrl-C quit"), "{pane}");

    tmux.run(&["send-keys", "-t", "run", "q"]);
    let finished = wait_until(Duration::from_secs(30), || status.exists());
    let pane = tmux.capture();
    assert!(finished, "hls-swarm did not exit after q:\n{pane}");
    let code = std::fs::read_to_string(&status).unwrap_or_default();
    assert_eq!(code.trim(), "0", "exit code after q:\n{pane}");
    assert_eq!(tmux.alternate_on(), "0", "terminal not restored:\n{pane}");
    assert!(pane.contains("Stopped: on request"), "{pane}");
    assert!(pane.contains("hls-swarm itself"), "{pane}");
    assert!(
        !pane.contains("┌ Requests"),
        "the dashboard frame is still on screen:\n{pane}"
    );
    // The viewers are gone too.
    assert!(pids_with_cmdline("e2e-tui/client-").is_empty());
}

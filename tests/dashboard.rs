//! The live dashboard of a real run, in a real terminal (tmux): panels with non-zero counts,
//! `q` stops gracefully, the summary is printed, the exit code is 0, the terminal restored.

mod common;

use std::time::Duration;

use common::*;

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
    tmux.session(120, 40, &command);

    let mut pane = String::new();
    let drawn = wait_until(Duration::from_secs(40), || {
        pane = tmux.capture();
        ["Viewers", "Requests", "Throughput", "Latency", "Playback"]
            .iter()
            .all(|p| pane.contains(p))
            && number_in_row(&pane, "segments").is_some_and(|n| n > 0)
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

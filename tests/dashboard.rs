//! The live dashboard of a real run, in a real terminal (tmux): panels with non-zero counts, the
//! trends of the run so far, the per-viewer table on `d`, `q` stops gracefully, the summary is
//! printed, the exit code is 0, the terminal restored.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn dashboard_shows_a_real_run_and_q_stops_it_cleanly() {
    let dir = Scratch::new("dashboard");
    let origin = Origin::start(&dir, &[]);
    let command = format!(
        "{BIN} run {} --clients 3 --ramp-rate 10 --duration 2m --metrics 127.0.0.1:0 --user-agent e2e-tui",
        origin.url()
    );
    let tmux = Tmux::start("dashboard", 120, 40, &command);

    let pane = tmux.wait_for("dashboard with segments", Duration::from_secs(40), |pane| {
        ["Viewers", "Requests", "Throughput", "Latency", "Playback"]
            .iter()
            .all(|p| pane.contains(p))
            && number_in_row(pane, "segments").is_some_and(|n| n > 0)
            && pane.contains("trends: the last")
    });
    // The trends panel: the viewers running, newest on the right, at the run's 3.
    let running = (pane.lines())
        .find(|l| l.trim_start_matches(['│', ' ']).starts_with("running  "))
        .unwrap_or_else(|| panic!("no running trend:\n{pane}"));
    assert!(
        running.trim_end_matches(['│', ' ']).ends_with(" 3"),
        "{running}\n{pane}"
    );
    assert!(
        tmux.alternate_on(),
        "the dashboard draws on the alternate screen"
    );
    assert!(pane.contains("q/Ctrl-C quit"), "{pane}");

    // `d`: the per-viewer table, read on demand, lists the three viewers with their requests.
    tmux.send_keys("d");
    tmux.wait_for(
        "per-viewer table with requests after d",
        Duration::from_secs(10),
        |pane| {
            pane.contains("Viewers, worst first: 1-3 of 3")
                && (0..3).all(|id| viewer_row_requests(pane, id).is_some_and(|n| n > 0))
        },
    );
    tmux.send_keys("d");

    tmux.send_keys("q");
    let code = tmux.wait_exit(Duration::from_secs(30));
    let pane = tmux.capture();
    assert_eq!(code, 0, "exit code after q:\n{pane}");
    assert!(!tmux.alternate_on(), "terminal not restored:\n{pane}");
    assert!(pane.contains("Stopped: on request"), "{pane}");
    assert!(pane.contains("hls-swarm itself"), "{pane}");
    assert!(
        !pane.contains("┌ Requests"),
        "the dashboard frame is still on screen:\n{pane}"
    );
    // The viewers are gone too.
    assert!(proc::with_cmdline("e2e-tui/client-").is_empty());
}

/// The requests cell of viewer `id`'s row in the per-viewer table. Numbers and their header are
/// right-aligned, so the cell is the word of the row that ends where `requests` ends in the header.
fn viewer_row_requests(pane: &str, id: u32) -> Option<u64> {
    let chars = |l: &str| l.chars().collect::<Vec<char>>();
    let header = pane
        .lines()
        .find(|l| l.contains("requests") && l.contains("viewer"))?;
    let header = chars(header);
    let end = (0..header.len()).find(|&i| header[i..].starts_with(&chars("requests")))? + 8;
    let row = pane.lines().find(|l| {
        l.trim_start_matches(['│', ' ']).split_whitespace().next() == Some(&id.to_string())
    })?;
    let row = chars(row);
    let start = row[..end.min(row.len())]
        .iter()
        .rposition(|c| c.is_whitespace())
        .map_or(0, |i| i + 1);
    let cell: String = row[start..end.min(row.len())].iter().collect();
    cell.replace(',', "").parse().ok()
}

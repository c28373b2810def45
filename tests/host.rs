//! End to end: the host's own limits. A CPU burner on every core saturates this machine while a
//! small swarm of real ffmpeg viewers ramps against the built-in origin: the summary says how
//! long the host was saturated and the ramp held, and the origin's access log shows no viewer
//! started before its place on the grid plus the time held. Before the first viewer, more
//! viewers than the machine can hold are warned about.

mod common;

use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

use common::*;

/// One busy-looping shell per core, killed (and reaped) when dropped.
fn burn_every_core() -> Vec<Guarded> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (0..cores)
        .map(|_| Guarded::spawn(Command::new("sh").args(["-c", "while :; do :; done"])))
        .collect()
}

/// Milliseconds since the Unix epoch of the summary's RFC 3339 `started_at`.
fn started_ms(summary: &serde_json::Value) -> u64 {
    let text = summary["started_at"].as_str().expect("started_at");
    let at = humantime::parse_rfc3339_weak(text).expect("RFC 3339");
    at.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// When the origin answered each viewer's first request, ms since the epoch, by viewer.
fn first_requests(origin: &Origin, user_agent: &str, viewers: u32) -> Vec<u64> {
    let entries = origin.entries_for(user_agent);
    (0..viewers)
        .map(|v| {
            let ua = format!("{user_agent}/client-{v}");
            (entries.iter())
                .filter(|e| e.user_agent == ua)
                .map(|e| e.unix_ms)
                .min()
                .unwrap_or_else(|| panic!("viewer {v} never requested anything"))
        })
        .collect()
}

/// `hls-swarm run` of 4 viewers at 1/s (no jitter) for `duration`, with `extra`, to the end.
fn ramp_run(
    dir: &Scratch,
    origin: &Origin,
    ua: &str,
    duration: &str,
    extra: &[&str],
) -> (std::process::Output, serde_json::Value) {
    let url = origin.url();
    let json = dir.path().join("summary.json");
    let mut args = vec![
        "run",
        &url,
        "--user-agent",
        ua,
        "--metrics",
        "off",
        "--clients",
        "4",
        "--ramp-rate",
        "1",
        "--ramp-jitter",
        "0",
        "--duration",
        duration,
        "--summary-json",
        json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run_to_end(&args, Duration::from_secs(90));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    (out, read_summary(&json))
}

#[test]
fn a_saturated_host_holds_the_ramp_for_at_most_max_ramp_hold() {
    let dir = Scratch::new("host-hold");
    let origin = Origin::start(dir.path(), &[]);
    let burners = burn_every_core();
    let (out, summary) = ramp_run(&dir, &origin, "e2e-hold", "12s", &["--max-ramp-hold", "3s"]);
    drop(burners);
    let log = stderr(&out);
    let host = &summary["host"];
    let saturated = host["saturated_s"].as_f64().expect("host.saturated_s");
    let held = host["ramp_held_s"].as_f64().expect("host.ramp_held_s");
    assert!(
        saturated > 1.0,
        "burners on every core, saturated {saturated} s: {host}"
    );
    assert!(held > 1.0, "the ramp was not held: {host}\n{log}");
    // At most the budget (each hold's deadline is the budget's remainder), plus the ramp's
    // wake-up on a saturated machine.
    assert!(held <= 3.2, "held {held} s past --max-ramp-hold 3s: {host}");
    assert!(host["peak_cpu_percent"].as_f64().unwrap() >= 90.0, "{host}");
    assert_shows(
        &log,
        &[
            "host_saturated",
            "stalls from now on may be this machine's, not the origin's",
            "ramp_hold_exhausted",
        ],
    );
    // Ground truth: the origin saw no viewer's first request before its place on the grid
    // (k seconds after the start); and the last viewer's none before its place plus all the
    // time held (every hold of the ramp came before it started).
    let start = started_ms(&summary);
    let firsts = first_requests(&origin, "e2e-hold", 4);
    for (k, first) in firsts.iter().enumerate() {
        assert!(
            *first + 10 >= start + 1000 * k as u64,
            "viewer {k} before its place"
        );
    }
    let held_ms = (held * 1000.0) as u64;
    let place = start + 3000 + held_ms;
    assert!(
        firsts[3] + 10 >= place,
        "viewer 3's first request came {} ms before its place on the grid plus the {held_ms} ms held",
        place.saturating_sub(firsts[3])
    );
    assert_eq!(
        summary["viewers"]["started"], 4,
        "the ramp reached its target"
    );
    assert!(stdout(&out).contains("Host (the machine hls-swarm ran on)"));
}

#[test]
fn max_ramp_hold_0_never_holds() {
    let dir = Scratch::new("host-nohold");
    let origin = Origin::start(dir.path(), &[]);
    let burners = burn_every_core();
    let (out, summary) = ramp_run(&dir, &origin, "e2e-nohold", "6s", &["--max-ramp-hold", "0"]);
    drop(burners);
    let host = &summary["host"];
    assert!(host["saturated_s"].as_f64().unwrap() > 1.0, "{host}");
    assert_eq!(host["ramp_held_s"], 0.0, "{host}");
    assert!(!stderr(&out).contains("ramp_hold_exhausted"));
    // On the grid, unheld: viewer 3 started within a couple of seconds of its place (3 s).
    let start = started_ms(&summary);
    let last = first_requests(&origin, "e2e-nohold", 4)[3];
    assert!(last >= start + 3000, "viewer 3 before its place");
    assert!(
        last < start + 3000 + 2900,
        "viewer 3 {} ms late, unheld",
        last - start - 3000
    );
}

#[test]
fn more_viewers_than_this_machine_holds_are_warned_about_before_the_first() {
    let dir = Scratch::new("host-estimate");
    let origin = Origin::start(dir.path(), &[]);
    let url = origin.url();
    let json = dir.path().join("summary.json");
    let args = [
        "run",
        &url,
        "--user-agent",
        "e2e-estimate",
        "--metrics",
        "off",
        "--clients",
        "100000",
        "--ramp-rate",
        "1",
        "--duration",
        "1s",
        "--summary-json",
        json.to_str().unwrap(),
    ];
    let out = run_to_end(&args, Duration::from_secs(60));
    let log = stderr(&out);
    let warning = (log.lines())
        .find(|l| l.contains("more_viewers_than_this_machine_holds"))
        .unwrap_or_else(|| panic!("no capacity warning in:\n{log}"));
    assert_shows(
        warning,
        &["100000 viewers is more than the about", "cores", "--shards"],
    );
    // It warns, never refuses: the run went on and ended by its duration.
    assert_eq!(out.status.code(), Some(0), "{log}");
    let summary = read_summary(&json);
    assert!(summary["viewers"]["started"].as_u64().unwrap() >= 1);
    // The estimate the warning gives is the one in the summary.
    let estimate = summary["host"]["capacity"]["estimate_viewers"]
        .as_u64()
        .unwrap();
    assert!(
        warning.contains(&format!("about {estimate} this machine")),
        "{warning}"
    );
    let shards = 100_000u64.div_ceil(estimate);
    assert!(
        warning.contains(&format!("--shards {shards} ")),
        "{warning}"
    );
}

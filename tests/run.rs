//! End to end: real ffmpeg viewers against the built-in origin on 127.0.0.1, and the summary
//! checked against the origin's own access log.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// Checks the summary's requests and errors against the origin's log for the same viewers.
/// `slack` is the number of requests that may differ per kind (one in flight per viewer at stop).
fn assert_matches_log(summary: &serde_json::Value, log: &LogCounts, slack: u64) {
    let manifest = summary["requests"]["manifest"].as_u64().unwrap();
    let segment = summary["requests"]["segment"].as_u64().unwrap();
    eprintln!(
        "summary: {manifest} playlists, {segment} segments, errors {}; origin log: {log:?}",
        summary["http_errors"]
    );
    assert!(
        manifest.abs_diff(log.manifest) <= slack,
        "playlist requests: summary {manifest}, origin log {}",
        log.manifest
    );
    assert!(
        segment.abs_diff(log.segment) <= slack,
        "segment requests: summary {segment}, origin log {}",
        log.segment
    );
    let ours: std::collections::BTreeMap<String, u64> = summary["http_errors"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    let codes: std::collections::BTreeSet<&String> =
        ours.keys().chain(log.errors_by_code.keys()).collect();
    for code in codes {
        let a = ours.get(code).copied().unwrap_or(0);
        let b = log.errors_by_code.get(code).copied().unwrap_or(0);
        assert!(
            a.abs_diff(b) <= slack,
            "HTTP {code}: summary {a}, origin log {b}"
        );
    }
}

#[test]
fn five_viewers_for_20s_are_counted_to_the_request() {
    let dir = scratch("five");
    let origin = Origin::start(&dir, &[]);
    let json = dir.join("summary.json");
    let out = run_to_end(
        &[
            "run",
            &origin.url(),
            "--metrics",
            "127.0.0.1:0",
            "--clients",
            "5",
            "--ramp-rate",
            "10",
            "--duration",
            "20s",
            "--user-agent",
            "e2e-five",
            "--segment-sizes-url",
            &origin.sizes_url(),
            "--summary-json",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(90),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("hls-swarm summary"));
    let summary = read_summary(&json);
    let log = count(&origin.entries_for("e2e-five"));
    assert!(log.segment >= 5 * 10, "viewers fetched too little: {log:?}");
    assert_matches_log(&summary, &log, 5);
    assert_eq!(summary["schema"], "hls-swarm.summary.v2");
    assert_eq!(summary["clients"], 5);
    assert_eq!(summary["viewers"]["started"], 5);
    // Bytes: exact segment sizes from the listing, against the body bytes the origin sent.
    assert_eq!(summary["bytes"]["source"], "segment-sizes");
    let ours = summary["bytes"]["total"].as_u64().unwrap();
    eprintln!(
        "segment bytes: summary {ours}, origin log {}",
        log.segment_2xx_bytes
    );
    let largest_segment = 200_000;
    assert!(
        ours.abs_diff(log.segment_2xx_bytes) <= 5 * largest_segment,
        "segment bytes: summary {ours}, origin log {}",
        log.segment_2xx_bytes
    );
    assert_eq!(summary["pipeline"]["lines_dropped"], 0);
    let read = summary["pipeline"]["lines_read"].as_u64().unwrap();
    assert!(read > 1000, "lines read: {read}");
}

#[test]
fn injected_404_and_503_are_counted_by_code() {
    let dir = scratch("faults");
    let origin = Origin::start(&dir, &["404:/v0/seg*.ts:0.2", "503:/v1/index.m3u8:0.3"]);
    let json = dir.join("summary.json");
    let out = run_to_end(
        &[
            "run",
            &origin.url(),
            "--metrics",
            "127.0.0.1:0",
            "--clients",
            "3",
            "--ramp-rate",
            "10",
            "--duration",
            "15s",
            "--user-agent",
            "e2e-faults",
            "--segment-sizes-url",
            &origin.sizes_url(),
            "--summary-json",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(90),
    );
    let summary = read_summary(&json);
    let log = count(&origin.entries_for("e2e-faults"));
    assert!(
        log.errors_by_code.contains_key("404") && log.errors_by_code.contains_key("503"),
        "the origin injected no faults: {log:?}"
    );
    assert_matches_log(&summary, &log, 3);
    // A segment answered 404 is not counted as that segment's bytes.
    let ours = summary["bytes"]["total"].as_u64().unwrap();
    eprintln!(
        "segment bytes: summary {ours}, origin log {}",
        log.segment_2xx_bytes
    );
    assert!(
        ours.abs_diff(log.segment_2xx_bytes) <= 3 * 200_000,
        "segment bytes: summary {ours}, origin log {}",
        log.segment_2xx_bytes
    );
    // Something was still fetched, so the run measured something.
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
}

/// `hls-swarm run` with 3 viewers for up to 2 minutes, in the background, guarded.
fn three_viewers_for_2m(origin: &Origin, user_agent: &str, extra: &[&str]) -> Guarded {
    let url = origin.url();
    let mut args = vec![
        "run",
        &url,
        "--metrics",
        "127.0.0.1:0",
        "--clients",
        "3",
        "--ramp-rate",
        "10",
        "--duration",
        "2m",
        "--user-agent",
        user_agent,
    ];
    args.extend_from_slice(extra);
    spawn_run(&args)
}

#[test]
fn sigint_prints_the_summary_and_leaves_no_ffmpeg() {
    let dir = scratch("sigint");
    let origin = Origin::start(&dir, &[]);
    let json = dir.join("summary.json");
    let child = three_viewers_for_2m(
        &origin,
        "e2e-sigint",
        &["--summary-json", json.to_str().unwrap()],
    );
    let pid = child.id();
    // Every viewer has fetched segments (seen in the origin's log by its own user agent).
    let all_playing = || {
        let entries = origin.entries_for("e2e-sigint");
        let agents: std::collections::BTreeSet<&str> = entries
            .iter()
            .filter(|e| e.path.ends_with(".ts"))
            .map(|e| e.user_agent.as_str())
            .collect();
        agents.len() == 3
    };
    assert!(
        wait_until(Duration::from_secs(30), all_playing),
        "three viewers never all fetched segments"
    );
    // SAFETY: plain kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGINT) }, 0);
    let out = wait_output(child.take(), Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("hls-swarm summary"));
    let summary = read_summary(&json);
    assert_matches_log(&summary, &count(&origin.entries_for("e2e-sigint")), 3);
    assert_eq!(
        summary["viewers"]["exit_reasons"]["stopped by hls-swarm"], 3,
        "{}",
        summary["viewers"]
    );
    assert!(pids_with_cmdline("e2e-sigint/client-").is_empty());
}

#[test]
fn sigkill_of_hls_swarm_leaves_no_orphan_ffmpeg() {
    let dir = scratch("sigkill");
    let origin = Origin::start(&dir, &[]);
    let child = three_viewers_for_2m(&origin, "e2e-sigkill", &[]);
    assert!(
        wait_until(Duration::from_secs(30), || pids_with_cmdline(
            "e2e-sigkill/client-"
        )
        .len()
            == 3),
        "three viewers never ran"
    );
    let mut child = child.take();
    child.kill().expect("SIGKILL hls-swarm");
    child.wait().expect("reap hls-swarm");
    assert!(
        wait_until(Duration::from_secs(10), || pids_with_cmdline(
            "e2e-sigkill/client-"
        )
        .is_empty()),
        "orphan ffmpeg left: {:?}",
        pids_with_cmdline("e2e-sigkill/client-")
    );
    drop(origin);
}

#[test]
fn print_cmd_output_is_accepted_by_the_installed_ffmpeg() {
    let dir = scratch("printcmd");
    let origin = Origin::start(&dir, &[]);
    let out = run_to_end(
        &[
            "run",
            &origin.url(),
            "--metrics",
            "127.0.0.1:0",
            "--print-cmd",
            "--user-agent",
            "e2e-printcmd",
            "--header",
            "X-Test: yes",
            "--no-cache",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let cmd = stdout(&out).trim().to_owned();
    assert!(cmd.starts_with("ffmpeg "), "{cmd}");
    assert!(cmd.contains("-progress pipe:3"));
    // Run exactly what was printed (fd 3 must exist for -progress pipe:3).
    let log = dir.join("ffmpeg.stderr");
    let mut ffmpeg = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {cmd} 3>/dev/null 2>{}", log.display()))
        .stdin(Stdio::null())
        .spawn()
        .expect("sh");
    let fetched = wait_until(Duration::from_secs(30), || {
        count(&origin.entries_for("e2e-printcmd")).segment >= 3
    });
    let _ = ffmpeg.kill();
    let _ = ffmpeg.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for bad in [
        "Unrecognized option",
        "Invalid loglevel",
        "Option not found",
        "Error splitting",
    ] {
        assert!(
            !text.contains(bad),
            "ffmpeg rejected the command: {bad}\n{text}"
        );
    }
    assert!(fetched, "the printed command fetched no segments:\n{text}");
}

#[test]
fn check_says_the_stream_plays() {
    let dir = scratch("check");
    let origin = Origin::start(&dir, &[]);
    let out = run_to_end(
        &[
            "run",
            &origin.url(),
            "--check",
            "--user-agent",
            "e2e-check",
            "--metrics",
            "off",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("check: the stream plays"),
        "{}",
        stdout(&out)
    );
    assert!(count(&origin.entries_for("e2e-check")).segment >= 3);
}

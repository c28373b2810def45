//! `hls-swarm replay` on real captures: the summary JSON equals the origin's own access log.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/parse/tests/data/ffmpeg-5.1")
        .join(name)
}

/// The fixture's nginx log: `msec status body_bytes_sent bytes_sent "uri" "ua" request_time`.
fn nginx_counts(name: &str) -> LogCounts {
    let text = std::fs::read_to_string(fixture(&format!("{name}.access.log"))).unwrap();
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (
                f[4].trim_matches('"'),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

fn replay_json(name: &str) -> serde_json::Value {
    let stderr_path = fixture(&format!("{name}.stderr"));
    let progress_path = fixture(&format!("{name}.progress"));
    let out = run_to_end(
        &[
            "replay",
            "--stderr",
            stderr_path.to_str().unwrap(),
            "--progress",
            progress_path.to_str().unwrap(),
            "--json",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("replay --json prints JSON")
}

#[test]
fn replay_of_http_errors_matches_the_access_log_exactly() {
    let s = replay_json("http-errors");
    let log = nginx_counts("http-errors");
    assert_eq!(s["schema"], "hls-swarm.summary.v2");
    assert_eq!(s["requests"]["manifest"].as_u64(), Some(log.manifest));
    assert_eq!(s["requests"]["segment"].as_u64(), Some(log.segment));
    assert_eq!(
        s["http_errors"]["404"].as_u64(),
        log.errors_by_code.get("404").copied()
    );
    assert_eq!(
        s["http_errors"]["500"].as_u64(),
        log.errors_by_code.get("500").copied()
    );
    // Nothing else: a replay sees every answer the log holds.
    assert_eq!(counted(&s).errors_by_code, log.errors_by_code);
    assert_eq!(s["bytes"]["source"], "avio-statistics");
    assert!(s["bytes"]["total"].as_u64().unwrap() > 0);
}

/// A replay's bytes are ffmpeg's AVIO statistics (`Statistics: N bytes read`, printed as ffmpeg
/// closes each input context). ffmpeg reads only bodies the origin answered with a 2xx (an error
/// answer's body is never read as media), so the statistics are at most the log's 2xx body
/// bytes, and all of them when ffmpeg read every body to its end before it closed the context.
#[test]
fn replayed_bytes_are_the_access_logs_body_bytes() {
    let bytes = |name| replay_json(name)["bytes"]["total"].as_u64().unwrap();
    // origin-restart: every body was read to its end (1,523,041 bytes on both sides).
    let log = nginx_counts("origin-restart");
    assert_eq!(bytes("origin-restart"), log.body_2xx_bytes);
    // nginx logs what it sent, not what ffmpeg read: http-errors ended on a 500 for the master
    // playlist while ffmpeg was still reading the last segments it had requested (820,089 of
    // 942,022), and first-variant, playing the first variant only, opened the second variant's
    // next segment and never read it (`Statistics: 0 bytes read`; 1,182,284 of 1,219,132).
    for name in ["http-errors", "first-variant"] {
        let (ours, log) = (bytes(name), nginx_counts(name));
        eprintln!(
            "{name}: AVIO statistics {ours}, log 2xx body bytes {}",
            log.body_2xx_bytes
        );
        assert!(
            ours > 0 && ours <= log.body_2xx_bytes,
            "{name}: {ours} > {log:?}"
        );
    }
}

#[test]
fn replay_of_origin_outages_differs_only_by_the_unanswered_request() {
    // The origin was stopped mid-run: one playlist GET sent on a keep-alive connection as it
    // died got no answer, so nginx never logged it (see crates/parse/tests/ground_truth.rs).
    for name in ["first-variant", "origin-restart"] {
        let s = replay_json(name);
        let log = nginx_counts(name);
        assert_eq!(
            s["requests"]["segment"].as_u64(),
            Some(log.segment),
            "{name}"
        );
        assert_eq!(
            s["requests"]["manifest"].as_u64(),
            Some(log.manifest + 1),
            "{name}"
        );
    }
}

#[test]
fn replay_text_names_the_sections() {
    let out = run_to_end(
        &[
            "replay",
            "--stderr",
            fixture("refused.stderr").to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for section in ["Requests", "HTTP errors", "Viewers", "Latency", "Pipeline"] {
        assert!(text.contains(section), "missing {section}:\n{text}");
    }
    // ffmpeg 5.1 prints no timestamps: the replay says its latencies cannot be measured.
    assert!(text.contains("this capture has no timestamps"), "{text}");
}

#[test]
fn replay_of_a_timestamped_capture_does_not_disclaim_its_latencies() {
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("crates/parse/tests/data/upstream/ffmpeg_timestamped_1.txt");
    let out = run_to_end(
        &["replay", "--stderr", capture.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("a replay has no arrival times"), "{text}");
    assert!(!text.contains("no timestamps"), "{text}");
}

/// A real ffmpeg 9.0 capture (`crates/parse/tests/data/ffmpeg-9.0/`): every request and error
/// of the built-in origin's log, the demuxer's events read, and its millisecond stamps stated.
#[test]
fn replay_of_an_ffmpeg_9_capture_counts_its_access_log_and_states_its_clock() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/parse/tests/data/ffmpeg-9.0");
    let path = |ext: &str| dir.join(format!("http-errors.{ext}"));
    let out = run_to_end(
        &[
            "replay",
            "--json",
            "--stderr",
            path("stderr").to_str().unwrap(),
            "--progress",
            path("progress").to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries: Vec<_> = std::fs::read_to_string(path("access.log"))
        .unwrap()
        .lines()
        .filter_map(hls_swarm_origin::AccessLogEntry::parse)
        .collect();
    assert_eq!(entries.len(), 25);
    let log = count(&entries);
    assert_eq!(counted(&s).manifest, log.manifest);
    assert_eq!(counted(&s).segment, log.segment);
    assert_eq!(counted(&s).errors_by_code, log.errors_by_code);
    // `[in#0] Failed to open segment`, `[in#0/hls] keepalive request failed …`.
    assert_eq!(s["events"]["segment_open_failures"], 3, "{}", s["events"]);
    assert_eq!(s["events"]["keepalive_retries"], 3, "{}", s["events"]);
    assert_eq!(
        s["events"]["playlist_reload_failures"], 1,
        "{}",
        s["events"]
    );
    for name in ["tcp_connect", "playlist_fetch"] {
        assert_eq!(s["latency_ms"][name]["clock_step_ms"], 1, "{name}");
    }
}

/// A capture longer than the replay's 128 KiB read buffer is read in several chunks: three runs'
/// stderr back to back (360 KB) count three runs' requests and errors, and every line.
#[test]
fn a_capture_longer_than_the_read_buffer_counts_every_line() {
    let names = [
        "http-errors",
        "origin-restart",
        "http-errors",
        "first-variant",
        "http-errors",
    ];
    let capture: Vec<u8> = names
        .iter()
        .flat_map(|n| std::fs::read(fixture(&format!("{n}.stderr"))).unwrap())
        .collect();
    assert!(capture.len() > 3 * 128 * 1024, "{} B", capture.len());
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("replay-long.stderr");
    std::fs::write(&path, &capture).unwrap();
    let out = run_to_end(
        &["replay", "--stderr", path.to_str().unwrap(), "--json"],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut log = LogCounts::default();
    for n in names {
        let c = nginx_counts(n);
        log.manifest += c.manifest;
        log.segment += c.segment;
        for (code, k) in c.errors_by_code {
            *log.errors_by_code.entry(code).or_default() += k;
        }
    }
    // Each outage capture has one playlist GET that nginx never logged (see above).
    let unanswered = 2;
    assert_eq!(s["requests"]["segment"].as_u64(), Some(log.segment));
    assert_eq!(
        s["requests"]["manifest"].as_u64(),
        Some(log.manifest + unanswered)
    );
    assert_eq!(counted(&s).errors_by_code, log.errors_by_code);
    let lines = capture.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(s["pipeline"]["lines_read"].as_u64(), Some(lines));

    // Every event is counted line by line, and the AVIO statistics add: the long capture's are
    // the sum of its parts' replayed one by one.
    let parts: Vec<serde_json::Value> = names.iter().map(|n| replay_json(n)).collect();
    let sum = |pointer: &str| -> u64 {
        parts
            .iter()
            .map(|p| p.pointer(pointer).unwrap().as_u64().unwrap())
            .sum()
    };
    let events = s["events"].as_object().unwrap();
    assert!(events.len() >= 10, "{events:?}");
    for key in events.keys() {
        assert_eq!(
            events[key].as_u64(),
            Some(sum(&format!("/events/{key}"))),
            "{key}"
        );
    }
    assert_eq!(s["bytes"]["total"].as_u64(), Some(sum("/bytes/total")));
}

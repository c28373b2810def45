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
    let mut c = LogCounts::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let status: u16 = f[1].parse().unwrap();
        let uri = f[4].trim_matches('"');
        if uri.ends_with(".m3u8") {
            c.manifest += 1;
        } else if uri.ends_with(".ts") {
            c.segment += 1;
        }
        if status >= 400 {
            *c.errors_by_code.entry(status.to_string()).or_default() += 1;
        }
    }
    c
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
    assert_eq!(s["bytes"]["source"], "avio-statistics");
    assert!(s["bytes"]["total"].as_u64().unwrap() > 0);
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

//! End to end with the request tap: real ffmpeg viewers through the tap against the built-in
//! origin, and what the tap counted, byte for byte, against the origin's own access log; the
//! counting test runs with each ffmpeg under test (`per_ffmpeg!`), as `-http_proxy` is theirs.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;

/// A run of `viewers` viewers for `duration` with `extra` flags, to the end: its exit code,
/// stderr and summary.
fn tap_run(
    dir: &Scratch,
    origin: &Origin,
    user_agent: &str,
    viewers: &str,
    extra: &[&str],
) -> (Option<i32>, String, serde_json::Value) {
    let (url, json) = (origin.url(), dir.join("summary.json"));
    let mut flags = vec![
        "--clients",
        viewers,
        "--duration",
        "20s",
        "--summary-json",
        json.to_str().unwrap(),
    ];
    flags.extend_from_slice(extra);
    let out = run_to_end(&run_args(&url, user_agent, &flags), Duration::from_secs(90));
    (out.status.code(), stderr(&out), read_summary(&json))
}

/// The summary's `tap.statuses` are exactly the `logged` statuses, counted by code.
fn assert_statuses_are(summary: &serde_json::Value, logged: impl Iterator<Item = u16>) {
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for status in logged {
        *statuses.entry(status.to_string()).or_default() += 1;
    }
    let tapped = tap_statuses(summary);
    assert_eq!(tapped, statuses);
}

per_ffmpeg!(the_tap_counts_every_request_status_and_byte_the_origin_logged);
fn the_tap_counts_every_request_status_and_byte_the_origin_logged(ffmpeg: ViewerFfmpeg) {
    let user_agent = &ffmpeg.user_agent("e2e-tap");
    let dir = Scratch::new(user_agent);
    let origin = Origin::start(&dir, &["404:/v0/seg*.ts:0.2", "503:/v1/index.m3u8:0.2"]);
    let [flag, path] = ffmpeg.flag();
    let (code, err, summary) = tap_run(
        &dir,
        &origin,
        user_agent,
        "3",
        &[
            "--tap",
            "on",
            "--threshold",
            "segment_download_p95<10s",
            "--threshold",
            "late_segment_rate<=1",
            &flag,
            &path,
        ],
    );
    assert_eq!(code, Some(0), "stderr: {err}");
    ffmpeg.assert_ran(&summary);
    let entries = origin.entries_for(user_agent);
    let log = count(&entries);
    assert!(log.segment >= 30, "viewers fetched too little: {log:?}");
    for code in ["404", "503"] {
        assert!(
            log.errors(code) >= 3,
            "too few HTTP {code} injected: {log:?}"
        );
    }
    // Requests by kind: exactly the log's (the tap counts a request when its answer has
    // passed, so nothing is in flight at the end).
    assert_eq!(number(&summary["requests"]["manifest"]), log.manifest);
    assert_eq!(number(&summary["requests"]["segment"]), log.segment);
    assert_eq!(
        number(&summary["requests"]["total"]),
        entries.len() as u64,
        "{summary}"
    );
    // Every status, by code, exactly the log's.
    assert_statuses_are(&summary, entries.iter().map(|e| e.status));
    assert_eq!(counted(&summary).errors_by_code, log.errors_by_code);
    // Bytes: every body byte the origin sent, less what was cut off at the stop (a truncated
    // body is counted as far as it got; the origin logs what it meant to send).
    assert_eq!(summary["bytes"]["source"], "tap");
    let logged: u64 = entries.iter().map(|e| e.body_bytes).sum();
    let tapped = number(&summary["bytes"]["total"]);
    let truncated = number(&summary["tap"]["truncated"]);
    assert!(
        tapped <= logged && logged - tapped <= truncated * origin.largest_segment(),
        "tap bytes {tapped}, logged {logged}, truncated {truncated}"
    );
    if truncated == 0 {
        assert_eq!(tapped, logged);
    }
    // The log-derived counts are kept beside, at most one request in flight per viewer more.
    let from_log = number(&summary["requests_from_log"]["total"]);
    let total = number(&summary["requests"]["total"]);
    assert!(
        (total..=total + 3).contains(&from_log),
        "log {from_log}, tap {total}"
    );
    // Every segment and playlist answered whole is timed; every segment the origin listed was
    // timed against its duration.
    let timed = |name: &str| number(&summary["latency_ms"][name]["count"]);
    assert_eq!(
        timed("segment_ttfb"),
        log.segment - truncated.min(log.segment)
    );
    assert_eq!(timed("segment_download"), timed("segment_ttfb"));
    assert!(timed("playlist_download") >= log.manifest - truncated.min(log.manifest));
    assert!(timed("upstream_connect") >= 3, "{}", summary["latency_ms"]);
    let late = &summary["late_segments"];
    assert!(number(&late["segments_timed"]) > 0, "{late}");
    assert!(late["share"].as_f64().is_some(), "{late}");
    // Thresholds on the tap's figures are checked, with their measured values.
    let thresholds = summary["thresholds"].as_array().expect("thresholds");
    assert_eq!(thresholds.len(), 2, "{thresholds:?}");
    let p95 = summary["latency_ms"]["segment_download"]["p95"]
        .as_f64()
        .unwrap();
    assert_eq!(thresholds[0]["value"].as_f64(), Some(p95), "{thresholds:?}");
    assert_eq!(thresholds[1]["value"], late["share"], "{thresholds:?}");
    assert!(
        thresholds.iter().all(|t| t["passed"] == true),
        "{thresholds:?}"
    );
    // The tap's CPU is reported apart from hls-swarm's own.
    assert!(summary["self"]["tap_cpu_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn tap_off_counts_from_the_log_and_has_no_tap_figures() {
    let dir = Scratch::new("tap-off");
    let origin = Origin::start(&dir, &[]);
    let sizes = origin.sizes_url();
    let (code, err, summary) = tap_run(
        &dir,
        &origin,
        "e2e-tap-off",
        "2",
        &["--tap", "off", "--segment-sizes-url", &sizes],
    );
    assert_eq!(code, Some(0), "stderr: {err}");
    assert_eq!(summary["bytes"]["source"], "segment-sizes");
    for key in ["tap", "late_segments", "requests_from_log"] {
        assert!(summary.get(key).is_none(), "{key} in {summary}");
    }
    assert!(summary["latency_ms"].get("segment_ttfb").is_none());
    assert!(summary["self"].get("tap_cpu_s").is_none());
}

#[test]
fn tap_on_for_an_https_stream_is_refused_in_one_sentence() {
    let out = run_to_end(
        &[
            "run",
            "https://127.0.0.1:9/stream.m3u8",
            "--tap",
            "on",
            "--skip-preflight",
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("--tap on times http:// streams only"),
        "{}",
        stderr(&out)
    );
}

/// The median of `values` (the lower middle one of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "no values to take the median of");
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

#[test]
fn through_a_rate_limited_nginx_the_tap_agrees_with_its_log_and_its_request_time() {
    use hls_swarm_testkit::exporters::{TimedLogLine, nginx_timed};
    let dir = Scratch::new("tap-nginx");
    let origin = Origin::start(&dir, &[]);
    // Each response is sent at 40 kB/s after nginx's one-second burst (limit_rate lets
    // `rate` bytes through at once): a segment of ~50-110 kB takes a measurable 0.2-1.8 s,
    // the time nginx writes as $request_time.
    let upstream = origin.handle.local_addr();
    let nginx = nginx_timed(
        &dir,
        &format!("proxy_pass http://{upstream}; limit_rate 40k;"),
    );
    let url = nginx.url("/master.m3u8");
    let json = dir.join("summary.json");
    let flags = [
        "--clients",
        "2",
        "--duration",
        "20s",
        "--tap",
        "on",
        "--summary-json",
        json.to_str().unwrap(),
    ];
    let out = run_to_end(
        &run_args(&url, "e2e-nginx", &flags),
        Duration::from_secs(90),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let summary = read_summary(&json);
    let log: Vec<TimedLogLine> = std::fs::read_to_string(dir.join("nginx.timed.log"))
        .expect("nginx's timed log")
        .lines()
        .filter_map(TimedLogLine::parse)
        .filter(|l| l.user_agent.starts_with("e2e-nginx/client-"))
        .collect();
    let segments: Vec<&TimedLogLine> = log.iter().filter(|l| l.uri.ends_with(".ts")).collect();
    assert!(
        segments.len() >= 20,
        "too few segments in nginx's log: {log:?}"
    );
    // Counts by kind and status: nginx's log's.
    let playlists = log.iter().filter(|l| l.uri.ends_with(".m3u8")).count() as u64;
    assert_eq!(number(&summary["requests"]["manifest"]), playlists);
    assert_eq!(
        number(&summary["requests"]["segment"]),
        segments.len() as u64
    );
    assert_statuses_are(&summary, log.iter().map(|l| l.status));
    // Body bytes within 0.5 % of nginx's $body_bytes_sent, but for the bodies cut off at the
    // stop (a segment takes about a second here, so a few are in flight when the viewers
    // stop): nginx counts what it wrote to the tap's socket, the tap what it passed on.
    let sent: u64 = log.iter().map(|l| l.body_bytes).sum();
    let tapped = number(&summary["bytes"]["total"]);
    let truncated = number(&summary["tap"]["truncated"]);
    let largest = log.iter().map(|l| l.body_bytes).max().unwrap_or(0);
    let allowed = 0.005 * sent as f64 + (truncated * largest) as f64;
    assert!(
        (tapped as f64 - sent as f64).abs() <= allowed,
        "tap {tapped} bytes, nginx {sent}, {truncated} bodies cut off at the stop"
    );
    if truncated == 0 {
        let off = (tapped as f64 - sent as f64).abs() / sent as f64;
        assert!(
            off <= 0.005,
            "tap {tapped} bytes, nginx {sent}: {:.3} % off",
            off * 100.0
        );
    }
    // The median segment download within 10 % of nginx's median $request_time.
    let nginx_median_ms = 1000.0 * median(segments.iter().map(|l| l.request_time_s).collect());
    assert!(
        nginx_median_ms > 100.0,
        "the rate limit did not bite: {nginx_median_ms} ms"
    );
    let tap_median_ms = summary["latency_ms"]["segment_download"]["p50"]
        .as_f64()
        .expect("segment_download p50");
    let ratio = tap_median_ms / nginx_median_ms;
    eprintln!(
        "segment download median: tap {tap_median_ms} ms, nginx {nginx_median_ms} ms ({} segments); bytes: tap {tapped}, nginx {sent}",
        segments.len()
    );
    assert!(
        (0.9..=1.1).contains(&ratio),
        "tap median {tap_median_ms} ms, nginx median {nginx_median_ms} ms"
    );
}

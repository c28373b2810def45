//! `docs/summary.v2.schema.json` against real output: `hls-swarm replay --json` of real captures,
//! `hls-swarm merge` of them, and a shard's summary with every optional section; and the schema
//! itself: valid, every key described with how `merge` combines it, no key left undeclared.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_host::HostSampler;
use hls_swarm_report::{
    FfmpegSummary, OriginFigures, Report, RunIdentity, SelfUsage, SeriesRecorder, ShardId,
    WindowBreach,
};
use hls_swarm_stats::{Counter, LatencyKind, TapRequest, TapStats};
use jsonschema::Validator;
use serde_json::{Value, json};

const CAPTURES: [&str; 4] = ["http-errors", "origin-restart", "first-variant", "refused"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("docs/summary.v2.schema.json"))
        .expect("docs/summary.v2.schema.json exists");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the schema compiles")
}

/// Every way `instance` breaks the schema, one line each.
fn violations(validator: &Validator, instance: &Value) -> Vec<String> {
    (validator.iter_errors(instance))
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(validator: &Validator, what: &str, instance: &Value) {
    let errors = violations(validator, instance);
    assert!(
        errors.is_empty(),
        "{what} breaks the schema:\n{}",
        errors.join("\n")
    );
}

fn capture(name: &str, ext: &str) -> String {
    let path = root().join(format!("crates/parse/tests/data/ffmpeg-5.1/{name}.{ext}"));
    path.to_str().expect("utf-8 path").to_owned()
}

/// `hls-swarm replay --json` of a capture, all under one URL so that they merge.
fn replay_json(name: &str) -> String {
    let (stderr_path, progress_path) = (capture(name, "stderr"), capture(name, "progress"));
    let mut args = vec!["replay", "--json", "--url", "http://origin/master.m3u8"];
    args.extend(["--stderr", &stderr_path]);
    if Path::new(&progress_path).exists() {
        args.extend(["--progress", &progress_path]);
    }
    let out = run_to_end(&args, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// A shard's summary as a live run writes it: identity, hls-swarm's own cost, the origin, this
/// machine's host figures, the request tap's, the time series (with the origin's and the
/// host's figures in its points) and thresholds, one of which stopped the run.
fn shard_summary() -> Value {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", 2, t0);
    let tap = Arc::new(TapStats::new(2));
    swarm.attach_tap(Arc::clone(&tap));
    for (status, download_ms, truncated) in [(206, 400, false), (206, 1_300, false), (404, 5, true)]
    {
        tap.record(
            Some(1),
            &TapRequest {
                kind: hls_swarm_parse::RequestKind::Segment,
                status,
                body_bytes: 90_000,
                ttfb: Duration::from_millis(3),
                download: Duration::from_millis(download_ms),
                upstream_connect: Some(Duration::from_micros(150)),
                truncated,
                media_duration: Some(Duration::from_secs(1)),
            },
        );
    }
    tap.record_failure(true);
    let mut host = HostSampler::live().expect("this machine has /proc");
    let origin = OriginFigures {
        cpu_percent: Some(12.5),
        nginx_connections_active: Some(2),
        ..OriginFigures::default()
    };
    let mut series = SeriesRecorder::new();
    let v = swarm.register(3);
    for tick in 1..=4 {
        swarm.record_host(host.sample());
        v.add(Counter::SegmentRequests, 10);
        v.record_http_error(503);
        v.record_latency(LatencyKind::TcpConnect, Duration::from_micros(1_234));
        let s = swarm.tick(t0 + Duration::from_millis(500 * tick));
        series.observe(&s, &swarm, Some(origin.clone()));
    }
    let snapshot = swarm.tick(t0 + Duration::from_secs(10));
    let series = series.finish(&snapshot, &swarm, Some(origin.clone()));
    let now = SystemTime::now();
    let report = Report::from_aggregator(&swarm, &snapshot)
        .with_run(RunIdentity {
            run_id: Some("job-uid-1".to_owned()),
            shard: Some(ShardId { index: 1, count: 3 }),
            started_at: now,
            ended_at: now + Duration::from_secs(10),
            start_late: Some(Duration::from_millis(250)),
        })
        .with_self_usage(Some(SelfUsage {
            cpu_s: 0.8,
            peak_rss_bytes: 30_000_000,
            tap_cpu_s: Some(0.3),
        }))
        .with_origin(Some(origin))
        .with_ffmpeg(FfmpegSummary {
            versions: vec!["n9.0.2-17-g2a571b6068-20260930".to_owned()],
            log_stamps_ms: true,
            options_missing: vec!["-http_proxy".to_owned()],
        })
        .with_timeseries(Some(series))
        .with_thresholds(&[
            "http_error_rate<0.5".parse().unwrap(),
            "playlist_ttfb_p95<1s".parse().unwrap(),
        ]);
    let mut report = report;
    report.thresholds[0].aborted_run = Some(WindowBreach {
        value: Some(0.1),
        from_s: 0.0,
        to_s: 30.0,
    });
    report.thresholds[0].passed = false;
    assert!(report.host.is_some() && report.tap.is_some() && report.late_segments.is_some());
    // Through the tap, the log's own figures (stamped or not) are left out.
    assert!(!report.latency_ms.contains_key("tcp_connect"));
    serde_json::from_str(&report.to_json()).unwrap()
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let schema = schema();
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("docs/summary.v2.schema.json is not a valid schema: {e}");
    }
    assert_eq!(
        schema["properties"]["schema"]["const"],
        hls_swarm_report::SCHEMA
    );
}

/// Calls `f(path, node)` for every subschema that describes a key (a property, a pattern
/// property or the schema of a map's values).
fn each_key_schema(path: &str, node: &Value, f: &mut impl FnMut(&str, &Value)) {
    let Some(obj) = node.as_object() else { return };
    for keyword in ["properties", "patternProperties"] {
        if let Some(Value::Object(props)) = obj.get(keyword) {
            for (name, sub) in props {
                let path = format!("{path}.{name}");
                f(&path, sub);
                each_key_schema(&path, sub, f);
            }
        }
    }
    if let Some(sub @ Value::Object(_)) = obj.get("additionalProperties") {
        let path = format!("{path}.*");
        f(&path, sub);
        each_key_schema(&path, sub, f);
    }
    for keyword in ["items", "oneOf", "anyOf", "prefixItems"] {
        match obj.get(keyword) {
            Some(Value::Array(subs)) => subs.iter().for_each(|s| each_key_schema(path, s, f)),
            Some(sub) => each_key_schema(path, sub, f),
            None => {}
        }
    }
}

#[test]
fn every_key_says_what_it_measures_and_how_merge_combines_it() {
    let mut undescribed = Vec::new();
    each_key_schema("", &schema(), &mut |path, sub| {
        let description = sub["description"].as_str().unwrap_or_default();
        let (what, merge) = description
            .split_once("merge:")
            .unwrap_or((description, ""));
        if what.trim().len() < 10 || merge.trim().is_empty() {
            undescribed.push(path.to_owned());
        }
    });
    assert!(
        undescribed.is_empty(),
        "keys without a description of what they measure and a \"merge: …\": {undescribed:?}"
    );
}

/// Calls `f` on every subschema that can match an object.
fn each_object_schema(path: &str, node: &Value, f: &mut impl FnMut(&str, &Value)) {
    let Some(obj) = node.as_object() else { return };
    if obj.contains_key("properties") || obj.get("type") == Some(&json!("object")) {
        f(path, node);
    }
    for (k, v) in obj {
        match v {
            Value::Object(map) if k == "properties" || k == "patternProperties" => {
                for (name, sub) in map {
                    each_object_schema(&format!("{path}.{name}"), sub, f);
                }
            }
            Value::Array(subs) => subs.iter().for_each(|s| each_object_schema(path, s, f)),
            sub @ Value::Object(_) => each_object_schema(&format!("{path}/{k}"), sub, f),
            _ => {}
        }
    }
}

#[test]
fn no_object_in_the_schema_lets_an_undeclared_key_through() {
    // So a field added to the summary without adding it here fails the real-output tests below.
    let mut open = Vec::new();
    each_object_schema("", &schema(), &mut |path, sub| {
        if sub.get("additionalProperties").is_none() {
            open.push(path.to_owned());
        }
    });
    assert!(
        open.is_empty(),
        "objects without additionalProperties: {open:?}"
    );
    // And it bites: a misspelt key, a key nested anywhere, a number where a count goes.
    let validator = validator();
    let mut summary: Value = serde_json::from_str(&replay_json("http-errors")).unwrap();
    assert_valid(&validator, "replay of http-errors", &summary);
    summary["requests"]["segmnet"] = json!(1);
    summary["latency_ms"]["tcp_connect"]["p999"] = json!(1.0);
    summary["playback"]["speed_samples"] = json!(-1);
    summary["http_errors"]["4040"] = json!(1);
    let errors = violations(&validator, &summary);
    for path in [
        "/requests",
        "/latency_ms/tcp_connect",
        "/playback/speed_samples",
        "/http_errors",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(&format!("{path}:"))),
            "{path} not caught: {errors:#?}"
        );
    }
}

#[test]
fn replay_summaries_of_real_captures_match_the_schema() {
    let validator = validator();
    for name in CAPTURES {
        let summary: Value = serde_json::from_str(&replay_json(name)).unwrap();
        assert_eq!(summary["schema"], "hls-swarm.summary.v2", "{name}");
        assert_valid(&validator, &format!("replay of {name}"), &summary);
    }
}

#[test]
fn a_shard_summary_with_every_section_matches_the_schema() {
    let summary = shard_summary();
    assert!(
        summary["self"].is_object() && summary["origin"].is_object(),
        "{summary}"
    );
    assert_eq!(summary["shard"], json!({"index": 1, "count": 3}));
    let points = summary["timeseries"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 3, "{summary}");
    assert!(points[0]["host"].is_object() && points[0]["origin"].is_object());
    assert!(points[0]["latency_ms"]["segment_download"].is_object());
    // The run went through the tap: ffmpeg's own timing of its loopback connects is left out.
    assert!(points[0]["latency_ms"].get("tcp_connect").is_none());
    assert!(summary["latency_ms"].get("tcp_connect").is_none());
    assert!(summary["thresholds"][1]["value"].is_null(), "no data");
    assert_valid(&validator(), "a shard's summary", &summary);
}

#[test]
fn merged_summaries_match_the_schema() {
    let dir = Scratch::new("summary-schema-merge");
    let mut files = Vec::new();
    for name in CAPTURES {
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, replay_json(name)).unwrap();
        files.push(path.to_str().unwrap().to_owned());
    }
    let out_file = dir.join("merged.json");
    let mut args = vec!["merge", "--json", "-o", out_file.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let out = run_to_end(&args, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: Value = serde_json::from_str(&stdout(&out)).expect("merge --json prints JSON");
    assert_eq!(merged["shards"], CAPTURES.len());
    assert!(
        !merged["upper_bounds"].as_array().unwrap().is_empty(),
        "{merged}"
    );
    let validator = validator();
    assert_valid(&validator, "merge of the replays", &merged);
    assert_eq!(
        read_summary(&out_file),
        merged,
        "-o writes what --json prints"
    );
}

#[test]
fn a_merge_of_shards_with_time_series_matches_the_schema() {
    let parts: Vec<Report> = (0..3)
        .map(|index| {
            let mut r: Report = serde_json::from_value(shard_summary()).unwrap();
            r.shard = Some(ShardId { index, count: 3 });
            r
        })
        .collect();
    let merged = hls_swarm_report::merge(&parts, false).expect("three shards of one run");
    let series = merged
        .timeseries
        .as_ref()
        .expect("every shard had a series");
    let segments: u64 = series.points.iter().map(|p| p.requests.segment).sum();
    assert_eq!(segments, merged.requests.segment);
    let merged: Value = serde_json::from_str(&merged.to_json()).unwrap();
    assert_valid(&validator(), "a merge of shards with time series", &merged);
}

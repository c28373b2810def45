//! The report read off real snapshots: the v1 JSON keys kept in v2, honest bytes, and the text's
//! units; merging (`merge`, `refusals`) and reading back (`read`) in modules of their own.

mod feed;
mod ffmpeg;
mod host;
mod merge;
mod read;
mod refusals;
mod series;

use crate::*;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::{Event, Level, Line, ProgressBlock};
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Recorder, Stream, ViewerStats};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn exiting_viewer(swarm: &Aggregator, id: u32, t0: Instant, times: usize) -> Arc<ViewerStats> {
    let v = swarm.register(id);
    for _ in 0..times {
        let mut rec = Recorder::new(Arc::clone(&v), t0);
        let msg = Event::ErrorMessage {
            level: Level::Error,
            message: "Unrecognized option 'seg_max_retry'.",
        };
        rec.on_line(
            &Line {
                time: None,
                context: None,
                level: None,
                event: Some(msg),
            },
            t0,
        );
        v.record_exit(ExitReason::Code(1));
    }
    v
}

#[test]
fn the_summary_has_the_v1_fields_and_honest_bytes() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/m.m3u8", 1, t0);
    let v = exiting_viewer(&swarm, 0, t0, 3);
    v.add(Counter::SegmentRequests, 9);
    v.record_http_error(503);
    let s = swarm.tick(t0 + secs(30));
    let report = Report::from_aggregator(&swarm, &s);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["schema"], "hls-swarm.summary.v2");
    assert_eq!(json["url"], "http://o/m.m3u8");
    assert_eq!(json["clients"], 1);
    assert_eq!(json["duration_s"], 30.0);
    assert_eq!(json["requests"]["segment"], 9);
    assert_eq!(json["requests"]["manifest"], 0);
    assert_eq!(json["http_errors"]["503"], 1);
    assert_eq!(json["bytes"]["total"], 0);
    assert_eq!(json["bytes"]["source"], "none");
    assert_eq!(json["viewers"]["started"], 1);
    assert_eq!(json["viewers"]["restarts"], 2);
    assert_eq!(json["viewers"]["exit_reasons"]["exit code 1"], 3);
    assert_eq!(
        json["viewers"]["exits"][0]["last_error"],
        "Unrecognized option 'seg_max_retry'."
    );
    for field in ["peak_active", "stalled"] {
        assert!(json["viewers"][field].is_u64(), "{field}");
    }
    assert!(json["playback"]["speed_mean"].is_f64());
    assert!(json["playback"]["below_realtime"].is_u64());
    for field in ["count", "p50", "p95", "p99", "max"] {
        assert!(
            json["latency_ms"]["tcp_connect"][field].is_number(),
            "{field}"
        );
    }
    assert_eq!(json["pipeline"]["lines_read"], 0);
    assert_eq!(json["pipeline"]["lines_dropped"], 0);
    // v2: a report built without `with_run` knows no identity and says so; a run is one shard
    // summary with nothing bounded or missing; an empty latency figure has no minimum.
    for key in ["run_id", "shard", "started_at", "ended_at", "start_late_s"] {
        assert!(json[key].is_null(), "{key}: {json}");
    }
    assert_eq!(json["shards"], 1);
    assert_eq!(json["upper_bounds"], serde_json::json!([]));
    assert_eq!(json["missing_shards"], serde_json::json!([]));
    let empty = &json["latency_ms"]["tcp_connect"];
    assert_eq!(
        (empty["count"].as_u64(), empty["max"].as_f64()),
        (Some(0), Some(0.0))
    );
    assert!(empty["min"].is_null(), "{empty}");
    assert_eq!(empty["histogram"], serde_json::json!([]));
    assert_eq!(empty["sum_us"], 0);
}

#[test]
fn the_run_identity_is_in_the_json_and_the_text() {
    use std::time::{SystemTime, UNIX_EPOCH};
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/m.m3u8", 1, t0);
    let started_at = UNIX_EPOCH + Duration::from_millis(1_767_225_600_250);
    let report = Report::from_aggregator(&swarm, &swarm.tick(t0 + secs(3))).with_run(RunIdentity {
        run_id: Some("job-7f3a".to_owned()),
        shard: Some(ShardId { index: 2, count: 3 }),
        started_at,
        ended_at: started_at + secs(3),
        start_late: Some(Duration::from_millis(1_500)),
    });
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["run_id"], "job-7f3a");
    assert_eq!(json["shard"], serde_json::json!({"index": 2, "count": 3}));
    assert_eq!(json["shards"], 1);
    assert_eq!(json["started_at"], "2026-01-01T00:00:00.250Z");
    assert_eq!(json["ended_at"], "2026-01-01T00:00:03.250Z");
    assert_eq!(json["start_late_s"], 1.5);
    let text = report.render_text();
    assert_shows(
        &text,
        &[
            "run id                 job-7f3a",
            "shard                  2/3 (shards count from 0)",
            "started                2026-01-01T00:00:00.250Z",
            "started late           1.5 s after --start-at",
        ],
    );
    assert!(!text.contains("merge of"), "{text}");
    // It reads back as it was, times to the millisecond.
    let back = Report::from_json(&report.to_json()).unwrap();
    assert_eq!(back, report);
    let _: SystemTime = back.started_at.unwrap();
}

#[test]
fn the_text_summary_names_units_errors_and_dropped_lines() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/m.m3u8", 1, t0);
    let v = exiting_viewer(&swarm, 0, t0, 37);
    v.record_http_error(404);
    v.add_lines_read(Stream::Stderr, 1_000);
    v.add_lines_dropped(Stream::Stderr, 12);
    v.add_avio_bytes(2_500_000);
    v.add(Counter::SequenceJumps, 6);
    let text = Report::from_aggregator(&swarm, &swarm.tick(t0 + secs(10))).render_text();
    assert_shows(
        &text,
        &[
            "WARNING: 12 of 1000 ffmpeg output lines dropped",
            "37 exits: Unrecognized option 'seg_max_retry'.",
            "HTTP 404",
            "2.50 MB (250.00 kB/s, from avio-statistics)",
            "36 restarts",
            LatencyKind::TcpConnect.meaning(),
        ],
    );
    // Events other than HTTP errors get a section of their own, each count with its meaning.
    let (errors, rest) = text.split_once("\nOther events\n").expect(&text);
    assert!(!errors.contains("sequence jumps"), "{text}");
    let jumps = format!(
        "sequence jumps         6  {}",
        Counter::SequenceJumps.meaning()
    );
    assert!(rest.contains(&jumps), "{text}");
}

#[test]
fn playback_and_stalls_are_the_whole_runs_after_every_viewer_stopped() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 3, t0);
    let mut recorders = Vec::new();
    for (id, speed) in [0.5, 1.0, 2.0].into_iter().enumerate() {
        let mut rec = Recorder::new(swarm.register(id as u32), t0);
        let block = ProgressBlock {
            speed: Some(speed),
            out_time_us: Some(9_000_000),
            ..Default::default()
        };
        rec.on_progress(&block, t0 + secs(10));
        // Reporting still (a viewer silent for more than 5 s is stalled, whatever its speed).
        let block = ProgressBlock {
            out_time_us: Some(17_000_000),
            ..block
        };
        rec.on_progress(&block, t0 + secs(18));
        recorders.push(rec);
    }
    swarm.register(2).record_exit(ExitReason::Signal(9));
    swarm.tick(t0 + secs(20));
    for id in 0..2 {
        swarm.register(id).record_exit(ExitReason::Stopped);
    }
    let report = Report::from_aggregator(&swarm, &swarm.tick(t0 + secs(21)));
    assert_eq!(report.playback.speed_mean, 0.75);
    assert_eq!(report.viewers.stalled, 1);
    assert_eq!(report.playback.below_realtime, 1);
}

#[test]
fn origin_figures_and_self_usage_are_sections_of_their_own_and_absent_when_unknown() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/m.m3u8", 1, t0);
    let bare = Report::from_aggregator(&swarm, &swarm.tick(t0 + secs(1)));
    let json: serde_json::Value = serde_json::from_str(&bare.to_json()).unwrap();
    assert!(
        json.get("self").is_none() && json.get("origin").is_none(),
        "{json}"
    );
    assert!(!bare.render_text().contains("Origin ("));

    let origin = OriginFigures {
        cpu_percent: Some(42.0),
        memory_used_bytes: Some(2_000_000_000),
        memory_total_bytes: Some(8_000_000_000),
        net_tx_bytes_per_s: Some(3_500_000.0),
        nginx_connections_active: Some(7),
        scrape_errors: Some("nginx_exporter: connection refused".to_owned()),
        ..OriginFigures::default()
    };
    let usage = SelfUsage {
        cpu_s: 1.25,
        peak_rss_bytes: 12_300_000,
        tap_cpu_s: None,
    };
    let full = bare.with_origin(Some(origin)).with_self_usage(Some(usage));
    let json: serde_json::Value = serde_json::from_str(&full.to_json()).unwrap();
    assert_eq!(json["self"]["cpu_s"], 1.25);
    assert_eq!(json["self"]["peak_rss_bytes"], 12_300_000);
    assert_eq!(json["origin"]["cpu_percent"], 42.0);
    assert_eq!(json["origin"]["memory_used_bytes"], 2_000_000_000u64);
    assert_eq!(json["origin"]["nginx_connections_active"], 7);
    // Unknown is null, never 0.
    assert!(json["origin"]["net_rx_bytes_per_s"].is_null(), "{json}");
    assert!(json["origin"]["nginx_requests_per_s"].is_null(), "{json}");
    let text = full.render_text();
    let (_, origin_text) = text
        .split_once("\nOrigin (from its exporters, at the end of the run)\n")
        .expect(&text);
    assert_shows(
        origin_text,
        &[
            "cpu                    42.0 %",
            "memory used            2.0 of 8.0 GB",
            "network in             n/a",
            "network out            3.5 MB/s",
            "nginx connections      7",
            "scrape errors          nginx_exporter: connection refused",
        ],
    );
    assert!(
        text.contains("hls-swarm itself (not its viewers): 1.2 s CPU, 12.3 MB peak RSS"),
        "{text}"
    );
}

/// Every one of `texts` is in `text`.
pub(crate) fn assert_shows(text: &str, texts: &[&str]) {
    for wanted in texts {
        assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
    }
}

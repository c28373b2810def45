//! Thresholds: parsing and its refusals, the registry, and verdicts on summaries and windows.

use super::*;
use crate::sections::timeseries::SeriesPoint;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_stats::{Counter, LatencyKind};
use std::time::{Duration, Instant};

fn parse(expr: &str) -> Result<Threshold, ThresholdError> {
    expr.parse()
}

#[test]
fn expressions_in_every_unit_parse() {
    let t = parse("http_error_rate<0.01").unwrap();
    assert_eq!(
        (t.figure.name, t.op, t.limit),
        ("http_error_rate", Comparison::Less, 0.01)
    );
    assert_eq!(parse(" http_error_rate <= 1% ").unwrap().limit, 0.01);
    assert_eq!(parse("stalled_viewers==0").unwrap().op, Comparison::Equal);
    assert_eq!(parse("restarts<=5").unwrap().op, Comparison::AtMost);
    assert_eq!(parse("playlist_fetch_p95<2s").unwrap().limit, 2000.0);
    assert_eq!(parse("playlist_fetch_p95<250ms").unwrap().limit, 250.0);
    assert_eq!(parse("host_saturated_s<1m").unwrap().limit, 60.0);
    assert_eq!(parse("speed_mean>=0.95x").unwrap().op, Comparison::AtLeast);
    assert_eq!(parse("requests_per_s>10").unwrap().op, Comparison::Greater);
}

#[test]
fn bad_expressions_are_refused_in_one_sentence_naming_the_valid_figures() {
    for (expr, says) in [
        ("http_error_rate", "is not a threshold: write NAME OP VALUE"),
        ("http_error_rate=0.1", "is not a threshold"),
        ("<0.1", "is not a threshold"),
        ("http_error_rate<", "is not a threshold"),
        ("errors<1", "names no figure hls-swarm has: use one of"),
        (
            "restarts<5s",
            "is not a limit for restarts, whose unit is count",
        ),
        (
            "playlist_fetch_p95<fast",
            "write a number like 1.5 or 1.5ms",
        ),
    ] {
        let err = parse(expr).expect_err(expr).to_string();
        assert!(err.contains(says), "{expr}: {err}");
        assert!(!err.contains('\n') && !err.ends_with('.'), "{err}");
        if !err.contains("is not a limit") {
            assert!(err.contains(&available_names()), "{expr}: {err}");
        }
    }
}

#[test]
fn ffmpegs_own_timings_are_refused_for_a_run_through_the_tap() {
    for name in [
        "tcp_connect_p95",
        "tcp_connect_p99",
        "playlist_fetch_p95",
        "playlist_fetch_p99",
    ] {
        let f = figure(name).expect("registered");
        assert_eq!(f.needs, Needs::NoTap);
        let thresholds = [parse(&format!("{name}<1s")).expect("parses")];
        assert!(crate::names_without_the_tap().contains(name));
        assert!(!crate::names_with_the_tap().contains(name));
        assert!(crate::refuse_with_tap(&thresholds, false).is_ok());
        assert!(crate::refuse_without_tap(&thresholds, false).is_ok());
        let err = crate::refuse_with_tap(&thresholds, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{name} is timed from ffmpeg's log")),
            "{err}"
        );
        assert!(err.contains("segment_ttfb_p95"), "{err}");
    }
}

#[test]
fn the_request_taps_figures_parse_and_are_refused_for_a_run_without_it() {
    for name in [
        "segment_download_p95",
        "segment_ttfb_p95",
        "playlist_ttfb_p95",
        "late_segment_rate",
    ] {
        let f = figure(name).expect("registered");
        assert_eq!(f.needs, Needs::RequestTap);
        let threshold = parse(&format!("{name}<1")).expect("a tap figure parses");
        assert!(available_names().contains(name));
        assert!(!crate::names_without_the_tap().contains(name));
        let thresholds = [threshold];
        assert!(crate::refuse_without_tap(&thresholds, true).is_ok());
        let err = crate::refuse_without_tap(&thresholds, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "{name} needs the request tap, which this run goes without"
            )),
            "{err}"
        );
    }
    // Every figure has its unit and a definition worth reading.
    for f in FIGURES {
        assert!(f.definition.len() > 30, "{}", f.name);
    }
}

/// A summary of 100 requests, 3 of them answered 503 and 1 answered with a status outside
/// 400–599, and no latency sample.
fn summary() -> Report {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/m.m3u8", 1, t0);
    let v = swarm.register(0);
    v.add(Counter::SegmentRequests, 60);
    v.add(Counter::ManifestRequests, 40);
    for _ in 0..3 {
        v.record_http_error(503);
    }
    v.record_http_error(302);
    v.record_latency(LatencyKind::TcpConnect, Duration::from_millis(4));
    Report::from_aggregator(&swarm, &swarm.tick(t0 + Duration::from_secs(10)))
}

#[test]
fn verdicts_on_a_summary_pass_fail_and_fail_without_data() {
    let report = summary().with_thresholds(&[
        parse("http_error_rate<0.01").unwrap(),
        parse("http_error_rate<0.05").unwrap(),
        parse("http_errors==3").unwrap(),
        parse("playlist_fetch_p95<1s").unwrap(),
        parse("tcp_connect_p95<5ms").unwrap(),
    ]);
    let verdicts: Vec<(Option<f64>, bool)> = report
        .thresholds
        .iter()
        .map(|t| (t.value, t.passed))
        .collect();
    assert_eq!(
        verdicts,
        [
            (Some(0.03), false),
            (Some(0.03), true),
            (Some(3.0), true),
            (None, false),
            (Some(4.015), true),
        ],
        "4 ms at the histogram's resolution"
    );
    assert!(report.thresholds_failed());
    let text = report.render_text();
    for row in [
        "http_error_rate<0.01   FAIL  measured 0.0300 (3.00 %)",
        "playlist_fetch_p95<1s  FAIL  measured no data",
        "tcp_connect_p95<5ms    PASS  measured 4.01 ms",
    ] {
        assert!(text.contains(row), "{row}: {text}");
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["thresholds"][0]["figure"], "http_error_rate");
    assert_eq!(json["thresholds"][0]["unit"], "share");
    assert!(json["thresholds"][3]["value"].is_null());
    let passing = summary().with_thresholds(&[parse("http_errors<=3").unwrap()]);
    assert!(!passing.thresholds_failed());
}

#[test]
fn a_window_of_the_series_breaches_or_holds() {
    let point = |t_s: f64, requests: u64, errors: u64| {
        let mut p = SeriesPoint {
            t_s,
            span_s: 1.0,
            ..SeriesPoint::default()
        };
        p.requests.segment = requests;
        if errors > 0 {
            p.http_errors.insert("503".to_owned(), errors);
        }
        p
    };
    let window = [point(40.0, 10, 0), point(41.0, 10, 1)];
    let rate = parse("http_error_rate<0.01").unwrap();
    let breach = rate.breach(&window).expect("1 of 20 is over 1 %");
    assert_eq!(
        (breach.value, breach.from_s, breach.to_s),
        (Some(0.05), 40.0, 42.0)
    );
    assert_eq!(parse("http_error_rate<0.1").unwrap().breach(&window), None);
    // No request in the window is no data, which crosses; a figure without a window form never.
    let quiet = [point(0.0, 0, 0)];
    assert_eq!(rate.breach(&quiet).map(|b| b.value), Some(None));
    assert_eq!(parse("lines_dropped==0").unwrap().breach(&quiet), None);
}

//! The `/metrics` server end to end: values read back equal the snapshot's, promtool lints clean,
//! health and readiness, bind errors, shutdown.

mod common;

use common::{FED_COUNTERS, FED_HTTP_ERRORS, fed_swarm, fed_total, require_tool};
use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_metrics::{
    Exporter, ExporterOptions, LATENCY_BUCKETS_SECONDS, MetricsError, OriginScraperHandle,
    OriginSnapshot, ScrapeError, serve,
};
use hls_swarm_stats::{Counter, HttpStatus, LatencyKind};
use prometheus_parse::{Scrape, Value};
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn get(url: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let resp = req.send().await.expect("GET");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ctype, resp.text().await.expect("body"))
}

fn parse(body: &str) -> Scrape {
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).expect("parses")
}

/// The value of the sample `metric` whose labels include `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let s = scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .unwrap_or_else(|| panic!("no sample {metric} {labels:?}"));
    match &s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("{metric} is not a scalar: {other:?}"),
    }
}

/// Every plain swarm counter family and the counter it exports.
const PLAIN_COUNTERS: [(&str, Counter); 18] = [
    (
        "hls_swarm_manifest_requests_total",
        Counter::ManifestRequests,
    ),
    ("hls_swarm_segment_requests_total", Counter::SegmentRequests),
    ("hls_swarm_init_requests_total", Counter::InitRequests),
    ("hls_swarm_other_requests_total", Counter::OtherRequests),
    (
        "hls_swarm_hls_segment_requests_total",
        Counter::HlsSegmentRequests,
    ),
    ("hls_swarm_reconnections_total", Counter::Reconnects),
    (
        "hls_swarm_keepalive_retries_total",
        Counter::KeepAliveRetries,
    ),
    ("hls_swarm_tcp_connects_total", Counter::TcpConnects),
    (
        "hls_swarm_tcp_attempt_failures_total",
        Counter::TcpAttemptFailures,
    ),
    (
        "hls_swarm_tcp_connect_failures_total",
        Counter::TcpConnectFailures,
    ),
    (
        "hls_swarm_playlist_reload_failures_total",
        Counter::PlaylistReloadFailures,
    ),
    (
        "hls_swarm_segment_open_failures_total",
        Counter::SegmentOpenFailures,
    ),
    ("hls_swarm_segments_skipped_total", Counter::SegmentsSkipped),
    ("hls_swarm_segments_expired_total", Counter::SegmentsExpired),
    ("hls_swarm_sequence_changes_total", Counter::SequenceChanges),
    ("hls_swarm_sequence_jumps_total", Counter::SequenceJumps),
    ("hls_swarm_error_lines_total", Counter::ErrorLines),
    ("hls_swarm_lines_cut_total", Counter::LinesCut),
];

#[test]
fn the_fed_swarm_gives_every_counter_a_total_of_its_own() {
    for counter in Counter::ALL {
        let entries = FED_COUNTERS.iter().filter(|(c, _)| *c == counter).count();
        assert_eq!(entries, 1, "{counter:?} in FED_COUNTERS");
    }
    let mut totals: Vec<u64> = FED_COUNTERS.iter().map(|(_, n)| *n).collect();
    assert!(totals.iter().all(|&n| n > 0), "{totals:?}");
    totals.sort_unstable();
    totals.dedup();
    assert_eq!(totals.len(), Counter::COUNT, "two counters share a total");
    assert_eq!(fed_total(Counter::HttpErrors), FED_HTTP_ERRORS.len() as u64);
}

fn assert_counters_match(scrape: &Scrape, snap: &Snapshot) {
    let c = &snap.totals.counters;
    for (metric, counter) in PLAIN_COUNTERS {
        assert_eq!(
            c.get(counter),
            fed_total(counter),
            "{counter:?} in the snapshot"
        );
        assert_eq!(
            value(scrape, metric, &[]),
            c.get(counter) as f64,
            "{metric}"
        );
    }
    for (request, counter) in [
        ("manifest", Counter::HttpErrorsManifest),
        ("segment", Counter::HttpErrorsSegment),
        ("init", Counter::HttpErrorsInit),
        ("other", Counter::HttpErrorsOther),
    ] {
        assert_eq!(
            value(
                scrape,
                "hls_swarm_http_errors_by_request_total",
                &[("request", request)]
            ),
            fed_total(counter) as f64,
            "http errors answering {request} requests"
        );
    }
    for (status, n) in snap.http_errors.iter() {
        let code = status.to_string();
        assert_eq!(
            value(
                scrape,
                "hls_swarm_http_errors_total",
                &[("status_code", &code)]
            ),
            *n as f64
        );
    }
    for (code, n) in [("404", 4.0), ("503", 3.0), ("500", 2.0), ("other", 1.0)] {
        assert_eq!(
            value(
                scrape,
                "hls_swarm_http_errors_total",
                &[("status_code", code)]
            ),
            n,
            "status {code}"
        );
    }
}

/// Every per-variant family, read back for both variants of `fed_swarm`, against what it fed:
/// manifest, segment, init, other requests, HTTP errors, segment bytes.
fn assert_counters_match_per_variant(scrape: &Scrape, snap: &Snapshot) {
    let fed = [
        ("/v0/index.m3u8", [4, 40, 1, 2, 3, 500_000]),
        ("/v1/index.m3u8", [8, 89, 5, 10, 1, 250_000]),
    ];
    assert_eq!(snap.variants.len(), fed.len());
    for (path, want) in fed {
        let row = snap
            .variants
            .iter()
            .find(|r| &*r.path == path)
            .unwrap_or_else(|| panic!("no variant {path}"));
        let r = &row.values;
        let families = [
            ("manifest_requests", r.manifest_requests),
            ("segment_requests", r.segment_requests),
            ("init_requests", r.init_requests),
            ("other_requests", r.other_requests),
            ("http_errors", r.http_errors),
            ("segment_bytes", r.segment_bytes),
        ];
        for ((family, in_snapshot), want) in families.into_iter().zip(want) {
            let metric = format!("hls_swarm_variant_{family}_total");
            assert_eq!(in_snapshot, want, "{metric} of {path} in the snapshot");
            assert_eq!(
                value(scrape, &metric, &[("variant", path)]),
                in_snapshot as f64,
                "{metric} of {path}"
            );
        }
    }
}

#[tokio::test]
async fn metrics_read_back_equal_the_snapshot() {
    let swarm = fed_swarm();
    let snap = swarm.snapshot();
    let server = serve(
        any_port(),
        Exporter::new(Arc::clone(&swarm), ExporterOptions::default()),
    )
    .await
    .expect("serves");
    let (status, ctype, body) = get(&server.metrics_url(), None).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let scrape = parse(&body);

    assert_counters_match(&scrape, &snap);
    assert!(
        snap.http_errors
            .iter()
            .any(|(s, _)| *s == HttpStatus::Other)
    );
    assert_eq!(
        value(
            &scrape,
            "hls_swarm_http_errors_total",
            &[("status_code", "other")]
        ),
        1.0
    );
    let v = &snap.viewers;
    // Two play, viewer 2 waits out a backoff; all three started, viewer 2 once more.
    for (metric, in_snapshot, want) in [
        ("hls_swarm_target_clients", u64::from(v.target), 4),
        (
            "hls_swarm_ramp_launched_clients",
            u64::from(v.ramp_launched),
            3,
        ),
        ("hls_swarm_active_clients", v.active, 2),
        ("hls_swarm_restarting_clients", v.restarting, 1),
        ("hls_swarm_peak_active_clients", v.peak_active, 3),
        ("hls_swarm_client_starts_total", v.started, 3),
        ("hls_swarm_client_restarts_total", v.restarts, 1),
    ] {
        assert_eq!(in_snapshot, want, "{metric} in the snapshot");
        assert_eq!(value(&scrape, metric, &[]), in_snapshot as f64, "{metric}");
    }
    assert_eq!(v.restarts, 1);
    assert_eq!(value(&scrape, "hls_swarm_ramp_progress", &[]), 0.75);
    assert_eq!(
        value(
            &scrape,
            "hls_swarm_client_exits_total",
            &[("category", "error"), ("reason", "exit code 1")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &scrape,
            "hls_swarm_info",
            &[
                ("stream_url", "http://origin.test/master.m3u8"),
                ("variant", "all")
            ]
        ),
        1.0
    );
    let p = &snap.playback;
    assert_eq!(
        value(&scrape, "hls_swarm_clients_below_realtime", &[]),
        p.below_realtime as f64
    );
    assert_eq!(value(&scrape, "hls_swarm_average_speed", &[]), p.speed_mean);
    let (_, _) = snap.totals.bytes();
    // Viewer 0's exact segment sizes; AVIO statistics of all three (1,000,000 + id each).
    for (source, in_snapshot, want) in [
        ("segment_sizes", snap.totals.segment_bytes, 500_000),
        ("avio_statistics", snap.totals.avio_bytes, 3_000_003),
    ] {
        assert_eq!(in_snapshot, want, "{source} bytes in the snapshot");
        assert_eq!(
            value(
                &scrape,
                "hls_swarm_bytes_downloaded_total",
                &[("source", source)]
            ),
            in_snapshot as f64,
            "{source} bytes"
        );
    }
    // 100 stderr and 20 progress lines read by each viewer; viewer `id` dropped `id` and `2 × id`.
    let lines = &snap.pipeline;
    for (family, stream, in_snapshot, want) in [
        ("read", "stderr", lines.stderr.read, 300),
        ("read", "progress", lines.progress.read, 60),
        ("dropped", "stderr", lines.stderr.dropped, 3),
        ("dropped", "progress", lines.progress.dropped, 6),
    ] {
        assert_eq!(in_snapshot, want, "{stream} lines {family} in the snapshot");
        assert_eq!(
            value(
                &scrape,
                &format!("hls_swarm_stats_lines_{family}_total"),
                &[("stream", stream)]
            ),
            in_snapshot as f64,
            "{stream} lines {family}"
        );
    }
    assert_counters_match_per_variant(&scrape, &snap);

    // The samples `fed_swarm` recorded, ms (none within the histogram's 1 % of a bucket bound).
    let tcp_ms = [0.8, 2.3, 3.8, 40.0, 40.0, 40.0];
    let playlist_ms = [30.0, 60.0, 90.0];
    for (kind, metric, samples) in [
        (
            LatencyKind::TcpConnect,
            "hls_swarm_tcp_connect_seconds",
            &tcp_ms[..],
        ),
        (
            LatencyKind::PlaylistFetch,
            "hls_swarm_playlist_fetch_seconds",
            &playlist_ms[..],
        ),
    ] {
        let summary = snap.latency.get(kind);
        assert_eq!(summary.count, samples.len() as u64);
        let hist = scrape
            .samples
            .iter()
            .find(|s| s.metric == metric)
            .unwrap_or_else(|| panic!("no histogram {metric}"));
        let Value::Histogram(buckets) = &hist.value else {
            panic!("{metric} is not a histogram")
        };
        assert_eq!(buckets.len(), LATENCY_BUCKETS_SECONDS.len() + 1);
        for (b, bound_s) in buckets
            .iter()
            .zip(LATENCY_BUCKETS_SECONDS.iter().chain([&f64::INFINITY]))
        {
            let want = samples
                .iter()
                .filter(|&&ms| ms / 1000.0 <= *bound_s)
                .count();
            assert_eq!(b.count, want as f64, "{metric} bucket le={}", b.less_than);
        }
        assert_eq!(
            value(&scrape, &format!("{metric}_count"), &[]),
            summary.count as f64
        );
        let sum = value(&scrape, &format!("{metric}_sum"), &[]);
        let mean_s = summary.mean_ms / 1000.0;
        assert!(
            (sum / summary.count as f64 - mean_s).abs() <= mean_s * 0.01,
            "{metric} sum {sum}"
        );
    }
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn openmetrics_is_served_when_asked_for() {
    let swarm = fed_swarm();
    let server = serve(
        any_port(),
        Exporter::new(Arc::clone(&swarm), ExporterOptions::default()),
    )
    .await
    .unwrap();
    let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
    let (status, ctype, body) = get(&server.metrics_url(), Some(accept)).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    assert!(body.ends_with("# EOF\n"));
    assert!(body.contains("# TYPE hls_swarm_segment_requests counter\n"));
    let segments = swarm
        .snapshot()
        .totals
        .counters
        .get(Counter::SegmentRequests);
    assert_eq!(
        value(&parse(&body), "hls_swarm_segment_requests_total", &[]),
        segments as f64
    );
    server.shutdown().await.unwrap();
}

fn promtool_check(body: &str) -> (bool, String) {
    let promtool = require_tool("/usr/bin/promtool", "prometheus");
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn promtool_finds_no_problem_with_every_family_enabled() {
    let swarm = fed_swarm();
    let origin = OriginScraperHandle::fixed(OriginSnapshot {
        cpu_percent: Some(12.5),
        memory_used_bytes: Some(1 << 30),
        memory_total_bytes: Some(8 << 30),
        net_rx_bytes_per_s: Some(1000.0),
        net_tx_bytes_per_s: Some(250_000.0),
        nginx_connections_active: Some(7),
        nginx_requests_per_s: Some(42.0),
        node: hls_swarm_metrics::SourceHealth {
            configured: true,
            successes: 2,
            ..Default::default()
        },
        nginx: hls_swarm_metrics::SourceHealth {
            configured: true,
            failures: 1,
            last_error: Some(ScrapeError::Status { status: 503 }),
            ..Default::default()
        },
        rounds: 2,
    });
    let options = ExporterOptions {
        per_viewer: true,
        origin: Some(origin),
        ..ExporterOptions::default()
    };
    let server = serve(any_port(), Exporter::new(Arc::clone(&swarm), options))
        .await
        .unwrap();
    let (_, _, body) = get(&server.metrics_url(), None).await;
    assert!(body.contains("hls_swarm_client_speed{client_id=\"0\"}"));
    assert!(body.contains("hls_swarm_origin_cpu_percent 12.5"));
    assert!(body.contains("hls_swarm_origin_scrape_up{source=\"nginx_exporter\"} 0"));
    let (ok, problems) = promtool_check(&body);
    assert!(
        ok && problems.trim().is_empty(),
        "promtool check metrics:\n{problems}\n--- body ---\n{body}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn promtool_accepts_the_empty_run() {
    let swarm = Arc::new(Aggregator::new(
        "http://origin.test/live.m3u8",
        10,
        Instant::now(),
    ));
    let body =
        Exporter::new(swarm, ExporterOptions::default()).encode(hls_swarm_metrics::Format::Text004);
    let (ok, problems) = promtool_check(&body);
    assert!(
        ok && problems.trim().is_empty(),
        "promtool check metrics:\n{problems}\n--- body ---\n{body}"
    );
}

#[tokio::test]
async fn health_is_always_ok_and_ready_waits_for_the_first_tick() {
    let swarm = Arc::new(Aggregator::new(
        "http://origin.test/live.m3u8",
        1,
        Instant::now(),
    ));
    let server = serve(
        any_port(),
        Exporter::new(Arc::clone(&swarm), ExporterOptions::default()),
    )
    .await
    .unwrap();
    let base = format!("http://{}", server.local_addr());
    assert_eq!(get(&format!("{base}/healthz"), None).await.0, 200);
    assert_eq!(get(&format!("{base}/healthz"), None).await.2, "ok");
    assert_eq!(get(&format!("{base}/readyz"), None).await.0, 503);
    swarm.tick(Instant::now());
    let (status, _, body) = get(&format!("{base}/readyz"), None).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(get(&format!("{base}/nope"), None).await.0, 404);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_busy_port_is_a_typed_error_saying_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let swarm = Arc::new(Aggregator::new(
        "http://origin.test/live.m3u8",
        1,
        Instant::now(),
    ));
    let err = serve(addr, Exporter::new(swarm, ExporterOptions::default()))
        .await
        .expect_err("port is taken");
    assert!(matches!(err, MetricsError::Bind { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot listen on {addr} (address in use): pass --metrics ADDR or --metrics off")
    );
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let swarm = Arc::new(Aggregator::new(
        "http://origin.test/live.m3u8",
        1,
        Instant::now(),
    ));
    let server = serve(any_port(), Exporter::new(swarm, ExporterOptions::default()))
        .await
        .unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    server.shutdown().await.unwrap();
    let err = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect_err("closed");
    assert!(err.is_connect(), "{err:?}");
}

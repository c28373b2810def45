//! Unit tests: text 0.0.4 conversion, format negotiation, histogram and counter semantics.

use crate::exporter::{Exporter, Format};
use crate::options::ExporterOptions;
use crate::text_format::from_openmetrics;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_stats::{Counter, LatencyKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn counters_get_total_in_help_and_type_and_eof_goes() {
    let om = "# HELP a_requests Requests.\n# TYPE a_requests counter\na_requests_total{x=\"1\"} 3\n\
              # HELP b Gauge.\n# TYPE b gauge\nb 1.5\n\
              # HELP c_seconds Hist.\n# TYPE c_seconds histogram\nc_seconds_sum 1.0\nc_seconds_count 1\n\
              c_seconds_bucket{le=\"+Inf\"} 1\n# EOF\n";
    let want = "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\na_requests_total{x=\"1\"} 3\n\
                # HELP b Gauge.\n# TYPE b gauge\nb 1.5\n\
                # HELP c_seconds Hist.\n# TYPE c_seconds histogram\nc_seconds_sum 1.0\nc_seconds_count 1\n\
                c_seconds_bucket{le=\"+Inf\"} 1\n";
    assert_eq!(from_openmetrics(om), want);
}

#[test]
fn unit_lines_are_dropped_and_help_with_spaces_is_kept() {
    let om = "# HELP x_bytes The bytes, all of them.\n# TYPE x_bytes counter\n# UNIT x_bytes bytes\nx_bytes_total 1\n# EOF\n";
    assert_eq!(
        from_openmetrics(om),
        "# HELP x_bytes_total The bytes, all of them.\n# TYPE x_bytes_total counter\nx_bytes_total 1\n"
    );
}

#[test]
fn prometheus_gets_openmetrics_everyone_else_text_004() {
    let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,\
                      text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
    assert_eq!(Format::negotiate(Some("*/*")), Format::Text004);
    assert_eq!(Format::negotiate(None), Format::Text004);
}

fn swarm() -> (Arc<Aggregator>, Instant) {
    let start = Instant::now();
    (
        Arc::new(Aggregator::new("http://o/x.m3u8", 1, start)),
        start,
    )
}

/// The value of the unlabelled sample `name` in a text 0.0.4 scrape of `exporter`.
fn scraped(exporter: &Exporter, name: &str) -> f64 {
    sample(&exporter.encode(Format::Text004), name)
}

fn sample(body: &str, name: &str) -> f64 {
    let line = body
        .lines()
        .find(|l| l.starts_with(name) && l.as_bytes().get(name.len()) == Some(&b' '))
        .unwrap_or_else(|| panic!("no {name} in\n{body}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn histogram_buckets_are_cumulative_and_sum_only_grows() {
    let (swarm, start) = swarm();
    let exporter = Exporter::new(Arc::clone(&swarm), ExporterOptions::default());
    let viewer = swarm.register(0);
    let mut last_sum = 0.0;
    for (i, ms) in [1u64, 7, 7, 300, 45_000, 2].into_iter().enumerate() {
        viewer.record_latency(LatencyKind::TcpConnect, Duration::from_millis(ms));
        swarm.tick(start + Duration::from_secs(i as u64 + 1));
        let body = exporter.encode(Format::Text004);
        let sum = sample(&body, "hls_swarm_tcp_connect_seconds_sum");
        assert!(sum > last_sum, "sum {sum} after {last_sum}");
        last_sum = sum;
        assert_eq!(
            sample(&body, "hls_swarm_tcp_connect_seconds_count"),
            (i + 1) as f64
        );
    }
    let body = exporter.encode(Format::Text004);
    // 1 ms at ≤1 ms, then 7 ms twice by 10 ms, 300 ms by 0.5 s; 45 s only in +Inf.
    for (le, count) in [
        ("0.001", 1.0),
        ("0.0025", 2.0),
        ("0.01", 4.0),
        ("0.5", 5.0),
        ("30.0", 5.0),
        ("+Inf", 6.0),
    ] {
        let bucket = format!("hls_swarm_tcp_connect_seconds_bucket{{le=\"{le}\"}}");
        assert_eq!(sample(&body, &bucket), count, "{bucket}");
    }
    assert!((sample(&body, "hls_swarm_tcp_connect_max_seconds") - 45.0).abs() < 0.5);
}

#[test]
fn no_made_up_series_before_data() {
    let (swarm, _) = swarm();
    let body =
        Exporter::new(Arc::clone(&swarm), ExporterOptions::default()).encode(Format::Text004);
    for absent in [
        "hls_swarm_average_speed ",
        "hls_swarm_tcp_connect_max_seconds ",
        "hls_swarm_bytes_downloaded_total",
        "hls_swarm_http_errors_total{",
        "hls_swarm_client_exits_total{",
        "hls_swarm_origin_",
        "hls_swarm_client_speed",
        "quantile",
    ] {
        assert!(!body.contains(absent), "{absent} present in\n{body}");
    }
    assert_eq!(sample(&body, "hls_swarm_segment_requests_total"), 0.0);
    assert_eq!(sample(&body, "hls_swarm_tcp_connect_seconds_count"), 0.0);
}

#[test]
fn counters_follow_the_totals_across_ticks_and_removals() {
    let (swarm, start) = swarm();
    let exporter = Exporter::new(Arc::clone(&swarm), ExporterOptions::default());
    swarm.register(0).add(Counter::SegmentRequests, 5);
    swarm.register(1).add(Counter::SegmentRequests, 7);
    swarm.tick(start + Duration::from_secs(1));
    assert_eq!(scraped(&exporter, "hls_swarm_segment_requests_total"), 12.0);
    assert!(swarm.remove(1));
    swarm.register(0).add(Counter::SegmentRequests, 1);
    swarm.tick(start + Duration::from_secs(2));
    assert_eq!(scraped(&exporter, "hls_swarm_segment_requests_total"), 13.0);
}

#[test]
fn a_scrape_sees_only_published_snapshots() {
    let (swarm, start) = swarm();
    let exporter = Exporter::new(Arc::clone(&swarm), ExporterOptions::default());
    assert!(!exporter.is_ready());
    swarm.register(0).add(Counter::ManifestRequests, 3);
    // Not ticked yet: the scrape reports the published (empty) snapshot, not live atomics.
    assert_eq!(scraped(&exporter, "hls_swarm_manifest_requests_total"), 0.0);
    swarm.tick(start + Duration::from_secs(1));
    assert!(exporter.is_ready());
    assert_eq!(scraped(&exporter, "hls_swarm_manifest_requests_total"), 3.0);
}

#[test]
fn run_labels_go_on_every_series_in_both_formats() {
    let t0 = Instant::now();
    let swarm = Arc::new(Aggregator::new("http://o/m.m3u8", 2, t0));
    swarm.register(4).add(Counter::SegmentRequests, 3);
    swarm.register(4).record_http_error(404);
    swarm.tick(t0 + Duration::from_secs(1));
    let options = ExporterOptions {
        labels: vec![
            ("run_id".to_owned(), "run-7".to_owned()),
            ("shard".to_owned(), "1".to_owned()),
        ],
        ..ExporterOptions::default()
    };
    let exporter = Exporter::new(Arc::clone(&swarm), options);
    for format in [Format::OpenMetrics, Format::Text004] {
        let body = exporter.encode(format);
        let samples: Vec<&str> = body
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        assert!(samples.len() > 20, "{body}");
        for sample in &samples {
            assert!(
                sample.contains("run_id=\"run-7\"") && sample.contains("shard=\"1\""),
                "{sample}"
            );
        }
        assert!(
            samples
                .iter()
                .any(|s| s.starts_with("hls_swarm_segment_requests_total{") && s.ends_with(" 3")),
            "{body}"
        );
    }
    // Without labels, none.
    let body = Exporter::new(swarm, ExporterOptions::default()).encode(Format::Text004);
    assert!(!body.contains("run_id"), "{body}");
}

#[test]
fn host_series_appear_with_the_first_sample_and_only_known_figures() {
    use hls_swarm_host::{HostLimits, HostSample, LimitSource};
    let (swarm, start) = swarm();
    let exporter = Exporter::new(Arc::clone(&swarm), ExporterOptions::default());
    swarm.tick(start + Duration::from_secs(1));
    let body = exporter.encode(Format::Text004);
    assert!(
        !body.contains("hls_swarm_host_"),
        "host series before any sample:\n{body}"
    );
    let limits = HostLimits {
        cpu_cores: 1.5,
        cpu_source: LimitSource::Cgroup,
        online_cpus: 2,
        affinity_cpus: 2,
        memory_bytes: 4_000_000_000,
        memory_source: LimitSource::Machine,
    };
    // The first sample has no CPU rate yet: no busy series, not a zero.
    swarm.record_host(HostSample {
        limits,
        cpu_busy_cores: None,
        memory_used_bytes: Some(1_000_000_000),
        interval: None,
    });
    swarm.tick(start + Duration::from_secs(2));
    let body = exporter.encode(Format::Text004);
    assert!(!body.contains("hls_swarm_host_cpu_busy_cores"), "{body}");
    assert_eq!(sample(&body, "hls_swarm_host_cpu_capacity_cores"), 1.5);
    assert_eq!(sample(&body, "hls_swarm_host_saturated"), 0.0);
    swarm.record_host(HostSample {
        limits,
        cpu_busy_cores: Some(1.44),
        memory_used_bytes: Some(1_000_000_000),
        interval: Some(Duration::from_millis(500)),
    });
    swarm.set_ramp_held(Duration::from_millis(250));
    swarm.tick(start + Duration::from_secs(3));
    let body = exporter.encode(Format::Text004);
    assert_eq!(sample(&body, "hls_swarm_host_cpu_busy_cores"), 1.44);
    assert_eq!(sample(&body, "hls_swarm_host_memory_used_bytes"), 1e9);
    assert_eq!(sample(&body, "hls_swarm_host_memory_limit_bytes"), 4e9);
    assert_eq!(sample(&body, "hls_swarm_host_saturated"), 1.0);
    assert_eq!(sample(&body, "hls_swarm_host_saturated_seconds_total"), 0.5);
    assert_eq!(sample(&body, "hls_swarm_ramp_held_seconds_total"), 0.25);
    assert_eq!(
        sample(&body, "hls_swarm_host_stall_onsets_while_saturated_total"),
        0.0
    );
}

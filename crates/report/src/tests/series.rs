//! The time series: recorded tick by tick its counts add up to the summary's totals, latency
//! comes per point, a long run stays within its capacity, and the shards of a merge align.

use super::*;
use crate::sections::timeseries::SeriesPoint;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// A run of `ticks` 500 ms ticks of two viewers whose counts grow irregularly: its series and
/// its final report.
fn recorded_run(ticks: u64) -> (TimeSeries, Report) {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/m.m3u8", 2, t0);
    let (a, b) = (swarm.register(0), swarm.register(1));
    let mut recorder = SeriesRecorder::new();
    for tick in 1..=ticks {
        a.add(Counter::SegmentRequests, tick % 3);
        b.add(Counter::ManifestRequests, 1 + tick % 2);
        if tick % 7 == 0 {
            b.record_http_error(503);
            a.record_latency(LatencyKind::PlaylistFetch, Duration::from_millis(tick));
        }
        let s = swarm.tick(t0 + Duration::from_millis(500 * tick));
        recorder.observe(&s, &swarm, None);
    }
    // Samples that arrive after the last tick are the final snapshot's.
    a.record_latency(LatencyKind::PlaylistFetch, Duration::from_millis(900));
    a.add(Counter::SegmentRequests, 5);
    let last = swarm.tick(t0 + Duration::from_millis(500 * ticks + 200));
    let series = recorder.finish(&last, &swarm, None);
    (series, Report::from_aggregator(&swarm, &last))
}

#[test]
fn the_points_add_up_to_the_totals_second_by_second() {
    let (series, report) = recorded_run(40);
    assert_eq!(series.resolution_s, 1);
    assert_eq!(
        series.points.len(),
        20,
        "20 seconds, the last 0.2 s joining the 20th"
    );
    for (i, p) in series.points.iter().enumerate() {
        assert_eq!(p.t_s, i as f64);
        assert!(
            (p.span_s - if i < 19 { 1.0 } else { 1.2 }).abs() < 1e-9,
            "{p:?}"
        );
    }
    let sum = |f: fn(&SeriesPoint) -> u64| series.points.iter().map(f).sum::<u64>();
    assert_eq!(sum(|p| p.requests.segment), report.requests.segment);
    assert_eq!(sum(|p| p.requests.manifest), report.requests.manifest);
    assert_eq!(sum(|p| p.requests.total()), report.requests.total);
    assert_eq!(sum(|p| p.http_error_count()), report.http_errors["503"]);
    // Second 3 holds ticks 7 and 8: 7 % 3 + 8 % 3 segments, one 503, one 7 ms sample.
    let third = &series.points[3];
    assert_eq!(third.requests.segment, 1 + 2);
    assert_eq!(third.http_errors, BTreeMap::from([("503".to_owned(), 1)]));
    let fetch = third.latency_ms["playlist_fetch"]
        .as_ref()
        .expect("a sample came");
    assert_eq!(fetch.count, 1);
    // A point's histogram has buckets at most 6.25 % wide, each read at its top.
    assert!((7.0..=7.0 * 1.0625).contains(&fetch.p95), "{fetch:?}");
    assert_eq!(
        series.points[0].latency_ms["playlist_fetch"], None,
        "none came"
    );
    let samples: u64 = (series.points.iter())
        .filter_map(|p| p.latency_ms["playlist_fetch"].as_ref())
        .map(|l| l.count)
        .sum();
    assert_eq!(samples, report.latency_ms["playlist_fetch"].count);
    // Without segment sizes the bytes are unknown, not 0.
    assert!(series.points.iter().all(|p| p.bytes.is_none()));
}

#[test]
fn a_long_run_is_coarsened_within_its_capacity_and_still_adds_up() {
    // 3,000 s: past 1,200 points at 1 s and 2,400 s at 2 s.
    let (series, report) = recorded_run(6_000);
    assert_eq!((series.resolution_s, series.coarsened), (4, 2));
    assert!(series.points.len() <= SERIES_CAPACITY);
    assert_eq!(
        series.points.len(),
        750,
        "3,000 s / 4 s, the last 0.2 s joining the last"
    );
    for pair in series.points.windows(2) {
        assert!(
            (pair[0].end_s() - pair[1].t_s).abs() < 1e-9,
            "contiguous: {pair:?}"
        );
    }
    let segments: u64 = series.points.iter().map(|p| p.requests.segment).sum();
    assert_eq!(segments, report.requests.segment);
}

/// A point of one second at `t_s`.
fn point(t_s: f64, segments: u64, running: u64) -> SeriesPoint {
    let mut p = SeriesPoint {
        t_s,
        span_s: 1.0,
        ..SeriesPoint::default()
    };
    p.requests.segment = segments;
    p.viewers.running = running;
    p
}

#[test]
fn merged_shards_align_on_the_earliest_start() {
    let series = |points: Vec<SeriesPoint>| TimeSeries {
        points,
        ..TimeSeries::default()
    };
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let shard = |index, start: SystemTime, s: TimeSeries| {
        let mut r = recorded_run(2).1;
        r.shard = Some(ShardId { index, count: 2 });
        r.started_at = Some(start);
        r.ended_at = Some(start + secs(3));
        r.timeseries = Some(s);
        r
    };
    let a = shard(
        0,
        t0,
        series(vec![point(0.0, 1, 2), point(1.0, 2, 2), point(2.0, 3, 2)]),
    );
    // Started 1.5 s later: its second 0 falls into the merged second 1.
    let b = shard(
        1,
        t0 + Duration::from_millis(1500),
        series(vec![point(0.0, 10, 3), point(1.0, 20, 3)]),
    );
    let merged = merge(&[a, b], false).unwrap();
    let m = merged.timeseries.expect("every shard has a series");
    let segments: Vec<u64> = m.points.iter().map(|p| p.requests.segment).collect();
    assert_eq!(segments, [1, 2 + 10, 3 + 20]);
    let running: Vec<u64> = m.points.iter().map(|p| p.viewers.running).collect();
    assert_eq!(running, [2, 5, 5], "side by side, levels add");
    assert!(
        merged
            .upper_bounds
            .contains(&"timeseries.points.viewers".to_owned())
    );
    // A shard without a series: no merged series (it would not add up).
    let mut c = shard(0, t0, series(vec![point(0.0, 1, 1)]));
    c.timeseries = None;
    let d = shard(1, t0, series(vec![point(0.0, 1, 1)]));
    assert_eq!(merge(&[c, d], false).unwrap().timeseries, None);
}

#[test]
fn the_series_round_trips_through_json() {
    let (series, report) = recorded_run(9);
    let report = report.with_timeseries(Some(series));
    let back = Report::from_json(&report.to_json()).unwrap();
    assert_eq!(back, report);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["timeseries"]["resolution_s"], 1);
    assert!(json["timeseries"]["points"][0]["bytes"].is_null());
}

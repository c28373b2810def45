//! The key property of `merge`: the merge of N one-viewer shards equals the report of one run of
//! the same N viewers, field by field, apart from the documented upper bounds and identity.

use serde_json::Value;

use super::assert_shows;
use super::feed::{self, wall_start};
use crate::{Report, ShardId, merge};

/// Viewers of the test run: enough that every script (healthy, slow, stalled, fast) appears
/// twice, with different latency ranges.
const N: u32 = 8;

/// The keys a merge may bound from above rather than give exactly.
const UPPER_BOUNDS: [&str; 2] = ["viewers.peak_active", "playback.below_realtime"];

/// The keys that say which summary this is, not what it measured.
const IDENTITY: [&str; 4] = ["shard", "shards", "upper_bounds", "missing_shards"];

fn shards() -> Vec<Report> {
    (0..N)
        .map(|i| feed::run(&[i], Some(ShardId { index: i, count: N })))
        .collect()
}

/// Through JSON and back, as `hls-swarm merge` reads the shards' files.
fn round_trip(report: &Report) -> Report {
    Report::from_json(&report.to_json_line()).expect("a summary reads back")
}

fn json(report: &Report) -> Value {
    serde_json::from_str(&report.to_json()).unwrap()
}

/// Every leaf of `v` by its dotted path (arrays by index).
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(&format!("{prefix}{k}."), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(&format!("{prefix}{i}."), v, out);
            }
        }
        leaf => out.push((prefix.trim_end_matches('.').to_owned(), leaf.clone())),
    }
}

/// Equal, integers exactly and other numbers to floating-point rounding (a weighted mean sums
/// in another order than one run does).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if !(x.is_f64() || y.is_f64()) => x == y,
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

/// Asserts that `merged` has the keys of `single` and the same value at each, but for the
/// identity keys and the upper bounds (at least the run's); returns how many figures matched.
fn assert_same_but_upper_bounds(single: &Report, merged: &Report) -> usize {
    let (mut want, mut got) = (Vec::new(), Vec::new());
    leaves("", &json(single), &mut want);
    leaves("", &json(merged), &mut got);
    let keys = |l: &[(String, Value)]| l.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    let identity = |k: &str| {
        IDENTITY
            .iter()
            .any(|i| k == *i || k.starts_with(&format!("{i}.")))
    };
    let (want_keys, got_keys): (Vec<String>, Vec<String>) = (
        keys(&want).into_iter().filter(|k| !identity(k)).collect(),
        keys(&got).into_iter().filter(|k| !identity(k)).collect(),
    );
    assert_eq!(got_keys, want_keys, "the same keys");
    let got: std::collections::BTreeMap<String, Value> = got.into_iter().collect();
    let mut compared = 0;
    for (key, value) in &want {
        if identity(key) {
            continue;
        }
        let merged_value = &got[key];
        if UPPER_BOUNDS.contains(&key.as_str()) {
            assert!(
                merged_value.as_u64() >= value.as_u64(),
                "{key}: the bound {merged_value} is below the run's {value}"
            );
        } else {
            assert!(
                same(merged_value, value),
                "{key}: merged {merged_value}, run {value}"
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn merging_one_viewer_shards_gives_the_single_runs_summary_field_by_field() {
    let ids: Vec<u32> = (0..N).collect();
    let single = feed::run(&ids, None);
    let parts: Vec<Report> = shards().iter().map(round_trip).collect();
    let merged = merge(&parts, false).expect("one run, every shard once");

    // Enough happened that the comparison means something.
    let tcp = &single.latency_ms["tcp_connect"];
    assert!(tcp.count > 2_000 && tcp.p50 < tcp.p99, "{tcp:?}");
    assert!(single.requests.total > 100 && !single.http_errors.is_empty());
    assert!(
        single.viewers.exits.len() >= 3 && single.viewers.stalled > 0,
        "{:?}",
        single.viewers
    );
    assert!(single.viewers.exits.iter().any(|e| e.last_error.is_some()));
    assert!(tcp.lost > 0, "{tcp:?}");
    assert!(single.playback.speed_samples > 0 && single.playback.drift_samples > 0);
    assert!(single.variants.len() >= 2 && single.bytes.source == "avio-statistics");

    let compared = assert_same_but_upper_bounds(&single, &merged);
    assert!(compared > 200, "compared {compared} figures");

    // The identity says what the merge is.
    assert_eq!((merged.shard, merged.shards), (None, N));
    assert!(merged.missing_shards.is_empty());
    assert_eq!(
        merged.upper_bounds,
        ["playback.below_realtime", "viewers.peak_active"]
    );
    assert_eq!(merged.run_id.as_deref(), Some("run-42"));
    assert_eq!(merged.started_at, Some(wall_start()));
    // Each shard peaked at one running viewer: the bound is the shards' sum, above the run's
    // (its viewers did not all run at once), and so is the bound below real time.
    assert_eq!(merged.viewers.peak_active, u64::from(N));
    assert!(single.viewers.peak_active < merged.viewers.peak_active);
    assert!(single.playback.below_realtime < merged.playback.below_realtime);
}

#[test]
fn with_the_request_tap_too_the_merge_of_one_viewer_shards_is_the_runs_summary() {
    let ids: Vec<u32> = (0..N).collect();
    let single = feed::run_with_tap(&ids, None);
    let parts: Vec<Report> = (0..N)
        .map(|i| feed::run_with_tap(&[i], Some(ShardId { index: i, count: N })))
        .map(|r| round_trip(&r))
        .collect();
    let merged = merge(&parts, false).expect("one run, every shard once");
    // The tap's figures are there and non-trivial: timings, late segments, cut bodies, errors.
    let download = &single.latency_ms["segment_download"];
    assert!(
        download.count > 50 && download.p50 < download.p99,
        "{download:?}"
    );
    let late = single.late_segments.expect("late segments with the tap");
    assert!(
        late.count > 0 && late.count < late.segments_timed,
        "{late:?}"
    );
    let tap = single.tap.as_ref().expect("the tap's section");
    assert!(
        tap.truncated > 0 && tap.statuses.contains_key("404"),
        "{tap:?}"
    );
    assert_eq!(single.bytes.source, "tap");
    assert!(single.requests_from_log.is_some());
    let compared = assert_same_but_upper_bounds(&single, &merged);
    assert!(compared > 250, "compared {compared} figures");
    // The late share is recomputed from the merged counts, not averaged.
    let merged_late = merged.late_segments.unwrap();
    assert_eq!(
        merged_late.share,
        Some(merged_late.count as f64 / merged_late.segments_timed as f64)
    );
}

#[test]
fn shards_with_and_without_the_tap_are_not_merged() {
    let with = feed::run_with_tap(&[0], Some(ShardId { index: 0, count: 2 }));
    let without = feed::run(&[1], Some(ShardId { index: 1, count: 2 }));
    let err = merge(&[with, without], false).unwrap_err();
    assert_eq!(
        err,
        crate::MergeError::MixedTap {
            with: 0,
            without: 1
        }
    );
    assert!(err.to_string().contains("--tap off"), "{err}");
}

#[test]
fn averaging_the_shards_percentiles_would_not_give_the_runs() {
    // What the test above guards against: the mean of the shards' p50 and p99 is far from the
    // percentile of every sample, so a merge that averaged would fail it.
    let ids: Vec<u32> = (0..N).collect();
    let single = feed::run(&ids, None);
    let parts = shards();
    for q in ["p50", "p99"] {
        let pick = |r: &Report| match q {
            "p50" => r.latency_ms["tcp_connect"].p50,
            _ => r.latency_ms["tcp_connect"].p99,
        };
        let averaged = parts.iter().map(pick).sum::<f64>() / f64::from(N);
        let true_value = pick(&single);
        assert!(
            (averaged - true_value).abs() > 0.1 * true_value,
            "{q}: averaged {averaged} ms is close to {true_value} ms"
        );
    }
}

#[test]
fn a_merges_text_says_what_it_is_and_marks_the_upper_bounds() {
    let parts = shards();
    let merged = merge(&parts[..3], true).expect("missing shards allowed");
    assert_eq!(merged.shards, 3);
    assert_eq!(merged.missing_shards, (3..N).collect::<Vec<_>>());
    let text = merged.render_text();
    assert_shows(
        &text,
        &[
            "hls-swarm summary: merge of 3 of 8 shards (missing: 3/8, 4/8, 5/8, 6/8, 7/8)",
            "run id                 run-42",
            "peak running           at most 3 viewers (the sum of each shard's peak)",
            "below real time        at most ",
        ],
    );
    assert!(
        !text.contains("shard                  "),
        "a merge is no one shard: {text}"
    );
    // A single shard's text has neither.
    let one = parts[0].render_text();
    assert!(
        !one.contains("at most 1 viewers") && !one.contains("merge of"),
        "{one}"
    );
    assert!(one.contains("shard                  0/8"), "{one}");
}

#[test]
fn a_merge_merges_again_and_a_merge_of_one_is_exact() {
    let parts = shards();
    let all = merge(&parts, false).unwrap();
    // One shard of one: nothing summed, nothing bounded.
    let alone = feed::run(&[5], Some(ShardId { index: 0, count: 1 }));
    let merged = merge(std::slice::from_ref(&alone), false).unwrap();
    assert!(merged.upper_bounds.is_empty(), "{:?}", merged.upper_bounds);
    assert_eq!(merged.latency_ms, alone.latency_ms);
    assert_eq!(merged.requests, alone.requests);
    // Histograms survive a second merge: merged halves merge into the whole.
    let halves: Vec<Report> = parts
        .chunks(4)
        .map(|half| {
            let mut m = merge(half, true).unwrap();
            m.missing_shards.clear();
            m
        })
        .collect();
    let again = merge(&halves, false).unwrap();
    assert_eq!(again.latency_ms, all.latency_ms);
    assert_eq!(again.shards, N);
    assert_eq!(again.viewers, all.viewers);
}

#[test]
fn own_cost_adds_cpu_keeps_the_largest_rss_and_the_origin_is_the_last_shards() {
    use crate::{OriginFigures, SelfUsage};
    use std::time::Duration;
    let usage = |cpu_s, peak_rss_bytes| {
        Some(SelfUsage {
            cpu_s,
            peak_rss_bytes,
            tap_cpu_s: None,
        })
    };
    let origin = |cpu| {
        Some(OriginFigures {
            cpu_percent: Some(cpu),
            ..OriginFigures::default()
        })
    };
    let mut parts = shards();
    parts.truncate(3);
    for p in &mut parts {
        p.shard = p.shard.map(|s| ShardId { count: 3, ..s });
    }
    parts[0] = parts[0]
        .clone()
        .with_self_usage(usage(1.5, 40_000_000))
        .with_origin(origin(10.0));
    parts[1] = parts[1]
        .clone()
        .with_self_usage(usage(2.0, 25_000_000))
        .with_origin(origin(30.0));
    parts[2] = parts[2]
        .clone()
        .with_self_usage(usage(0.5, 30_000_000))
        .with_origin(origin(20.0));
    // Shard 1 ended last: its reading of the (one) origin is the latest.
    parts[1].ended_at = parts[1].ended_at.map(|t| t + Duration::from_secs(2));
    let merged = merge(&parts, false).unwrap();
    assert_eq!(merged.self_usage, usage(4.0, 40_000_000));
    assert_eq!(merged.origin, origin(30.0));
    assert_eq!(merged.ended_at, parts[1].ended_at);
    // One shard that did not measure its own cost: a sum of the others would be too low.
    parts[2].self_usage = None;
    parts[2].origin = None;
    let merged = merge(&parts, false).unwrap();
    assert_eq!(merged.self_usage, None);
    assert_eq!(merged.origin, origin(30.0));
}

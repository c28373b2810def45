//! Unit tests: registration, removal, rates, latency merging and the snapshot.

use crate::*;
use hls_swarm_parse::{Context, Event, Line, ProgressBlock, RequestKind};
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Recorder, Stream};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn segment_requests(s: &Snapshot) -> u64 {
    s.totals.counters.get(Counter::SegmentRequests)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn register_is_get_or_create() {
    let swarm = Aggregator::new("http://o/m.m3u8", 3, Instant::now());
    let a = swarm.register(7);
    let b = swarm.register(7);
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(swarm.len(), 1);
    assert!(swarm.get(8).is_none());
}

#[test]
fn rates_use_the_real_time_between_ticks() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 1, t0);
    let v = swarm.register(0);
    v.add(Counter::SegmentRequests, 10);
    v.add(Counter::ManifestRequests, 4);
    let s1 = swarm.tick(t0 + secs(2));
    assert_eq!(
        (s1.rates.segment_per_s, s1.rates.requests_per_s),
        (5.0, 7.0)
    );
    v.add(Counter::SegmentRequests, 3);
    let s2 = swarm.tick(t0 + Duration::from_millis(2_500));
    assert_eq!(s2.rates.segment_per_s, 6.0);
    assert_eq!(s2.rates.manifest_per_s, 0.0);
    assert_eq!(s2.seq, 2);
    assert_eq!(swarm.load().seq, 2);
}

#[test]
fn removed_viewers_keep_their_totals() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 2, t0);
    for id in 0..2 {
        let v = swarm.register(id);
        let _rec = Recorder::new(Arc::clone(&v), t0);
        v.add(Counter::SegmentRequests, 5);
        v.record_http_error(404);
        v.add_avio_bytes(1_000);
        v.add_lines_read(Stream::Stderr, 10);
        v.record_latency(LatencyKind::TcpConnect, Duration::from_millis(2));
        v.record_exit(ExitReason::Code(1));
    }
    let before = swarm.tick(t0 + secs(1));
    assert!(swarm.remove(1));
    assert!(!swarm.remove(1));
    let after = swarm.tick(t0 + secs(2));
    assert_eq!(after.totals, before.totals);
    assert_eq!(after.http_errors, before.http_errors);
    assert_eq!(after.exits, before.exits);
    assert_eq!(after.viewers.started, 2);
    assert_eq!(after.viewers.registered, 1);
    assert_eq!(after.pipeline.stderr.read, 20);
    assert_eq!(after.latency.tcp_connect.count, 2);
    assert_eq!(after.rates.segment_per_s, 0.0);
    assert_eq!(
        after.totals.bytes(),
        (2_000, hls_swarm_stats::BytesSource::AvioStatistics)
    );
}

#[test]
fn a_tick_sees_viewers_registered_or_removed_since_the_last_one() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 2, t0);
    swarm.register(0).add(Counter::SegmentRequests, 1);
    assert_eq!(segment_requests(&swarm.tick(t0 + secs(1))), 1);
    // Registered after a tick: counted by the next one.
    swarm.register(1).add(Counter::SegmentRequests, 10);
    assert_eq!(segment_requests(&swarm.tick(t0 + secs(2))), 11);
    // Removed, then the id registered again as a fresh viewer: the old one counts once
    // (retired), the new one live, never the old one twice.
    assert!(swarm.remove(1));
    swarm.register(1).add(Counter::SegmentRequests, 100);
    let s = swarm.tick(t0 + secs(3));
    assert_eq!(s.totals.counters.get(Counter::SegmentRequests), 111);
    let mut rows = swarm.viewer_rows(t0 + secs(3));
    rows.sort_by_key(|r| r.id);
    let rows: Vec<(u32, u64)> = rows.iter().map(|r| (r.id, r.requests)).collect();
    assert_eq!(rows, [(0, 1), (1, 100)]);
}

#[test]
fn with_the_tap_a_viewers_row_counts_what_the_tap_relayed_for_it_in_its_shard() {
    use hls_swarm_stats::{TapRequest, TapStats};
    let t0 = Instant::now();
    // Shard 1 of 2: its viewers are the global ids 1 and 3, the tap's indexes 0 and 1.
    let swarm = Aggregator::new("u", 2, t0);
    let tap = Arc::new(TapStats::for_shard(2, 1, 2));
    assert_eq!((tap.index_of(3), tap.index_of(2)), (Some(1), None));
    swarm.attach_tap(Arc::clone(&tap));
    for id in [1, 3] {
        swarm.register(id).add(Counter::SegmentRequests, 50);
    }
    let segment = |status| TapRequest {
        kind: hls_swarm_parse::RequestKind::Segment,
        status,
        body_bytes: 1_000,
        ttfb: Duration::from_millis(2),
        download: Duration::from_millis(9),
        upstream_connect: None,
        truncated: false,
        media_duration: None,
    };
    tap.record(tap.index_of(3), &segment(200));
    tap.record(tap.index_of(3), &segment(503));
    let mut rows = swarm.viewer_rows(t0 + secs(1));
    rows.sort_by_key(|r| r.id);
    let got: Vec<_> = (rows.iter())
        .map(|r| {
            (
                r.id,
                r.requests,
                r.http_errors,
                r.bytes,
                r.tcp_connect_max_ms,
            )
        })
        .collect();
    assert_eq!(got, [(1, 0, 0, 0, None), (3, 2, 1, 2_000, None)]);
}

#[test]
fn latency_samples_merge_into_one_histogram_and_summaries_are_reused_when_idle() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 2, t0);
    for id in 0..2u32 {
        let v = swarm.register(id);
        for ms in 1..=50u64 {
            v.record_latency(
                LatencyKind::TcpConnect,
                Duration::from_millis(ms + 50 * u64::from(id)),
            );
        }
    }
    let s1 = swarm.tick(t0 + secs(1));
    let tcp = &s1.latency.tcp_connect;
    assert_eq!(tcp.count, 100);
    assert!((tcp.p50_ms - 50.0).abs() < 1.0, "{}", tcp.p50_ms);
    assert!((tcp.p99_ms - 99.0).abs() < 1.5, "{}", tcp.p99_ms);
    assert!((tcp.max_ms - 100.0).abs() < 1.0, "{}", tcp.max_ms);
    // Bounds 10 ms and 1 s: samples of 1..=10 ms, then all of them.
    assert_eq!(
        (LATENCY_BUCKET_BOUNDS_US[3], LATENCY_BUCKET_BOUNDS_US[9]),
        (10_000, 1_000_000)
    );
    assert_eq!((tcp.buckets[3], tcp.buckets[9]), (10, 100));
    assert_eq!(tcp.buckets[..3], [1, 2, 5]);
    // 1 + 2 + … + 100 ms = 5,050 ms, exactly.
    assert_eq!(tcp.sum_us, 5_050_000);
    assert_eq!(tcp.mean_ms, 50.5);
    assert_eq!(s1.latency.playlist_fetch.count, 0);
    // The full histogram, read on demand, is the one the snapshot's figures come from.
    let hist = swarm
        .latency_histogram(LatencyKind::TcpConnect)
        .expect("no tap: the log's figure");
    assert_eq!((hist.count(), hist.sum_us()), (100, 5_050_000));
    let [p50, _, p99] = hist.quantiles_us();
    assert_eq!(
        (p50 as f64 / 1e3, p99 as f64 / 1e3),
        (tcp.p50_ms, tcp.p99_ms)
    );
    assert_eq!(hist.max_us().map(|us| us as f64 / 1e3), Some(tcp.max_ms));
    assert_eq!(hist.min_us(), Some(1_000));
    assert_eq!(
        swarm
            .latency_histogram(LatencyKind::PlaylistFetch)
            .and_then(|h| h.min_us()),
        None
    );
    let s2 = swarm.tick(t0 + secs(2));
    assert!(Arc::ptr_eq(
        &s1.latency.tcp_connect,
        &s2.latency.tcp_connect
    ));
}

#[test]
fn viewer_counts_and_playback_come_from_running_viewers() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 4, t0);
    swarm.set_ramp_launched(3);
    let speeds = [Some(0.5), Some(1.0), Some(2.0)];
    let mut recorders = Vec::new();
    for (id, speed) in speeds.into_iter().enumerate() {
        let v = swarm.register(id as u32);
        let mut rec = Recorder::new(Arc::clone(&v), t0);
        let block = ProgressBlock {
            speed,
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
    let s = swarm.tick(t0 + secs(20));
    assert_eq!((s.viewers.active, s.viewers.restarting), (2, 1));
    assert_eq!(
        (
            s.viewers.peak_active,
            s.viewers.target,
            s.viewers.ramp_launched
        ),
        (2, 4, 3)
    );
    assert_eq!(s.playback.with_speed, 2);
    assert_eq!(s.playback.speed_mean, 0.75);
    // What the means are over, so means of several runs can be weighted.
    assert_eq!(
        (s.playback.run_speed_samples, s.playback.with_drift),
        (2, 2)
    );
    assert_eq!(s.playback.speed_buckets, [0, 1, 0, 1, 0]);
    assert_eq!((s.playback.below_realtime, s.playback.stalled), (1, 1));
    assert_eq!(
        (s.playback.drift_current_max_ms, s.playback.drift_max_ms),
        (1_000, 1_000)
    );
    let rows = swarm.viewer_rows(t0 + secs(20));
    let worst = worst_first(&rows, 0, 2);
    assert_eq!(worst.iter().map(|r| r.id).collect::<Vec<_>>(), [0, 1]);
    // Peak is kept after viewers stop.
    swarm.register(0).record_exit(ExitReason::Stopped);
    swarm.register(1).record_exit(ExitReason::Stopped);
    let s = swarm.tick(t0 + secs(21));
    assert_eq!(
        (s.viewers.active, s.viewers.stopped, s.viewers.peak_active),
        (0, 2, 2)
    );
    // After every viewer stopped, the run-wide playback figures still tell what happened.
    assert_eq!(s.playback.with_speed, 0);
    assert_eq!(s.playback.run_speed_mean, 0.75);
    assert_eq!(
        (s.playback.run_speed_samples, s.playback.with_drift),
        (2, 0)
    );
    assert_eq!(s.playback.ever_stalled, 1);
    assert_eq!(s.playback.peak_below_realtime, 1);
}

#[test]
fn viewers_share_variant_stats_through_the_lookup() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 2, t0);
    for id in 0..2 {
        let mut rec = Recorder::new(swarm.register(id), t0).with_variants(swarm.variant_lookup());
        for (path, kind) in [
            ("/v0/i.m3u8", RequestKind::Manifest),
            ("/v0/1.ts", RequestKind::Segment),
        ] {
            let line = Line {
                time: None,
                context: Some(Context {
                    name: "http",
                    addr: 1,
                }),
                level: None,
                event: Some(Event::HttpRequest {
                    method: "GET",
                    path,
                    kind,
                }),
            };
            rec.on_line(&line, t0);
        }
    }
    let s = swarm.tick(t0 + secs(1));
    assert_eq!(s.variants.len(), 1);
    assert_eq!(&*s.variants[0].path, "/v0/i.m3u8");
    assert_eq!(s.variants[0].values.manifest_requests, 2);
    assert_eq!(s.variants[0].values.segment_requests, 2);
}

/// Samples spread over every magnitude the histogram holds (0 µs to past its one-hour top),
/// from a fixed linear congruential sequence.
fn spread_samples(n: usize) -> Vec<u64> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let magnitude = (x >> 59) as u32; // 0..32
            (x >> 20) % 10u64.pow(magnitude % 11)
        })
        .collect()
}

#[test]
fn latency_histogram_pairs_are_lossless_and_histograms_add() {
    let samples = spread_samples(20_000);
    let (first, second) = samples.split_at(7_000);
    let mut whole = LatencyHistogram::new();
    let mut a = LatencyHistogram::new();
    let mut b = LatencyHistogram::new();
    samples.iter().for_each(|&us| whole.record(us));
    first.iter().for_each(|&us| a.record(us));
    second.iter().for_each(|&us| b.record(us));
    assert!(
        whole.max_us() >= Some(3_600_000_000),
        "the sequence reaches the top"
    );
    assert_eq!(whole.min_us(), Some(0));

    let rebuilt = LatencyHistogram::from_pairs(whole.pairs(), whole.sum_us());
    assert_eq!(rebuilt, whole);
    assert_eq!(rebuilt.pairs(), whole.pairs());
    assert_eq!(
        (rebuilt.count(), rebuilt.min_us(), rebuilt.max_us()),
        (whole.count(), whole.min_us(), whole.max_us())
    );
    assert_eq!(rebuilt.quantiles_us(), whole.quantiles_us());

    // Two parts' pairs, rebuilt and added, are the histogram of every sample.
    let mut merged = LatencyHistogram::from_pairs(a.pairs(), a.sum_us());
    merged.add(&LatencyHistogram::from_pairs(b.pairs(), b.sum_us()));
    assert_eq!(merged, whole);
    assert_eq!(merged.quantiles_us(), whole.quantiles_us());
    let exact_sum: u128 = samples.iter().map(|&us| u128::from(us)).sum();
    assert_eq!(merged.sum_us(), exact_sum);
    assert_eq!(merged.mean_us(), Some(exact_sum as f64 / 20_000.0));

    let empty = LatencyHistogram::new();
    assert_eq!(empty.pairs(), []);
    assert_eq!(
        (empty.min_us(), empty.max_us(), empty.mean_us()),
        (None, None, None)
    );
    assert_eq!(empty.quantiles_us(), [0; 3]);
}

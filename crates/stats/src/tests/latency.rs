//! Latency samples: TCP connect and playlist fetch times, and the ring that hands them over.

use super::{at, get, hls_request, http_error, opening, stamped};
use crate::tick::{RING_SLOTS, TickSource};
use crate::{Counter, LatencyKind, Recorder, ViewerStats};
use hls_swarm_parse::{Event, RequestKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every pending sample of `kind`, in µs.
fn drain(stats: &ViewerStats, kind: LatencyKind) -> Vec<u64> {
    let mut samples = Vec::new();
    stats.drain_latency(kind, |us| samples.push(us));
    samples
}

#[test]
fn tcp_connect_time_pairs_start_and_success_on_the_same_context() {
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    let start = |addr| Event::TcpConnectStart { addr, port: 80 };
    let done = |addr| Event::TcpConnected { addr, port: 80 };
    let now = Instant::now();
    rec.on_line(&stamped(1_000, at("tcp", 1, start("10.0.0.1"))), now);
    rec.on_line(&stamped(1_001, at("tcp", 2, start("10.0.0.1"))), now);
    rec.on_line(&stamped(1_004, at("tcp", 2, done("10.0.0.1"))), now);
    rec.on_line(&stamped(1_012, at("tcp", 1, done("10.0.0.1"))), now);
    // A success with no start seen (line dropped) counts but gives no sample.
    rec.on_line(&stamped(1_013, at("tcp", 3, done("10.0.0.1"))), now);
    let failed = Event::TcpConnectFailed {
        target: "o:80",
        reason: "Connection refused",
    };
    rec.on_line(&stamped(1_020, at("tcp", 4, start("10.0.0.1"))), now);
    rec.on_line(&stamped(1_021, at("tcp", 4, failed)), now);
    assert_eq!(stats.get(Counter::TcpConnects), 3);
    assert_eq!(stats.get(Counter::TcpConnectFailures), 1);
    assert_eq!(drain(&stats, LatencyKind::TcpConnect), [3_000, 12_000]);
    let totals = stats.latency_totals(LatencyKind::TcpConnect);
    assert_eq!((totals.count, totals.max_us, totals.lost), (2, 12_000, 0));
    assert_eq!(stats.drain_latency(LatencyKind::TcpConnect, |_| {}), 0);
}

#[test]
fn playlist_fetch_is_bounded_by_the_next_step_that_needs_the_body() {
    use RequestKind::Manifest;
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    let now = Instant::now();
    let lines = [
        // master fetched, then the demuxer opens a variant: 2 ms.
        stamped(100, get(1, "/master.m3u8", Manifest)),
        stamped(102, opening("hls", 9, "http://o/v0/index.m3u8")),
        // v0 fetched, then the demuxer asks for a v0 segment: 5 ms.
        stamped(103, get(2, "/v0/index.m3u8", Manifest)),
        stamped(108, hls_request("http://o/v0/s1.ts")),
        // reload with nothing new, superseded by the next reload: no sample for the first.
        stamped(2_000, get(2, "/v0/index.m3u8", Manifest)),
        stamped(3_000, get(2, "/v0/index.m3u8", Manifest)),
        stamped(3_001, hls_request("http://o/v0/s2.ts")),
        // a failed reload gives no sample.
        stamped(4_000, get(2, "/v0/index.m3u8", Manifest)),
        stamped(4_001, http_error(2, 500, "x")),
        stamped(4_002, hls_request("http://o/v0/s3.ts")),
    ];
    for line in &lines {
        rec.on_line(line, now);
    }
    assert_eq!(
        drain(&stats, LatencyKind::PlaylistFetch),
        [2_000, 5_000, 1_000]
    );
}

#[test]
fn a_full_latency_ring_counts_lost_samples_instead_of_blocking() {
    let stats = ViewerStats::new();
    for i in 0..(RING_SLOTS as u64 + 5) {
        stats.record_latency(LatencyKind::TcpConnect, Duration::from_micros(i));
    }
    let totals = stats.latency_totals(LatencyKind::TcpConnect);
    assert_eq!((totals.count, totals.lost), (RING_SLOTS as u64 + 5, 5));
    assert_eq!(
        stats.drain_latency(LatencyKind::TcpConnect, |_| {}),
        RING_SLOTS
    );
}

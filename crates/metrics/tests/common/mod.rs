//! Helpers shared by the integration tests: a fed aggregator, and the test kit's tools.

#![allow(dead_code)]

use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::RequestKind;
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Stream, ViewerState};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use hls_swarm_testkit::tools::require_tool;

/// An aggregator with three viewers that did a bit of everything, ticked once.
pub fn fed_swarm() -> Arc<Aggregator> {
    let start = Instant::now();
    let swarm = Arc::new(Aggregator::new("http://origin.test/master.m3u8", 4, start));
    swarm.set_ramp_launched(3);
    let variants = swarm.variant_lookup();
    let v0 = variants.variant("/v0/index.m3u8");
    let v1 = variants.variant("/v1/index.m3u8");
    for id in 0..3u32 {
        let n = u64::from(id);
        let viewer = swarm.register(id);
        viewer.begin_process();
        if id == 2 {
            viewer.set_last_error("Server returned 503 Service Unavailable");
            viewer.record_exit(ExitReason::Code(1));
            viewer.begin_process();
        }
        viewer.set_state(ViewerState::Running);
        viewer.add(Counter::ManifestRequests, 5 + n);
        viewer.add(Counter::SegmentRequests, 40 + 3 * n);
        viewer.add(Counter::InitRequests, 1);
        viewer.add(Counter::Reconnects, n);
        viewer.add(Counter::SegmentsSkipped, n);
        viewer.add(Counter::TcpConnects, 2);
        viewer.record_http_error(404);
        if id == 1 {
            viewer.record_http_error(503);
            viewer.record_http_error(302);
        }
        viewer.record_latency(
            LatencyKind::TcpConnect,
            Duration::from_micros(800 + 1500 * n),
        );
        viewer.record_latency(LatencyKind::TcpConnect, Duration::from_millis(40));
        viewer.record_latency(
            LatencyKind::PlaylistFetch,
            Duration::from_millis(30 * (n + 1)),
        );
        viewer.record_speed(1.1 - 0.3 * n as f64, Instant::now());
        viewer.add_avio_bytes(1_000_000 + n);
        viewer.add_lines_read(Stream::Stderr, 100);
        viewer.add_lines_read(Stream::Progress, 20);
        viewer.add_lines_dropped(Stream::Stderr, n);
        let variant = if id == 0 { &v0 } else { &v1 };
        variant.add_requests(RequestKind::Segment, 40 + 3 * n);
        variant.add_requests(RequestKind::Manifest, 4);
    }
    v1.add_http_error();
    swarm.tick(Instant::now() + Duration::from_millis(10));
    swarm
}

//! Helpers shared by the integration tests: a fed aggregator, and the test kit's tools.

#![allow(dead_code)]

use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::RequestKind;
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Stream, ViewerState};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use hls_swarm_testkit::tools::require_tool;

/// The swarm-wide total [`fed_swarm`] gives every counter: all distinct and non-zero, so that a
/// family wired to the wrong counter reads a wrong value. `HttpErrors` is the number of statuses
/// in [`FED_HTTP_ERRORS`]; the three viewers share every other total.
pub const FED_COUNTERS: [(Counter, u64); Counter::COUNT] = [
    (Counter::ManifestRequests, 18),
    (Counter::SegmentRequests, 129),
    (Counter::InitRequests, 9),
    (Counter::OtherRequests, 5),
    (Counter::HlsSegmentRequests, 120),
    (Counter::HttpErrors, 10),
    (Counter::HttpErrorsManifest, 1),
    (Counter::HttpErrorsSegment, 4),
    (Counter::HttpErrorsInit, 2),
    (Counter::HttpErrorsOther, 3),
    (Counter::Reconnects, 6),
    (Counter::KeepAliveRetries, 7),
    (Counter::TcpConnects, 21),
    (Counter::TcpAttemptFailures, 8),
    (Counter::TcpConnectFailures, 11),
    (Counter::PlaylistReloadFailures, 13),
    (Counter::SegmentOpenFailures, 14),
    (Counter::SegmentsSkipped, 15),
    (Counter::SegmentsExpired, 16),
    (Counter::SequenceChanges, 17),
    (Counter::SequenceJumps, 19),
    (Counter::ErrorLines, 20),
    (Counter::LinesCut, 22),
];

/// The HTTP error statuses [`fed_swarm`] records, dealt round the three viewers: 404 four times,
/// 503 three times, 500 twice, 302 (counted as `other`) once.
pub const FED_HTTP_ERRORS: [u16; 10] = [404, 404, 404, 404, 503, 503, 503, 500, 500, 302];

/// The total of `counter` in [`FED_COUNTERS`].
pub fn fed_total(counter: Counter) -> u64 {
    FED_COUNTERS
        .iter()
        .find(|(c, _)| *c == counter)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("{counter:?} missing from FED_COUNTERS"))
}

/// Viewer `id`'s share (of three) of `total`: the shares add up to `total`.
fn share(total: u64, id: u32) -> u64 {
    total / 3 + u64::from(u64::from(id) < total % 3)
}

/// An aggregator with three viewers that did a bit of everything, ticked twice: at the first tick
/// all three play; by the second, viewer 2 (which already restarted once) waits out a backoff.
/// Every counter, byte source, pipeline stream and per-variant family has a total of its own.
pub fn fed_swarm() -> Arc<Aggregator> {
    let start = Instant::now();
    let swarm = Arc::new(Aggregator::new("http://origin.test/master.m3u8", 4, start));
    swarm.set_ramp_launched(3);
    let variants = swarm.variant_lookup();
    let v0 = variants.variant("/v0/index.m3u8");
    let v1 = variants.variant("/v1/index.m3u8");
    let viewers: Vec<_> = (0..3u32).map(|id| swarm.register(id)).collect();
    for (id, viewer) in (0u32..).zip(&viewers) {
        let n = u64::from(id);
        viewer.begin_process();
        if id == 2 {
            viewer.set_last_error("Server returned 503 Service Unavailable");
            viewer.record_exit(ExitReason::Code(1));
            viewer.begin_process();
        }
        viewer.set_state(ViewerState::Running);
        for (counter, total) in FED_COUNTERS {
            // `HttpErrors` counts the statuses recorded below.
            if counter != Counter::HttpErrors {
                viewer.add(counter, share(total, id));
            }
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
        // Viewer 0 counts exact segment sizes, the others only ffmpeg's AVIO statistics.
        if id == 0 {
            viewer.add_segment_bytes(500_000);
        }
        viewer.add_avio_bytes(1_000_000 + n);
        viewer.add_lines_read(Stream::Stderr, 100);
        viewer.add_lines_read(Stream::Progress, 20);
        viewer.add_lines_dropped(Stream::Stderr, n);
        viewer.add_lines_dropped(Stream::Progress, 2 * n);
        // Viewer 0 plays /v0, the others /v1: every per-variant figure differs from the other
        // variant's and from the variant's other figures.
        let variant = if id == 0 { &v0 } else { &v1 };
        variant.add_requests(RequestKind::Segment, 40 + 3 * n);
        variant.add_requests(RequestKind::Manifest, 4);
        variant.add_requests(RequestKind::Init, 1 + n);
        variant.add_requests(RequestKind::Other, 2 + 2 * n);
        variant.add_segment_bytes(if id == 0 { 500_000 } else { 125_000 });
    }
    for (i, status) in FED_HTTP_ERRORS.into_iter().enumerate() {
        viewers[i % 3].record_http_error(status);
    }
    for _ in 0..3 {
        v0.add_http_error();
    }
    v1.add_http_error();
    swarm.tick(Instant::now() + Duration::from_millis(10));
    viewers[2].set_state(ViewerState::Restarting);
    swarm.tick(Instant::now() + Duration::from_millis(20));
    swarm
}

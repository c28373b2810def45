//! Requests and HTTP errors: counted by kind and status, attributed to their media playlist.

use super::{Variants, at, feed, get, hls_request, http_error, two_variant_session};
use crate::{Counter, HttpStatus, Recorder, ViewerStats};
use hls_swarm_parse::{Event, Line, RequestKind};
use std::sync::Arc;
use std::time::Instant;

/// A viewer with a variant lookup, and its recorder.
fn with_variants() -> (Arc<ViewerStats>, Arc<Variants>, Recorder) {
    let stats = Arc::new(ViewerStats::new());
    let variants = Arc::new(Variants::default());
    let rec = Recorder::new(Arc::clone(&stats), Instant::now()).with_variants(variants.clone());
    (stats, variants, rec)
}

/// The variant table after a viewer's recorder read `lines`.
fn attributed(lines: &[Line<'_>]) -> Arc<Variants> {
    let (_stats, variants, mut rec) = with_variants();
    feed(&mut rec, lines, Instant::now());
    variants
}

/// The (playlist, segment) requests attributed to the media playlist at `path`.
fn requests_of(variants: &Variants, path: &str) -> (u64, u64) {
    let v = variants.values(path).unwrap();
    (v.manifest_requests, v.segment_requests)
}

#[test]
fn every_http_request_line_counts_once_by_kind() {
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    two_variant_session(&mut rec, Instant::now());
    assert_eq!(stats.get(Counter::ManifestRequests), 4);
    assert_eq!(stats.get(Counter::SegmentRequests), 4);
    assert_eq!(stats.get(Counter::HlsSegmentRequests), 4);
    assert_eq!(stats.counters().total_requests(), 8);
    assert_eq!(stats.get(Counter::SequenceChanges), 1);
    assert_eq!(stats.get(Counter::SequenceJumps), 0);
}

#[test]
fn requests_are_attributed_to_media_playlists_and_never_to_the_master() {
    let (_stats, variants, mut rec) = with_variants();
    two_variant_session(&mut rec, Instant::now());
    assert_eq!(
        rec.variant_paths().collect::<Vec<_>>(),
        ["/v0/index.m3u8", "/v1/index.m3u8"]
    );
    assert!(variants.values("/master.m3u8").is_none());
    assert_eq!(requests_of(&variants, "/v0/index.m3u8"), (2, 3));
    assert_eq!(requests_of(&variants, "/v1/index.m3u8"), (1, 1));
}

#[test]
fn a_first_playlist_followed_by_segments_is_a_media_playlist() {
    let variants = attributed(&[
        get(1, "/live/stream.m3u8", RequestKind::Manifest),
        hls_request("http://o/live/s1.ts"),
        get(1, "/live/s1.ts", RequestKind::Segment),
        get(1, "/live/stream.m3u8", RequestKind::Manifest),
    ]);
    assert_eq!(requests_of(&variants, "/live/stream.m3u8"), (2, 1));
}

#[test]
fn segments_go_to_the_longest_matching_playlist_directory() {
    let variants = attributed(&[
        get(1, "/master.m3u8", RequestKind::Manifest),
        get(1, "/low.m3u8", RequestKind::Manifest),
        get(1, "/hi/index.m3u8", RequestKind::Manifest),
        get(1, "/hi/a.ts", RequestKind::Segment),
        get(1, "/low_a.ts", RequestKind::Segment),
    ]);
    assert_eq!(
        variants.values("/hi/index.m3u8").unwrap().segment_requests,
        1
    );
    assert_eq!(variants.values("/low.m3u8").unwrap().segment_requests, 1);
}

#[test]
fn http_errors_count_by_status_and_by_the_request_they_answer() {
    let (stats, variants, mut rec) = with_variants();
    let now = Instant::now();
    two_variant_session(&mut rec, now);
    rec.on_line(&get(7, "/v0/seg00335.ts", RequestKind::Segment), now);
    rec.on_line(&get(2, "/v1/index.m3u8", RequestKind::Manifest), now);
    rec.on_line(&http_error(7, 404, "Not Found"), now);
    for _ in 0..3 {
        rec.on_line(&http_error(2, 500, "Internal Server Error"), now);
    }
    rec.on_line(&http_error(2, 302, "Found"), now);
    let mut seen = Vec::new();
    stats.for_each_http_error(|status, n| seen.push((status, n)));
    assert_eq!(
        seen,
        [
            (HttpStatus::Code(404), 1),
            (HttpStatus::Code(500), 3),
            (HttpStatus::Other, 1)
        ]
    );
    assert_eq!(stats.get(Counter::HttpErrors), 5);
    assert_eq!(stats.get(Counter::HttpErrorsSegment), 1);
    assert_eq!(stats.get(Counter::HttpErrorsManifest), 4);
    assert_eq!(variants.values("/v1/index.m3u8").unwrap().http_errors, 4);
    assert_eq!(variants.values("/v0/index.m3u8").unwrap().http_errors, 1);
}

#[test]
fn error_counters_follow_their_events() {
    let stats = Arc::new(ViewerStats::new());
    let now = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), now);
    let events = [
        Event::PlaylistReloadFailed { playlist: 1 },
        Event::SegmentOpenFailed {
            segment: 3,
            playlist: 0,
        },
        Event::SegmentSkipped {
            segment: 3,
            playlist: 0,
        },
        Event::SegmentsExpired { count: 5 },
        Event::MediaSequenceChange { from: 10, to: 14 },
        Event::KeepAliveRetry {
            url: "http://o/a.ts",
            reason: "x",
        },
        Event::ReconnectScheduled {
            offset: 0,
            delay_s: 1,
        },
        Event::TcpAttemptFailed {
            addr: "::1",
            port: 80,
            reason: "refused",
        },
    ];
    for e in events {
        rec.on_line(&at("hls", 1, e), now);
    }
    let c = stats.counters();
    for (counter, n) in [
        (Counter::PlaylistReloadFailures, 1),
        (Counter::SegmentOpenFailures, 1),
        (Counter::SegmentsSkipped, 1),
        (Counter::SegmentsExpired, 5),
        (Counter::SequenceJumps, 1),
        (Counter::KeepAliveRetries, 1),
        (Counter::Reconnects, 1),
        (Counter::TcpAttemptFailures, 1),
    ] {
        assert_eq!(c.get(counter), n, "{}", counter.name());
    }
}

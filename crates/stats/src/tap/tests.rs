//! Tests of the tap's statistics: attribution, late segments, truncation, statuses, rings.

use std::time::Duration;

use hls_swarm_parse::RequestKind;

use super::{TapRequest, TapStats, TapTiming};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn segment(download_ms: u64, plays_ms: Option<u64>) -> TapRequest {
    TapRequest {
        kind: RequestKind::Segment,
        status: 206,
        body_bytes: 1000,
        ttfb: ms(download_ms / 2),
        download: ms(download_ms),
        upstream_connect: None,
        truncated: false,
        media_duration: plays_ms.map(ms),
    }
}

#[test]
fn counts_go_to_the_viewer_and_the_swarm_and_unknown_viewers_to_the_swarm_only() {
    let stats = TapStats::new(2);
    stats.record(Some(0), &segment(10, None));
    stats.record(Some(1), &segment(10, None));
    stats.record(Some(1), &segment(10, None));
    stats.record(None, &segment(10, None));
    stats.record(Some(7), &segment(10, None));
    assert_eq!(stats.counts().requests_of(RequestKind::Segment), 5);
    assert_eq!(stats.counts().bytes_of(RequestKind::Segment), 5000);
    assert_eq!(stats.viewer(0).unwrap().counts().total_requests(), 1);
    assert_eq!(stats.viewer(1).unwrap().counts().total_requests(), 2);
    assert_eq!(stats.unattributed().total_requests(), 2);
    assert!(stats.viewer(2).is_none());
}

#[test]
fn a_segment_is_late_when_its_download_outlasts_its_duration() {
    let stats = TapStats::new(1);
    stats.record(Some(0), &segment(900, Some(1000)));
    stats.record(Some(0), &segment(1001, Some(1000)));
    // Unknown duration: neither timed nor late.
    stats.record(Some(0), &segment(5000, None));
    // Truncated: counted as such, not timed.
    let mut cut = segment(5000, Some(1000));
    cut.truncated = true;
    stats.record(Some(0), &cut);
    let counts = stats.counts();
    assert_eq!((counts.segments_timed, counts.late_segments), (2, 1));
    assert_eq!(counts.truncated, 1);
    // The truncated download is left out of the timings: three segments' samples.
    let mut downloads = Vec::new();
    stats.drain(TapTiming::SegmentDownload, |us| downloads.push(us));
    assert_eq!(downloads, vec![900_000, 1_001_000, 5_000_000]);
}

#[test]
fn statuses_are_counted_by_code_and_errors_apart() {
    let stats = TapStats::new(1);
    for status in [200, 206, 206, 404, 503, 503, 999] {
        let mut request = segment(1, None);
        request.status = status;
        stats.record(Some(0), &request);
    }
    assert_eq!(
        stats.statuses(),
        vec![(200, 1), (206, 2), (404, 1), (503, 2), (0, 1)]
    );
    assert_eq!(stats.counts().http_errors, 3);
}

#[test]
fn timings_land_in_their_kind_and_connects_are_counted_apart_from_reuse() {
    let stats = TapStats::new(1);
    let playlist = TapRequest {
        kind: RequestKind::Manifest,
        status: 200,
        body_bytes: 300,
        ttfb: ms(2),
        download: ms(3),
        upstream_connect: Some(ms(1)),
        truncated: false,
        media_duration: None,
    };
    stats.record(Some(0), &playlist);
    stats.record(Some(0), &segment(40, None));
    assert_eq!(stats.reused(), 1);
    let drained = |timing| {
        let mut samples = Vec::new();
        stats.drain(timing, |us| samples.push(us));
        samples
    };
    assert_eq!(drained(TapTiming::PlaylistTtfb), vec![2000]);
    assert_eq!(drained(TapTiming::PlaylistDownload), vec![3000]);
    assert_eq!(drained(TapTiming::UpstreamConnect), vec![1000]);
    assert_eq!(drained(TapTiming::SegmentTtfb), vec![20_000]);
    assert_eq!(drained(TapTiming::SegmentDownload), vec![40_000]);
    // Drained once: nothing the second time, and the totals stay.
    assert_eq!(drained(TapTiming::SegmentDownload), Vec::<u64>::new());
    assert_eq!(stats.timing_totals(TapTiming::SegmentDownload).count, 1);
    stats.record_failure(true);
    stats.record_failure(false);
    stats.record_failure(false);
    assert_eq!((stats.connect_failures(), stats.no_response()), (1, 2));
}

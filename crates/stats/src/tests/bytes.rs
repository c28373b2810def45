//! Downloaded bytes: monotone over restarts, from AVIO statistics or exact segment sizes.

use super::{at, get, http_error};
use crate::{BytesSource, Recorder, SegmentSizeLookup, ViewerStats};
use hls_swarm_parse::{Event, Line, RequestKind};
use std::sync::Arc;
use std::time::Instant;

/// Knows the size of every segment whose path passes `known`.
struct Sizes {
    known: fn(&str) -> bool,
    size: u64,
}

impl SegmentSizeLookup for Sizes {
    fn segment_size(&self, path: &str) -> Option<u64> {
        (self.known)(path).then_some(self.size)
    }
}

/// A viewer whose recorder counts exact sizes from `sizes`, and that recorder.
fn with_sizes(sizes: Sizes) -> (Arc<ViewerStats>, Recorder) {
    let stats = Arc::new(ViewerStats::new());
    let rec = Recorder::new(Arc::clone(&stats), Instant::now()).with_segment_sizes(Arc::new(sizes));
    (stats, rec)
}

fn segment(addr: u64, path: &'static str) -> Line<'static> {
    get(addr, path, RequestKind::Segment)
}

#[test]
fn bytes_survive_restarts_and_name_their_source() {
    let stats = Arc::new(ViewerStats::new());
    assert_eq!(stats.bytes(), (0, BytesSource::None));
    let now = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), now);
    let avio = |bytes| at("AVIOContext", 1, Event::AvioBytesRead { bytes });
    rec.on_line(&avio(1_000), now);
    rec.on_line(&avio(500), now);
    assert_eq!(stats.bytes(), (1_500, BytesSource::AvioStatistics));
    let mut rec = Recorder::new(Arc::clone(&stats), now);
    assert_eq!(stats.snapshot(now).current_process_bytes, 0);
    rec.on_line(&avio(200), now);
    let snap = stats.snapshot(now);
    assert_eq!((snap.bytes(), snap.current_process_bytes), (1_700, 200));
    assert_eq!((stats.starts(), snap.restarts()), (2, 1));
}

#[test]
fn segment_sizes_take_precedence_once_a_lookup_answers() {
    let (stats, mut rec) = with_sizes(Sizes {
        known: |path| path.ends_with("known.ts"),
        size: 1_000,
    });
    let now = Instant::now();
    rec.on_line(
        &at("AVIOContext", 1, Event::AvioBytesRead { bytes: 7 }),
        now,
    );
    rec.on_line(&segment(1, "/a/known.ts"), now);
    rec.on_line(&segment(1, "/a/other.ts"), now);
    rec.on_line(&segment(1, "/a/known.ts"), now);
    // The last request is still in flight: its size counts once its outcome is known.
    assert_eq!(stats.bytes(), (1_000, BytesSource::SegmentSizes));
    drop(rec);
    assert_eq!(stats.bytes(), (2_000, BytesSource::SegmentSizes));
    assert_eq!(stats.mean_segment_size(), Some(1_000.0));
}

#[test]
fn a_segment_answered_with_an_error_adds_no_bytes() {
    let (stats, mut rec) = with_sizes(Sizes {
        known: |_| true,
        size: 500,
    });
    let now = Instant::now();
    rec.on_line(&segment(1, "/a/s1.ts"), now);
    rec.on_line(&segment(2, "/a/s2.ts"), now);
    rec.on_line(&http_error(2, 404, "Not Found"), now);
    rec.on_line(&segment(1, "/a/s3.ts"), now);
    drop(rec);
    // s1 (answered: the next request reused its connection) and s3 (run over); not s2.
    assert_eq!(stats.bytes(), (1_000, BytesSource::SegmentSizes));
}

//! Counters: names, and the lines read and dropped per stream.

use crate::{Counter, LineCounts, Stream, ViewerStats};
use std::time::Instant;

#[test]
fn lines_read_and_dropped_are_kept_per_stream() {
    let stats = ViewerStats::new();
    stats.add_lines_read(Stream::Stderr, 100);
    stats.add_lines_dropped(Stream::Stderr, 3);
    stats.add_lines_read(Stream::Progress, 12);
    let snap = stats.snapshot(Instant::now());
    assert_eq!(
        snap.stderr_lines,
        LineCounts {
            read: 100,
            dropped: 3
        }
    );
    assert_eq!(
        snap.progress_lines,
        LineCounts {
            read: 12,
            dropped: 0
        }
    );
}

#[test]
fn counter_names_are_unique() {
    let mut names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Counter::COUNT);
}

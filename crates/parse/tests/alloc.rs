//! Proves the hot paths allocate nothing: a counting global allocator around every fixture line.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use hls_swarm_parse::{ProgressParser, parse_line, split_log_lines};

/// Counts allocations made by the current thread (the test harness runs other tests on other
/// threads; a thread-local count keeps their allocations out of the measurement).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: defers every operation to `System`, only counting on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

const STDERR: [&[u8]; 12] = [
    include_bytes!("data/ffmpeg-5.1/first-variant.stderr"),
    include_bytes!("data/ffmpeg-5.1/http-errors.stderr"),
    include_bytes!("data/ffmpeg-5.1/origin-restart.stderr"),
    include_bytes!("data/ffmpeg-5.1/refused.stderr"),
    include_bytes!("data/upstream/ffmpeg_debug_comprehensive.txt"),
    include_bytes!("data/upstream/ffmpeg_debug_output.txt"),
    include_bytes!("data/upstream/ffmpeg_debug_realworld.txt"),
    include_bytes!("data/upstream/ffmpeg_stderr.txt"),
    include_bytes!("data/upstream/ffmpeg_stderr_log"),
    include_bytes!("data/upstream/ffmpeg_timestamped_1.txt"),
    include_bytes!("data/upstream/ffmpeg_timestamped_2.txt"),
    include_bytes!("data/ffmpeg-5.1/http-errors.access.log"),
];

const PROGRESS: [&[u8]; 4] = [
    include_bytes!("data/ffmpeg-5.1/first-variant.progress"),
    include_bytes!("data/ffmpeg-5.1/http-errors.progress"),
    include_bytes!("data/ffmpeg-5.1/origin-restart.progress"),
    include_bytes!("data/upstream/ffmpeg_progress.txt"),
];

#[test]
fn parse_line_never_allocates() {
    let before = allocations();
    let mut events = 0usize;
    let mut lines = 0usize;
    for data in STDERR {
        for line in split_log_lines(black_box(data)) {
            lines += 1;
            events += usize::from(black_box(parse_line(line)).event.is_some());
        }
    }
    let allocated = allocations() - before;
    assert_eq!(allocated, 0, "{allocated} allocations over {lines} lines");
    // The loop did real work (and the counter works: see `the_counter_counts`).
    assert!(
        lines > 4_000 && events > 900,
        "{lines} lines, {events} events"
    );
}

#[test]
fn progress_feed_allocates_only_its_carry_buffer_once() {
    let mut parser = ProgressParser::new();
    let mut blocks = 0usize;
    // Odd-sized chunks so that lines straddle chunks and the carry buffer is used.
    let before = allocations();
    for data in PROGRESS {
        for chunk in data.chunks(7) {
            parser.feed(black_box(chunk), |b| {
                blocks += usize::from(black_box(b).frame.is_some())
            });
        }
    }
    assert_eq!(
        allocations() - before,
        1,
        "the first carried line reserves the buffer"
    );
    let before = allocations();
    for _ in 0..10 {
        for data in PROGRESS {
            for chunk in data.chunks(13) {
                parser.feed(black_box(chunk), |b| {
                    blocks += usize::from(black_box(b).frame.is_some())
                });
            }
            for line in data.split(|&b| b == b'\n') {
                blocks += usize::from(black_box(parser.feed_line(line)).is_some());
            }
        }
    }
    assert_eq!(allocations() - before, 0, "steady state allocates nothing");
    assert!(blocks > 300);
}

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v: Vec<u8> = black_box(Vec::with_capacity(16));
    drop(v);
    assert_eq!(allocations() - before, 1);
}

//! replay benches: `hls-swarm replay`'s whole `summarize` (parse → stats → aggregate → report) over every real capture.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

// The very code `hls-swarm replay` runs: the binary has no library target to link against.
#[allow(dead_code)]
#[path = "../src/replay/pipeline.rs"]
mod pipeline;

/// One capture as `hls-swarm replay` reads it: ffmpeg's stderr and, when captured, its `-progress`.
struct Capture {
    stderr: &'static [u8],
    progress: Option<&'static [u8]>,
}

macro_rules! data {
    ($path:literal) => {
        include_bytes!(concat!("../crates/parse/tests/data/", $path)).as_slice()
    };
}

/// Every real capture the project holds: the four ffmpeg 5.1 runs with their `-progress`
/// output, and the Go original's seven stderr captures (whose progress was not captured).
fn captures() -> Vec<Capture> {
    let with = |stderr, progress| Capture {
        stderr,
        progress: Some(progress),
    };
    let alone = |stderr| Capture {
        stderr,
        progress: None,
    };
    vec![
        with(
            data!("ffmpeg-5.1/first-variant.stderr"),
            data!("ffmpeg-5.1/first-variant.progress"),
        ),
        with(
            data!("ffmpeg-5.1/http-errors.stderr"),
            data!("ffmpeg-5.1/http-errors.progress"),
        ),
        with(
            data!("ffmpeg-5.1/origin-restart.stderr"),
            data!("ffmpeg-5.1/origin-restart.progress"),
        ),
        with(
            data!("ffmpeg-5.1/refused.stderr"),
            data!("ffmpeg-5.1/refused.progress"),
        ),
        alone(data!("upstream/ffmpeg_debug_comprehensive.txt")),
        alone(data!("upstream/ffmpeg_debug_output.txt")),
        alone(data!("upstream/ffmpeg_debug_realworld.txt")),
        alone(data!("upstream/ffmpeg_stderr.txt")),
        alone(data!("upstream/ffmpeg_stderr_log")),
        alone(data!("upstream/ffmpeg_timestamped_1.txt")),
        alone(data!("upstream/ffmpeg_timestamped_2.txt")),
    ]
}

/// Bytes and lines of the captures, counted as the replay's `pipeline.lines_read` counts them.
fn size(captures: &[Capture]) -> (u64, u64) {
    let mut bytes = 0;
    let mut lines = 0;
    for c in captures {
        bytes += c.stderr.len() + c.progress.map_or(0, <[u8]>::len);
        lines += c.stderr.split_inclusive(|&b| b == b'\n').count();
        lines += c.progress.map_or(0, |p| {
            p.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count()
        });
    }
    (bytes as u64, lines as u64)
}

/// Replays each capture, as `hls-swarm replay` would one at a time; returns the requests counted.
fn replay_all(captures: &[Capture]) -> u64 {
    captures
        .iter()
        .map(|c| {
            let replayed = pipeline::summarize(None, black_box(c.stderr), black_box(c.progress));
            replayed.report.requests.total
        })
        .sum()
}

fn fixtures(c: &mut Criterion) {
    let captures = captures();
    let (bytes, lines) = size(&captures);
    // The figures themselves: what the report reads back as lines is what the throughput counts.
    let read: u64 = captures
        .iter()
        .map(|c| {
            pipeline::summarize(None, c.stderr, c.progress)
                .report
                .pipeline
                .lines_read
        })
        .sum();
    assert_eq!(read, lines, "the bench counts the lines the replay reads");

    let mut group = c.benchmark_group("replay_fixtures");
    group.throughput(Throughput::BytesDecimal(bytes));
    group.bench_function("summarize", |b| b.iter(|| replay_all(&captures)));
    group.finish();

    let mut group = c.benchmark_group("replay_fixtures_lines");
    group.throughput(Throughput::Elements(lines));
    group.bench_function("summarize", |b| b.iter(|| replay_all(&captures)));
    group.finish();
}

/// The captures' stderr back to back as one capture: the per-line cost, without the fixed cost
/// of building an aggregator and a report for each small capture.
fn one_large(c: &mut Criterion) {
    let captures = captures();
    let stderr: Vec<u8> = captures.iter().flat_map(|c| c.stderr).copied().collect();
    let lines = stderr.split_inclusive(|&b| b == b'\n').count() as u64;

    let mut group = c.benchmark_group("replay_concatenated");
    group.throughput(Throughput::BytesDecimal(stderr.len() as u64));
    group.bench_function("summarize", |b| {
        b.iter(|| {
            pipeline::summarize(None, black_box(&stderr), None)
                .report
                .requests
                .total
        })
    });
    group.finish();

    let mut group = c.benchmark_group("replay_concatenated_lines");
    group.throughput(Throughput::Elements(lines));
    group.bench_function("summarize", |b| {
        b.iter(|| {
            pipeline::summarize(None, black_box(&stderr), None)
                .report
                .requests
                .total
        })
    });
    group.finish();
}

/// An empty capture: what one replay costs besides its lines (an aggregator, a tick, a report).
fn empty(c: &mut Criterion) {
    c.bench_function("replay_empty/summarize", |b| {
        b.iter(|| {
            pipeline::summarize(None, black_box(b""), None)
                .report
                .requests
                .total
        })
    });
}

criterion_group!(benches, fixtures, one_large, empty);
criterion_main!(benches);

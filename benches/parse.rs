//! parse benches: real ffmpeg stderr through `split_log_lines` + `parse_line`, and `-progress` blocks.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hls_swarm_parse::{ProgressParser, parse_line, split_log_lines};

/// Every real ffmpeg 5.1 stderr capture, as one buffer.
fn stderr_fixtures() -> Vec<u8> {
    [
        &include_bytes!("../crates/parse/tests/data/ffmpeg-5.1/first-variant.stderr")[..],
        include_bytes!("../crates/parse/tests/data/ffmpeg-5.1/http-errors.stderr"),
        include_bytes!("../crates/parse/tests/data/ffmpeg-5.1/origin-restart.stderr"),
        include_bytes!("../crates/parse/tests/data/ffmpeg-5.1/refused.stderr"),
    ]
    .concat()
}

/// One full 12-line `-progress` block as ffmpeg 5.1 prints it.
const BLOCK: &[u8] = b"frame=75\nfps=74.85\nstream_0_0_q=-1.0\nbitrate=N/A\ntotal_size=N/A\n\
out_time_us=3018667\nout_time_ms=3018667\nout_time=00:00:03.018667\ndup_frames=0\ndrop_frames=0\n\
speed=3.01x\nprogress=continue\n";

fn parse_all(data: &[u8]) -> usize {
    split_log_lines(data)
        .filter(|line| parse_line(line).event.is_some())
        .count()
}

fn stderr(c: &mut Criterion) {
    let data = stderr_fixtures();
    let lines = split_log_lines(&data).count() as u64;

    let mut group = c.benchmark_group("stderr_fixtures");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("split_and_parse", |b| {
        b.iter(|| parse_all(black_box(&data)))
    });
    group.bench_function("split_only", |b| {
        b.iter(|| split_log_lines(black_box(&data)).count())
    });
    group.finish();

    let mut group = c.benchmark_group("stderr_fixtures_lines");
    group.throughput(Throughput::Elements(lines));
    group.bench_function("split_and_parse", |b| {
        b.iter(|| parse_all(black_box(&data)))
    });
    group.finish();
}

fn progress(c: &mut Criterion) {
    let lines: Vec<&[u8]> = BLOCK
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut group = c.benchmark_group("progress_block");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("feed_whole_block", |b| {
        let mut parser = ProgressParser::new();
        b.iter(|| {
            let mut frames = 0;
            parser.feed(black_box(BLOCK), |block| frames += block.frame.unwrap_or(0));
            frames
        });
    });
    group.bench_function("feed_line_each", |b| {
        let mut parser = ProgressParser::new();
        b.iter(|| {
            let mut ended = 0;
            for line in &lines {
                ended += usize::from(parser.feed_line(black_box(line)).is_some());
            }
            ended
        });
    });
    group.finish();
}

criterion_group!(benches, stderr, progress);
criterion_main!(benches);

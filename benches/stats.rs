//! Per-viewer statistics: one counter increment and one `on_line`, uncontended and with a second thread.

use criterion::{Criterion, criterion_group, criterion_main};
use hls_swarm_parse::{Context, Event, Line, RequestKind};
use hls_swarm_stats::{Counter, Recorder, Stream, ViewerStats};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

/// Runs `work` on another thread until the returned guard is dropped.
struct Background {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Background {
    fn spawn(work: impl Fn() + Send + 'static) -> Background {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                work();
            }
        });
        Background {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
    }
}

fn request_line() -> Line<'static> {
    Line {
        time: None,
        context: Some(Context {
            name: "http",
            addr: 0x5555_0000_1000,
        }),
        level: None,
        event: Some(Event::HttpRequest {
            method: "GET",
            path: "/v0/seg00332.ts",
            kind: RequestKind::Segment,
        }),
    }
}

fn counter_increment(c: &mut Criterion) {
    let mut g = c.benchmark_group("counter_increment");
    let stats = Arc::new(ViewerStats::new());
    g.bench_function("uncontended", |b| {
        b.iter(|| black_box(&stats).add(Counter::SegmentRequests, 1))
    });
    {
        // The realistic second writer: a line reader counting lines (its own cache line).
        let other = Arc::clone(&stats);
        let _bg = Background::spawn(move || other.add_lines_read(Stream::Stderr, 1));
        g.bench_function("2 threads, reader task on its own line", |b| {
            b.iter(|| black_box(&stats).add(Counter::SegmentRequests, 1))
        });
    }
    {
        // The worst case: the other thread hits the very same counter (true sharing).
        let other = Arc::clone(&stats);
        let _bg = Background::spawn(move || other.add(Counter::SegmentRequests, 1));
        g.bench_function("2 threads, same counter", |b| {
            b.iter(|| black_box(&stats).add(Counter::SegmentRequests, 1))
        });
    }
    g.finish();
}

fn on_line(c: &mut Criterion) {
    let mut g = c.benchmark_group("on_line_http_request");
    let line = request_line();
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    let now = Instant::now();
    g.bench_function("uncontended", |b| {
        b.iter(|| rec.on_line(black_box(&line), now))
    });
    {
        // The aggregator reading the same viewer in a loop.
        let other = Arc::clone(&stats);
        let _bg = Background::spawn(move || {
            black_box(other.snapshot(Instant::now()));
        });
        g.bench_function("2 threads, aggregator reading", |b| {
            b.iter(|| rec.on_line(black_box(&line), now))
        });
    }
    g.finish();
}

criterion_group!(benches, counter_increment, on_line);
criterion_main!(benches);

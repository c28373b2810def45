//! Aggregation: one `tick` over 100 and 10,000 viewers with realistic, non-zero statistics, and
//! over one viewer (the cost that does not grow with the swarm); reading every viewer's row.

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::{Context, Event, Line, ProgressBlock, RequestKind};
use hls_swarm_stats::{ExitReason, LatencyKind, Recorder, Stream};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn line(name: &'static str, addr: u64, event: Event<'static>) -> Line<'static> {
    Line {
        time: None,
        context: Some(Context { name, addr }),
        level: None,
        event: Some(event),
    }
}

/// A swarm of `n` viewers, each with a minute of plausible traffic behind it.
fn swarm(n: u32) -> (Aggregator, Vec<Recorder>, Instant) {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", n, t0);
    let mut recorders = Vec::with_capacity(n as usize);
    for id in 0..n {
        let stats = swarm.register(id);
        if id % 10 == 0 {
            // A tenth restarted once, with an error line.
            let _first = Recorder::new(stats.clone(), t0);
            stats.set_last_error("Connection refused");
            stats.record_exit(ExitReason::Code(1));
        }
        let mut rec = Recorder::new(stats.clone(), t0).with_variants(swarm.variant_lookup());
        let get = |path, kind| Event::HttpRequest {
            method: "GET",
            path,
            kind,
        };
        rec.on_line(
            &line("http", 1, get("/master.m3u8", RequestKind::Manifest)),
            t0,
        );
        rec.on_line(
            &line(
                "tcp",
                2,
                Event::TcpConnectStart {
                    addr: "10.0.0.1",
                    port: 80,
                },
            ),
            t0,
        );
        let connected = t0 + Duration::from_micros(300 + u64::from(id % 700));
        rec.on_line(
            &line(
                "tcp",
                2,
                Event::TcpConnected {
                    addr: "10.0.0.1",
                    port: 80,
                },
            ),
            connected,
        );
        for _ in 0..30 {
            rec.on_line(
                &line("http", 3, get("/v0/index.m3u8", RequestKind::Manifest)),
                t0,
            );
            rec.on_line(
                &line("http", 4, get("/v0/seg1.ts", RequestKind::Segment)),
                t0,
            );
            rec.on_line(
                &line("http", 4, get("/v0/seg2.ts", RequestKind::Segment)),
                t0,
            );
        }
        if id % 7 == 0 {
            rec.on_line(
                &line(
                    "http",
                    4,
                    Event::HttpError {
                        status: 404,
                        reason: "Not Found",
                    },
                ),
                t0,
            );
        }
        rec.on_line(
            &line("AVIOContext", 5, Event::AvioBytesRead { bytes: 1_000_000 }),
            t0,
        );
        let speed = 0.8 + f64::from(id % 5) * 0.1;
        let block = ProgressBlock {
            speed: Some(speed),
            out_time_us: Some(58_000_000),
            ..Default::default()
        };
        rec.on_progress(&block, t0 + Duration::from_secs(60));
        stats.add_lines_read(Stream::Stderr, 2_000);
        stats.add_lines_read(Stream::Progress, 700);
        recorders.push(rec);
    }
    swarm.tick(t0 + Duration::from_secs(60));
    (swarm, recorders, t0)
}

fn tick(c: &mut Criterion) {
    let mut g = c.benchmark_group("tick");
    for n in [1u32, 100, 10_000] {
        let (swarm, _recorders, t0) = swarm(n);
        let mut at = t0 + Duration::from_secs(61);
        g.bench_with_input(BenchmarkId::new("steady", n), &n, |b, _| {
            b.iter(|| {
                at += Duration::from_millis(500);
                black_box(swarm.tick(at))
            })
        });
        // Every viewer got a new latency sample since the last tick: merge and percentiles too.
        let viewers: Vec<_> = (0..n).map(|id| swarm.get(id).unwrap()).collect();
        g.bench_with_input(BenchmarkId::new("new latency samples", n), &n, |b, _| {
            b.iter_batched(
                || {
                    for v in &viewers {
                        v.record_latency(LatencyKind::PlaylistFetch, Duration::from_millis(3));
                    }
                },
                |()| {
                    at += Duration::from_millis(500);
                    black_box(swarm.tick(at))
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// Reading every viewer's row on demand (the dashboard's table, `--per-client-metrics`).
fn viewer_rows(c: &mut Criterion) {
    let mut g = c.benchmark_group("viewer_rows");
    for n in [100u32, 10_000] {
        let (swarm, _recorders, t0) = swarm(n);
        let at = t0 + Duration::from_secs(61);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(swarm.viewer_rows(at)))
        });
    }
    g.finish();
}

criterion_group!(benches, tick, viewer_rows);
criterion_main!(benches);

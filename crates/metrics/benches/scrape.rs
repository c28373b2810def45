//! Cost of one `/metrics` scrape (snapshot load + encode) with 1,000 and 10,000 simulated viewers,
//! swarm-wide families only and with per-viewer families. `cargo bench -p hls-swarm-metrics`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hls_swarm_aggregate::Aggregator;
use hls_swarm_metrics::{Exporter, ExporterOptions, Format};
use hls_swarm_parse::RequestKind;
use hls_swarm_stats::{Counter, LatencyKind, ViewerState};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A swarm of `n` running viewers over 4 variants, with requests, errors, latency samples and
/// speeds, ticked once.
fn swarm(n: u32) -> Arc<Aggregator> {
    let start = Instant::now();
    let swarm = Arc::new(Aggregator::new("http://origin/master.m3u8", n, start));
    swarm.set_ramp_launched(n);
    let variants = swarm.variant_lookup();
    for id in 0..n {
        let v = swarm.register(id);
        v.begin_process();
        v.set_state(ViewerState::Running);
        v.add(Counter::ManifestRequests, 30);
        v.add(Counter::SegmentRequests, 300);
        v.record_http_error(if id % 7 == 0 { 503 } else { 404 });
        v.record_latency(
            LatencyKind::TcpConnect,
            Duration::from_micros(500 + u64::from(id % 5000)),
        );
        v.record_latency(
            LatencyKind::PlaylistFetch,
            Duration::from_millis(20 + u64::from(id % 200)),
        );
        v.record_speed(0.8 + f64::from(id % 5) * 0.1, Instant::now());
        v.add_avio_bytes(1_000_000);
        variants
            .variant(&format!("/v{}/index.m3u8", id % 4))
            .add_requests(RequestKind::Segment, 300);
    }
    swarm.tick(Instant::now());
    swarm
}

fn scrape(c: &mut Criterion) {
    for n in [1_000u32, 10_000] {
        let swarm = swarm(n);
        let mut group = c.benchmark_group(format!("scrape_{n}_viewers"));
        for per_viewer in [false, true] {
            let options = ExporterOptions {
                per_viewer,
                ..ExporterOptions::default()
            };
            let exporter = Exporter::new(Arc::clone(&swarm), options);
            let label = if per_viewer {
                "per_client"
            } else {
                "swarm_only"
            };
            for format in [Format::OpenMetrics, Format::Text004] {
                group.bench_with_input(
                    BenchmarkId::new(label, format!("{format:?}")),
                    &format,
                    |b, &f| b.iter(|| black_box(exporter.encode(f))),
                );
            }
        }
        group.finish();
    }
}

criterion_group!(benches, scrape);
criterion_main!(benches);

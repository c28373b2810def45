//! Cost of drawing one dashboard frame (160×48, into a `TestBackend`) for 1,000 and 10,000 viewers.
//!
//! `cargo bench -p hls-swarm-dashboard --bench frame`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hls_swarm_aggregate::{Aggregator, Snapshot, ViewerRow};
use hls_swarm_dashboard::{DashboardInput, Mode, OriginView, ViewState, render};
use hls_swarm_stats::{Counter, LatencyKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A snapshot of `n` viewers with traffic, errors, speeds and latencies, and their rows.
fn snapshot(n: u32) -> (Arc<Snapshot>, Vec<ViewerRow>) {
    let start = Instant::now();
    let agg = Aggregator::new("http://origin/live/master.m3u8", n, start);
    agg.set_ramp_launched(n);
    for id in 0..n {
        let v = agg.register(id);
        v.begin_process();
        v.add(Counter::ManifestRequests, 30 + u64::from(id % 7));
        v.add(Counter::SegmentRequests, 15 + u64::from(id % 5));
        v.add_segment_bytes(7_500_000);
        v.record_speed(0.5 + f64::from(id % 100) / 80.0, start);
        v.record_latency(
            LatencyKind::TcpConnect,
            Duration::from_micros(500 + u64::from(id)),
        );
        v.record_latency(
            LatencyKind::PlaylistFetch,
            Duration::from_millis(20 + u64::from(id % 30)),
        );
        if id % 50 == 0 {
            v.record_http_error(404);
            v.add(Counter::HttpErrors, 1);
        }
    }
    let at = start + Duration::from_secs(30);
    (agg.tick(at), agg.viewer_rows(at))
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_160x48");
    for n in [1_000u32, 10_000] {
        let (snapshot, viewer_rows) = snapshot(n);
        let input = DashboardInput {
            origin: Some(OriginView {
                cpu_percent: Some(40.0),
                ..OriginView::default()
            }),
            duration: Some(Duration::from_secs(600)),
            metrics_addr: Some("http://127.0.0.1:9464/metrics".into()),
            viewer_rows,
            ..DashboardInput::new(snapshot)
        };
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
        let views = [
            ("summary", ViewState::default()),
            (
                "viewers_top",
                ViewState {
                    mode: Mode::Viewers,
                    ..ViewState::default()
                },
            ),
            (
                "viewers_end",
                ViewState {
                    mode: Mode::Viewers,
                    scroll: usize::MAX,
                    ..ViewState::default()
                },
            ),
        ];
        for (name, view) in views {
            group.bench_with_input(BenchmarkId::new(name, n), &view, |b, view| {
                b.iter(|| {
                    terminal
                        .draw(|f| render(f, black_box(&input), view))
                        .unwrap();
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, frame);
criterion_main!(benches);

//! A fake swarm behind the real dashboard, for trying the screen and for the tmux test.
//!
//! `cargo run -p hls-swarm-dashboard --example demo_dashboard -- [--viewers N] [--drops] [--origin] [--duration SECS]`
//!
//! Viewers are launched one every 200 ms; every 250 ms each running viewer requests playlists and
//! segments, a few are slow, one stalls, some get HTTP errors and restart. `q` stops the swarm
//! gracefully (the viewers wind down over about a second), then the terminal is restored and
//! `summary printed` is written to stdout.

use hls_swarm_aggregate::Aggregator;
use hls_swarm_dashboard::{
    DashboardInput, Mode, OriginView, StopRequest, ViewState, run_dashboard,
};
use hls_swarm_parse::RequestKind;
use hls_swarm_report::Report;
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Stream, ViewerState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// 0 running, 1 graceful stop asked, 2 immediate stop asked.
static STOP: AtomicU8 = AtomicU8::new(0);

#[derive(Clone, Copy)]
struct Options {
    viewers: u32,
    drops: bool,
    origin: bool,
    duration: Option<Duration>,
}

fn options() -> Options {
    let mut o = Options {
        viewers: 12,
        drops: false,
        origin: false,
        duration: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--viewers" => o.viewers = args.next().and_then(|v| v.parse().ok()).unwrap_or(12),
            "--drops" => o.drops = true,
            "--origin" => o.origin = true,
            "--duration" => {
                o.duration = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .map(Duration::from_secs)
            }
            other => eprintln!("demo_dashboard: ignoring unknown argument {other}"),
        }
    }
    o
}

/// One step of the fake swarm: launches, traffic, speeds, errors.
fn step(swarm: &Aggregator, opts: &Options, start: Instant, n: u64) {
    let now = Instant::now();
    let launched = ((now - start).as_millis() / 200).min(u128::from(opts.viewers)) as u32;
    swarm.set_ramp_launched(launched);
    let variants = swarm.variant_lookup();
    for id in 0..launched {
        let v = swarm.register(id);
        if v.starts() == 0 {
            v.begin_process();
            v.record_latency(
                LatencyKind::TcpConnect,
                Duration::from_micros(300 + 97 * u64::from(id)),
            );
        }
        match v.state() {
            ViewerState::Running => {}
            ViewerState::Restarting if n.is_multiple_of(8) => v.begin_process(),
            _ => continue,
        }
        let path = if id % 3 == 0 {
            "/v1/index.m3u8"
        } else {
            "/v0/index.m3u8"
        };
        let variant = variants.variant(path);
        v.add(Counter::ManifestRequests, 1);
        variant.add_requests(RequestKind::Manifest, 1);
        v.record_latency(
            LatencyKind::PlaylistFetch,
            Duration::from_micros(2_000 + 1_300 * u64::from(id % 7) + 50 * (n % 11)),
        );
        if n.is_multiple_of(2) {
            v.add(Counter::SegmentRequests, 1);
            variant.add_requests(RequestKind::Segment, 1);
            v.add_segment_bytes(480_000 + 1_000 * u64::from(id));
            variant.add_segment_bytes(480_000 + 1_000 * u64::from(id));
        }
        let speed = match id {
            3 => 0.4,
            5 => 0.85,
            7 => 0.97,
            _ => 1.0 + f64::from(id % 4) * 0.01,
        };
        v.record_speed(speed, now);
        v.record_out_time(
            (now - start).as_micros() as i64 - 200_000 * i64::from(id % 5),
            start,
            now,
        );
        v.add_lines_read(Stream::Stderr, 12);
        v.add_lines_read(Stream::Progress, 10);
        if opts.drops && id == 2 {
            v.add_lines_dropped(Stream::Stderr, 3);
        }
        if id == 4 && n % 10 == 5 {
            v.add(Counter::HttpErrors, 1);
            v.add(Counter::HttpErrorsSegment, 1);
            v.record_http_error(404);
            variant.add_http_error();
            v.add(Counter::Reconnects, 1);
        }
        if id == 6 && n % 24 == 12 {
            v.add(Counter::HttpErrors, 1);
            v.add(Counter::HttpErrorsManifest, 1);
            v.record_http_error(503);
            v.set_last_error("Server returned 5XX Server Error reply");
            v.record_exit(ExitReason::Code(1));
        }
    }
}

/// Winds the fake swarm down: every viewer exits "stopped by hls-swarm".
fn stop_all(swarm: &Aggregator, viewers: u32) {
    for id in 0..viewers {
        if let Some(v) = swarm.get(id)
            && matches!(v.state(), ViewerState::Running | ViewerState::Restarting)
        {
            v.record_exit(ExitReason::Stopped);
            v.set_state(ViewerState::Stopped);
        }
    }
}

#[tokio::main]
async fn main() {
    let opts = options();
    let start = Instant::now();
    let swarm = Arc::new(Aggregator::new(
        "http://127.0.0.1:8080/live/master.m3u8",
        opts.viewers,
        start,
    ));
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let ticker = {
        let swarm = Arc::clone(&swarm);
        let viewers = opts.viewers;
        let duration = opts.duration;
        tokio::spawn(async move {
            // Ticks every 500 ms like the real aggregator; the fake traffic steps every 250 ms.
            let mut interval = tokio::time::interval(Duration::from_millis(250));
            let mut stop_at = None;
            for n in 0.. {
                interval.tick().await;
                let stop = STOP.load(Ordering::Relaxed);
                if duration.is_some_and(|d| start.elapsed() >= d) && stop_at.is_none() {
                    stop_at = Some(Instant::now());
                }
                if stop > 0 && stop_at.is_none() {
                    stop_at = Some(Instant::now());
                }
                match stop_at {
                    None => step(&swarm, &opts, start, n),
                    // Graceful: the viewers take a second to exit; immediate: at once.
                    Some(at) if stop == 2 || at.elapsed() >= Duration::from_secs(1) => {
                        stop_all(&swarm, viewers);
                        swarm.tick(Instant::now());
                        break;
                    }
                    Some(_) => {}
                }
                if n % 2 == 1 {
                    swarm.tick(Instant::now());
                }
            }
            let _ = done_tx.send(());
        })
    };

    let source = {
        let swarm = Arc::clone(&swarm);
        move |view: &ViewState| DashboardInput {
            snapshot: swarm.snapshot(),
            viewer_rows: if view.mode == Mode::Viewers {
                swarm.viewer_rows(Instant::now())
            } else {
                Vec::new()
            },
            origin: opts.origin.then(|| OriginView {
                cpu_percent: Some(37.5),
                memory_used_bytes: Some(1_250_000_000),
                memory_total_bytes: Some(8_000_000_000),
                net_in_bytes_per_s: Some(120_000.0),
                net_out_bytes_per_s: Some(24_500_000.0),
                nginx_connections: Some(u64::from(opts.viewers) + 3),
                nginx_requests_per_s: Some(52.0),
                error: None,
            }),
            duration: opts.duration,
            metrics_addr: Some("http://127.0.0.1:9464/metrics".to_owned()),
            smoothed_rates: None,
            trends: None,
        }
    };
    let stop = |request: StopRequest| {
        let level = match request {
            StopRequest::Graceful => 1,
            StopRequest::Immediate => 2,
        };
        STOP.fetch_max(level, Ordering::Relaxed);
    };
    let done = async {
        let _ = done_rx.await;
    };
    if let Err(e) = run_dashboard(source, stop, done).await {
        eprintln!("demo_dashboard: {e}");
        std::process::exit(1);
    }
    let _ = ticker.await;
    let report = Report::from_aggregator(&swarm, &swarm.snapshot());
    println!(
        "{} requests, {} viewers started",
        report.requests.total, report.viewers.started
    );
    println!("summary printed");
}

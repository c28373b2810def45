//! The host line on the dashboard and in the status line: figures, and SATURATED only while it is.

use crate::{DashboardInput, StatusFormat, ViewState, render, status_line};
use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_host::{HostLimits, HostSample, LimitSource};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A snapshot of a 2-core, 24.7 GB host whose samples had `busy` cores busy in turn.
fn sampled(busy: &[Option<f64>]) -> Arc<Snapshot> {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", 4, t0);
    for b in busy {
        swarm.record_host(HostSample {
            limits: HostLimits {
                cpu_cores: 2.0,
                cpu_source: LimitSource::Machine,
                online_cpus: 2,
                affinity_cpus: 2,
                memory_bytes: 24_700_000_000,
                memory_source: LimitSource::Machine,
            },
            cpu_busy_cores: *b,
            memory_used_bytes: Some(4_100_000_000),
            interval: Some(Duration::from_millis(500)),
        });
    }
    swarm.tick(t0 + Duration::from_secs(5))
}

fn screen(snapshot: Arc<Snapshot>, width: u16) -> String {
    screen_of(snapshot, width, 30)
}

fn screen_of(snapshot: Arc<Snapshot>, width: u16, height: u16) -> String {
    let input = DashboardInput::new(snapshot);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| render(f, &input, &ViewState::default()))
        .unwrap();
    let buf = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_dashboard_shows_the_host_and_saturated_only_while_it_is() {
    let calm = screen(sampled(&[Some(1.95), Some(0.6)]), 120);
    assert!(
        calm.contains(
            "host  cpu 0.60/2.00 cores (30 %)  mem 4.10 GB/24.7 GB (17 %)  saturated 0 s so far"
        ),
        "{calm}"
    );
    assert!(!calm.contains("SATURATED"), "{calm}");
    let hot = screen(sampled(&[Some(1.95)]), 120);
    assert!(
        hot.contains(" SATURATED host  cpu 1.95/2.00 cores (98 %)  mem 4.10 GB/24.7 GB (17 %)  stalls may be this machine's, not the origin's"),
        "{hot}"
    );
    // Narrow: the marker stays, the explanation goes.
    let narrow = screen(sampled(&[Some(1.95)]), 60);
    assert!(
        narrow.contains(" SATURATED host  cpu 1.95") && !narrow.contains("origin's"),
        "{narrow}"
    );
}

#[test]
fn no_sample_no_host_line() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", 4, t0);
    let snapshot = swarm.tick(t0 + Duration::from_secs(1));
    assert!(!screen(Arc::clone(&snapshot), 120).contains("host  cpu"));
    let line = status_line(&DashboardInput::new(snapshot), StatusFormat::Text);
    assert!(!line.contains("host"), "{line}");
}

#[test]
fn the_status_line_carries_the_host() {
    let input = DashboardInput::new(sampled(&[Some(1.95)]));
    let line = status_line(&input, StatusFormat::Text);
    assert!(
        line.ends_with("host cpu 1.95/2.00 cores (98 %) mem 4.10 GB/24.7 GB (17 %) SATURATED"),
        "{line}"
    );
    // Before the second sample the busy figure is unknown, shown as such, and not saturated.
    let first = DashboardInput::new(sampled(&[None]));
    let line = status_line(&first, StatusFormat::Text);
    assert!(
        line.ends_with("host cpu ?/2.00 cores mem 4.10 GB/24.7 GB (17 %)"),
        "{line}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&status_line(&input, StatusFormat::Json)).unwrap();
    assert_eq!(json["host_cpu_busy_cores"], 1.95);
    assert_eq!(json["host_cpu_capacity_cores"], 2.0);
    assert_eq!(json["host_memory_used_bytes"], 4_100_000_000u64);
    assert_eq!(json["host_memory_limit_bytes"], 24_700_000_000u64);
    assert_eq!(json["host_saturated"], true);
    let json: serde_json::Value =
        serde_json::from_str(&status_line(&first, StatusFormat::Json)).unwrap();
    assert!(json["host_cpu_busy_cores"].is_null());
    assert_eq!(json["host_saturated"], false);
}

#[test]
fn the_host_line_leaves_the_core_panels_on_a_120_by_40_terminal() {
    let hot = screen_of(sampled(&[Some(1.95)]), 120, 40);
    for panel in [
        "SATURATED",
        "Viewers",
        "Requests",
        "Throughput",
        "Latency",
        "Playback",
    ] {
        assert!(hot.contains(panel), "{panel} not on:\n{hot}");
    }
}

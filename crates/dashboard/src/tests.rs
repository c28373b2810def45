//! Unit tests: frames drawn into a `TestBackend`, keys, the status line, the progress bar.

use crate::format::{bytes, count};
use crate::{
    DashboardInput, KeyAction, Mode, OriginView, RateWindow, StatusFormat, StopRequest, ViewState,
    ramp_progress_bar, render, status_line,
};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use hls_swarm_aggregate::{Aggregator, Snapshot, ViewerRow, worst_first};
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Stream};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A run 10 s in: `n` viewers of a target of `target`, with traffic, errors, latencies, one
/// stalled viewer (id 1), one slow one (id 2), exits, and `drops` dropped lines: its snapshot and
/// its per-viewer rows.
fn swarm(n: u32, target: u32, drops: u64) -> (Arc<Snapshot>, Vec<ViewerRow>) {
    let start = Instant::now();
    let agg = Aggregator::new("http://origin.test/live/master.m3u8", target, start);
    agg.set_ramp_launched(n);
    let variants = agg.variant_lookup();
    for id in 0..n {
        let v = agg.register(id);
        v.begin_process();
        v.add(Counter::ManifestRequests, 10);
        v.add(Counter::SegmentRequests, 5);
        v.add_segment_bytes(1_000_000);
        v.add_lines_read(Stream::Stderr, 100);
        v.record_latency(LatencyKind::TcpConnect, Duration::from_millis(2));
        v.record_latency(LatencyKind::PlaylistFetch, Duration::from_millis(40));
        let speed = match id {
            1 => 0.5,
            2 => 0.95,
            _ => 1.0,
        };
        v.record_speed(speed, start);
        // Reporting still at 8 s: only the slow one is stalled at 10 s, not the silent ones.
        v.record_speed(speed, start + Duration::from_secs(8));
        variants
            .variant("/v0/index.m3u8")
            .add_requests(hls_swarm_parse::RequestKind::Segment, 5);
    }
    if n > 3 {
        let v = agg.register(3);
        for _ in 0..3 {
            v.record_http_error(404);
        }
        v.record_http_error(503);
        v.add(Counter::HttpErrors, 4);
        v.set_last_error("Server returned 404 Not Found");
        v.record_exit(ExitReason::Code(1));
        v.begin_process();
    }
    if drops > 0 {
        agg.register(0).add_lines_dropped(Stream::Stderr, drops);
    }
    let at = start + Duration::from_secs(10);
    (agg.tick(at), agg.viewer_rows(at))
}

fn input((snapshot, viewer_rows): (Arc<Snapshot>, Vec<ViewerRow>)) -> DashboardInput {
    DashboardInput {
        duration: Some(Duration::from_secs(300)),
        metrics_addr: Some("http://127.0.0.1:9464/metrics".into()),
        viewer_rows,
        ..DashboardInput::new(snapshot)
    }
}

/// `input` with figures from the origin.
fn with_origin(swarm: (Arc<Snapshot>, Vec<ViewerRow>), origin: OriginView) -> DashboardInput {
    DashboardInput {
        origin: Some(origin),
        ..input(swarm)
    }
}

/// The frame as text, one `String` per row.
fn draw(input: &DashboardInput, view: &ViewState, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| render(f, input, view)).unwrap();
    let buf = terminal.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// The words of the first panel row starting with `prefix`, up to the panel's right border.
fn cells(screen: &[String], prefix: &str) -> Vec<String> {
    let line = screen
        .iter()
        .find_map(|l| l.find(prefix).map(|i| &l[i + "│".len()..]))
        .unwrap_or_else(|| panic!("no row {prefix}"));
    let row = line.split('│').next().unwrap();
    row.split_whitespace().map(str::to_owned).collect()
}

fn text(lines: &[String]) -> String {
    lines.join("\n")
}

/// The default view of `input` on a `width` x `height` terminal, as one string.
fn screen(input: &DashboardInput, width: u16, height: u16) -> String {
    text(&draw(input, &ViewState::default(), width, height))
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl_c() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
}

#[test]
fn small_terminal_shows_the_core_panels_with_their_figures() {
    let snap = swarm(20, 20, 0);
    let screen = screen(&input(snap), 80, 24);
    for title in ["Viewers", "Requests", "Throughput", "Errors", "Playback"] {
        assert!(screen.contains(title), "no {title} panel:\n{screen}");
    }
    let lines: Vec<String> = screen.lines().map(str::to_owned).collect();
    assert_eq!(
        cells(&lines, "│segments"),
        ["segments", "100", "10.0"],
        "{screen}"
    );
    assert_eq!(
        cells(&lines, "│playlists"),
        ["playlists", "200", "20.0"],
        "{screen}"
    );
    assert_eq!(
        cells(&lines, "│total"),
        ["total", "300", "30.0"],
        "{screen}"
    );
    assert_shows(&screen, &["all 20 viewers launched", "404: 3", "20.0 MB"]);
    assert_shows(
        &screen,
        &["http://origin.test/live/master.m3u8", "00:00:10 / 00:05:00"],
    );
    // What did not fit is named, not silently dropped.
    assert!(
        screen.contains("hidden, enlarge terminal: exits, variants"),
        "{screen}"
    );
    assert!(
        !screen.contains("dropped"),
        "no drops, no banner:\n{screen}"
    );
}

#[test]
fn large_terminal_shows_every_panel() {
    let origin = OriginView {
        cpu_percent: Some(42.0),
        nginx_connections: Some(23),
        ..OriginView::default()
    };
    let screen = screen(&with_origin(swarm(20, 20, 0), origin), 160, 48);
    for title in [
        "Viewers",
        "Requests",
        "Throughput",
        "Errors",
        "Origin",
        "Playback",
        "Latency",
        "Exits",
        "Variants",
    ] {
        assert!(
            screen.contains(&format!(" {title}")),
            "no {title} panel:\n{screen}"
        );
    }
    assert!(!screen.contains("hidden"), "{screen}");
    assert_shows(
        &screen,
        &[
            "cpu 42%",
            "nginx connections 23",
            "/v0/index.m3u8",
            "Server returned 404 Not Found",
            "exit code 1",
        ],
    );
    assert_shows(
        &screen,
        &[
            "connect start -> connected",
            "metrics http://127.0.0.1:9464/metrics",
        ],
    );
    // The stalled viewer (0.5x for 10 s) counts in the playback panel and the viewers line.
    assert!(screen.contains("stalled 1"), "{screen}");
    // 18 viewers at 1.0x, one at 0.95x, one at 0.5x: the buckets add up to 20.
    assert!(
        screen.contains("Playback: 20 of 20 running reporting"),
        "{screen}"
    );
}

#[test]
fn ramp_shows_one_indicator_a_bar_then_a_line() {
    let ramping = screen(&input(swarm(9, 20, 0)), 120, 40);
    assert!(ramping.contains("9/20 viewers launched"), "{ramping}");
    assert!(!ramping.contains("all 20"), "{ramping}");
    let done = screen(&input(swarm(20, 20, 0)), 120, 40);
    assert!(done.contains("all 20 viewers launched"), "{done}");
    assert!(!done.contains("20/20"), "{done}");
}

#[test]
fn dropped_lines_banner_appears_only_with_drops() {
    let clean = screen(&input(swarm(5, 5, 0)), 120, 40);
    assert!(!clean.contains("lines dropped"), "{clean}");
    let dropping = draw(&input(swarm(5, 5, 7)), &ViewState::default(), 120, 40);
    assert!(
        dropping[1].contains("7 of 500 ffmpeg output lines dropped (1 viewer)"),
        "banner under the header:\n{}",
        text(&dropping)
    );
}

#[test]
fn stopping_is_shown_once_a_stop_is_requested() {
    let view = ViewState {
        stop: Some(StopRequest::Graceful),
        ..ViewState::default()
    };
    let screen = draw(&input(swarm(5, 5, 0)), &view, 120, 40);
    assert!(screen[0].contains("stopping…"), "{}", text(&screen));
    assert!(
        screen[1].contains("Ctrl-C again: stop now"),
        "{}",
        text(&screen)
    );
}

/// The viewer ids of the table's rows, top to bottom.
fn table_ids(screen: &[String]) -> Vec<u32> {
    screen
        .iter()
        .filter_map(|l| {
            let l = l.trim_start_matches('│');
            l.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

#[test]
fn viewer_table_lists_the_worst_first() {
    let view = ViewState {
        mode: Mode::Viewers,
        ..ViewState::default()
    };
    let screen = draw(&input(swarm(6, 6, 0)), &view, 120, 40);
    // Stalled (1), then slowest (2), then most errors (3, 4 errors), then the rest by id.
    assert_eq!(table_ids(&screen), [1, 2, 3, 0, 4, 5], "{}", text(&screen));
    assert!(text(&screen).contains("STALLED"));
    assert!(text(&screen).contains("1-6 of 6"));
}

#[test]
fn viewer_table_scroll_is_clamped_when_drawn() {
    let snap = swarm(100, 100, 0);
    let view = ViewState {
        mode: Mode::Viewers,
        scroll: 10_000,
        ..ViewState::default()
    };
    let screen = draw(&input(snap), &view, 80, 24);
    // 24 rows: header, footer, two borders and the column header leave 19 viewer rows.
    assert!(text(&screen).contains("82-100 of 100"), "{}", text(&screen));
    assert_eq!(table_ids(&screen).len(), 19);
}

#[test]
fn scroll_keys_move_within_bounds() {
    let mut view = ViewState {
        mode: Mode::Viewers,
        ..ViewState::default()
    };
    let (rows, page) = (100, 10);
    view.on_key(key(KeyCode::Up), rows, page);
    assert_eq!(view.scroll, 0);
    view.on_key(key(KeyCode::Down), rows, page);
    assert_eq!(view.scroll, 1);
    view.on_key(key(KeyCode::PageDown), rows, page);
    assert_eq!(view.scroll, 11);
    view.on_key(key(KeyCode::End), rows, page);
    assert_eq!(view.scroll, 90);
    view.on_key(key(KeyCode::Down), rows, page);
    view.on_key(key(KeyCode::PageDown), rows, page);
    assert_eq!(view.scroll, 90, "clamped at the last page");
    view.on_key(key(KeyCode::PageUp), rows, page);
    assert_eq!(view.scroll, 80);
    view.on_key(key(KeyCode::Home), rows, page);
    assert_eq!(view.scroll, 0);
    // Fewer rows than a page: nothing to scroll.
    view.on_key(key(KeyCode::End), 5, page);
    assert_eq!(view.scroll, 0);
}

#[test]
fn keys_toggle_the_table_and_escalate_stops() {
    let mut view = ViewState::default();
    assert_eq!(
        view.on_key(key(KeyCode::Char('d')), 0, 10),
        KeyAction::Redraw
    );
    assert_eq!(view.mode, Mode::Viewers);
    view.on_key(key(KeyCode::Esc), 0, 10);
    assert_eq!(view.mode, Mode::Summary);
    assert_eq!(view.on_key(key(KeyCode::Esc), 0, 10), KeyAction::Ignored);

    let release = KeyEvent {
        kind: KeyEventKind::Release,
        ..key(KeyCode::Char('q'))
    };
    assert_eq!(view.on_key(release, 0, 10), KeyAction::Ignored);
    assert_eq!(
        view.on_key(key(KeyCode::Char('q')), 0, 10),
        KeyAction::Stop(StopRequest::Graceful)
    );
    assert_eq!(
        view.on_key(key(KeyCode::Char('q')), 0, 10),
        KeyAction::Redraw
    );
    assert_eq!(
        view.on_key(ctrl_c(), 0, 10),
        KeyAction::Stop(StopRequest::Immediate)
    );
    assert_eq!(view.on_key(ctrl_c(), 0, 10), KeyAction::Redraw);

    let mut fresh = ViewState::default();
    assert_eq!(
        fresh.on_key(ctrl_c(), 0, 10),
        KeyAction::Stop(StopRequest::Graceful)
    );
    assert_eq!(fresh.stop, Some(StopRequest::Graceful));
}

#[test]
fn worst_first_pages_agree_with_a_full_sort() {
    let (_, rows) = swarm(50, 50, 0);
    let full: Vec<u32> = worst_first(&rows, 0, 50).iter().map(|r| r.id).collect();
    assert_eq!(&full[..3], [1, 2, 3]);
    for skip in [0, 7, 45, 49, 50, 60] {
        let page: Vec<u32> = worst_first(&rows, skip, 10).iter().map(|r| r.id).collect();
        let want: Vec<u32> = full.iter().skip(skip).take(10).copied().collect();
        assert_eq!(page, want, "skip {skip}");
    }
}

#[test]
fn tiny_and_empty_terminals_do_not_panic() {
    let inp = input(swarm(5, 5, 3));
    for (w, h) in [(1, 1), (20, 5), (40, 12), (60, 20), (79, 23), (300, 100)] {
        for mode in [Mode::Summary, Mode::Viewers] {
            let view = ViewState {
                mode,
                scroll: 3,
                ..ViewState::default()
            };
            draw(&inp, &view, w, h);
        }
    }
    // A run that has not started anything yet.
    let empty = Aggregator::new("http://x/m.m3u8", 3, Instant::now()).snapshot();
    let screen = screen(&input((empty, Vec::new())), 80, 24);
    assert!(screen.contains("0/3 viewers launched"), "{screen}");
}

#[test]
fn status_line_text_carries_the_numbers() {
    let line = status_line(&input(swarm(20, 20, 7)), StatusFormat::Text);
    assert!(
        line.starts_with("00:00:10/00:05:00  viewers 20/20  "),
        "{line}"
    );
    // 300 requests and 100 segments over the 10 s tick.
    assert_shows(
        &line,
        &[
            " 30.0 req/s  10.0 seg/s  2.00 MB/s ",
            "errors 404:3,503:1",
            "stalled 1",
        ],
    );
    assert!(line.ends_with("dropped 7"), "{line}");
    assert!(!line.contains('\n'));
}

#[test]
fn status_line_json_round_trips_with_stable_names() {
    let line = status_line(&input(swarm(20, 20, 7)), StatusFormat::Json);
    assert!(!line.contains('\n'));
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["schema"], "hls-swarm.status.v1");
    assert_eq!(v["elapsed_s"], 10.0);
    assert_eq!(v["duration_s"], 300.0);
    assert_eq!(v["active"], 20);
    assert_eq!(v["target"], 20);
    assert_eq!(v["launched"], 20);
    assert_eq!(v["stalled"], 1);
    assert_eq!(v["requests"], 300);
    assert_eq!(v["segments"], 100);
    assert_eq!(v["requests_per_s"], 30.0);
    assert_eq!(v["segments_per_s"], 10.0);
    assert_eq!(v["bytes"], 20_000_000);
    assert_eq!(v["bytes_source"], "segment-sizes");
    assert_eq!(v["http_errors"]["404"], 3);
    assert_eq!(v["http_errors"]["503"], 1);
    assert_eq!(v["lines_dropped"], 7);
}

#[test]
fn ramp_progress_bar_fills_in_proportion() {
    assert_eq!(
        ramp_progress_bar(9, 20, 20),
        "[#########...........] 9/20 viewers launched"
    );
    assert_eq!(
        ramp_progress_bar(0, 4, 8),
        "[........] 0/4 viewers launched"
    );
    assert_eq!(
        ramp_progress_bar(4, 4, 8),
        "[########] 4/4 viewers launched"
    );
    assert_eq!(ramp_progress_bar(9, 4, 4), "[####] 9/4 viewers launched");
    assert_eq!(ramp_progress_bar(0, 0, 3), "[###] 0/0 viewers launched");
    assert_eq!(ramp_progress_bar(1, 3, 0), "[] 1/3 viewers launched");
}

#[test]
fn rate_window_measures_over_the_recent_snapshots() {
    let start = Instant::now();
    let agg = Aggregator::new("http://x/m.m3u8", 1, start);
    let v = agg.register(0);
    let mut window = RateWindow::new(Duration::from_secs(5));
    let at = |s: u64| start + Duration::from_millis(s);
    // 2 segments in every 500 ms tick, but ticks alternate 4 and 0: one-tick rates flicker.
    let mut last = None;
    for i in 1..=20u64 {
        v.add(Counter::SegmentRequests, if i % 2 == 0 { 4 } else { 0 });
        let snap = agg.tick(at(500 * i));
        last = Some(window.observe(&snap));
        // Observing the same snapshot again changes nothing.
        assert_eq!(window.observe(&snap), last.unwrap());
    }
    let rates = last.unwrap();
    assert!((rates.segment_per_s - 4.0).abs() < 1e-9, "{rates:?}");
    assert!((rates.interval_s - 5.0).abs() < 1e-9, "{rates:?}");
}

#[test]
fn numbers_are_formatted_for_people() {
    assert_eq!(count(0), "0");
    assert_eq!(count(999), "999");
    assert_eq!(count(1_234_567), "1,234,567");
    assert_eq!(bytes(0.0), "0 B");
    assert_eq!(bytes(999.0), "999 B");
    assert_eq!(bytes(1_500.0), "1.50 kB");
    assert_eq!(bytes(20_000_000.0), "20.0 MB");
}

#[test]
fn small_terminal_with_origin_and_drops_collapses_playback_instead_of_dropping_it() {
    let origin = OriginView {
        cpu_percent: Some(97.0),
        ..OriginView::default()
    };
    let screen = screen(&with_origin(swarm(20, 20, 5), origin), 80, 24);
    assert_shows(
        &screen,
        &[
            "lines dropped",
            "Origin",
            "cpu 97%",
            "Playback",
            "mean 0.97x",
            "Latency",
        ],
    );
    // Collapsed: bucket counts inline rather than bars.
    assert_shows(
        &screen,
        &["1.0-1.5x 18", "hidden, enlarge terminal: exits, variants"],
    );
}

/// Every one of `texts` is on `screen`.
fn assert_shows(screen: &str, texts: &[&str]) {
    for text in texts {
        assert!(screen.contains(text), "{text:?} not on screen:\n{screen}");
    }
}

#[test]
fn with_the_request_tap_the_latency_panel_leads_with_its_timings_and_late_share() {
    use hls_swarm_stats::{TapRequest, TapStats};
    let start = Instant::now();
    let agg = Aggregator::new("http://origin.test/live/master.m3u8", 2, start);
    let tap = Arc::new(TapStats::new(2));
    agg.attach_tap(Arc::clone(&tap));
    let segment = |download_ms| TapRequest {
        kind: hls_swarm_parse::RequestKind::Segment,
        status: 200,
        body_bytes: 100_000,
        ttfb: Duration::from_millis(12),
        download: Duration::from_millis(download_ms),
        upstream_connect: None,
        truncated: false,
        media_duration: Some(Duration::from_secs(1)),
    };
    // One of four segments took longer than the second it plays.
    for ms in [300, 400, 500, 1500] {
        tap.record(Some(0), &segment(ms));
    }
    let snapshot = agg.tick(start + Duration::from_secs(10));
    let screen = screen(&input((snapshot, Vec::new())), 160, 48);
    assert_shows(
        &screen,
        &[
            "segment ttfb",
            "segment dl",
            "playlist dl",
            "upstream conn",
            "late segments: 1 of 4 (25.00 %)",
            "request tap, request sent -> first byte",
        ],
    );
    // ffmpeg's own timings would time its loopback to the tap: they are left out.
    assert!(!screen.contains("tcp connect"), "{screen}");
    assert!(!screen.contains("playlist fetch"), "{screen}");
    // The live throughput is the tap's: every body byte, exact.
    assert_shows(
        &screen,
        &["downloaded 400 kB", "request tap (every body byte)"],
    );
}

#[test]
fn trends_fill_the_space_below_the_panels_with_the_newest_points() {
    // 200 seconds: viewers ramping to 20, a burst of errors at the end, no host sample at first.
    let n = 200;
    let trends = crate::Trends {
        resolution_s: 1,
        running: (0..n).map(|i| (i / 10 + 1).min(20)).collect(),
        requests_per_s: (0..n).map(|i| 2 * (i / 10).min(20)).collect(),
        errors_per_s: (0..n).map(|i| u64::from(i >= n - 3) * 7).collect(),
        stalled: vec![0; n as usize],
        host_cpu_percent: (0..n).map(|i| (i > 5).then_some(35)).collect(),
    };
    let mut with = input(swarm(20, 20, 0));
    with.trends = Some(trends);
    let screen = screen(&with, 120, 40);
    assert!(screen.contains(" trends: the last "), "{screen}");
    assert!(
        !screen.contains("hidden"),
        "the other panels still fit:\n{screen}"
    );
    let row = |label: &str| {
        (screen.lines())
            .find(|l| l.trim_start_matches(['│', ' ']).starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row:\n{screen}"))
            .to_owned()
    };
    // Newest on the right, with the latest value: the error burst is at the end of its row.
    let errors = row("errors/s");
    assert!(
        errors.trim_end_matches(['│', ' ']).ends_with("7/s"),
        "{errors}"
    );
    assert!(errors.contains('█'), "the burst is drawn: {errors}");
    let running = row("running  ");
    assert!(
        running.trim_end_matches(['│', ' ']).ends_with("20"),
        "{running}\n{screen}"
    );
    assert!(
        row("host cpu")
            .trim_end_matches(['│', ' '])
            .ends_with("35 %")
    );
    assert!(!row("stalled").contains('█'), "no stall, no bar");
    // Without trends (plain input, a run's first second), no panel.
    assert!(!super::tests::screen(&input(swarm(20, 20, 0)), 120, 40).contains("trends:"));
}

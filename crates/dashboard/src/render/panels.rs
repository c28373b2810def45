//! The traffic panels: viewers and ramp, requests by kind, throughput, errors, origin.

use super::{BAD, BOLD, DIM, GOOD, WARN};
use crate::format::{bytes, count, rate, truncate};
use crate::input::DashboardInput;
use hls_swarm_stats::{BytesSource, Counter};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

/// A bordered block with a bold title.
pub(super) fn block(title: String) -> Block<'static> {
    Block::bordered()
        .border_style(DIM)
        .title(Span::styled(format!(" {title} "), BOLD))
}

/// `label value` with the label dimmed, the value styled.
fn pair(label: &str, value: String, style: Style) -> Vec<Span<'static>> {
    vec![
        Span::styled(format!("{label} "), DIM),
        Span::styled(value, style),
        Span::raw("  "),
    ]
}

/// Style for a count that is bad when non-zero.
fn bad_if(n: u64, style: Style) -> Style {
    if n > 0 { style } else { Style::new() }
}

/// The ramp (one indicator: a bar until every viewer is launched, then one line) and the counts.
pub(super) fn draw_viewers(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let v = &input.snapshot.viewers;
    let p = &input.snapshot.playback;
    let target = u64::from(v.target);
    let launched = input.launched();
    let inner_width = area.width.saturating_sub(2) as usize;
    let ramp = if target == 0 {
        Line::styled("no viewers targeted", DIM)
    } else if launched >= target {
        Line::from(vec![
            Span::styled("✓ ", GOOD),
            Span::styled(format!("all {} viewers launched", count(target)), GOOD),
        ])
    } else {
        let label = format!(" {}/{} viewers launched", count(launched), count(target));
        let bar_width = inner_width
            .saturating_sub(label.chars().count() + 6)
            .min(60);
        let filled = (bar_width as u64 * launched / target) as usize;
        Line::from(vec![
            Span::styled("ramp ", DIM),
            Span::styled("█".repeat(filled), WARN),
            Span::styled("░".repeat(bar_width - filled), DIM),
            Span::raw(label),
        ])
    };
    let waiting = v
        .registered
        .saturating_sub(v.active + v.restarting + v.stopped);
    let mut counts = Vec::new();
    counts.extend(pair(
        "running",
        format!("{} of {} target", count(v.active), count(target)),
        BOLD,
    ));
    counts.extend(pair(
        "restarting",
        count(v.restarting),
        bad_if(v.restarting, WARN),
    ));
    counts.extend(pair("stalled", count(p.stalled), bad_if(p.stalled, BAD)));
    if waiting > 0 {
        counts.extend(pair("starting", count(waiting), Style::new()));
    }
    if v.stopped > 0 {
        counts.extend(pair("stopped", count(v.stopped), Style::new()));
    }
    counts.extend(pair("peak", count(v.peak_active), Style::new()));
    counts.extend(pair(
        "restarts",
        count(v.restarts),
        bad_if(v.restarts, WARN),
    ));
    let para = Paragraph::new(vec![ramp, Line::from(counts)]).block(block("Viewers".into()));
    frame.render_widget(para, area);
}

/// Requests by kind: total and per second, labelled rows.
pub(super) fn draw_requests(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let s = &input.snapshot;
    let c = &s.totals.counters;
    let r = input.rates();
    let rows = [
        (
            "playlists",
            c.get(Counter::ManifestRequests),
            r.manifest_per_s,
        ),
        ("segments", c.get(Counter::SegmentRequests), r.segment_per_s),
        ("init sections", c.get(Counter::InitRequests), r.init_per_s),
        ("other", c.get(Counter::OtherRequests), r.other_per_s),
    ]
    .into_iter()
    .map(|(label, total, per_s)| {
        Row::new([
            Cell::from(label),
            Cell::from(Line::from(count(total)).right_aligned()),
            Cell::from(Line::from(rate(per_s)).right_aligned()),
        ])
    })
    .chain(std::iter::once(
        Row::new([
            Cell::from("total"),
            Cell::from(Line::from(count(c.total_requests())).right_aligned()),
            Cell::from(Line::from(rate(r.requests_per_s)).right_aligned()),
        ])
        .style(BOLD),
    ));
    let header = Row::new([
        Cell::from(""),
        Cell::from(Line::from("total").right_aligned()),
        Cell::from(Line::from("per s").right_aligned()),
    ])
    .style(DIM);
    let table = Table::new(
        rows,
        [
            Constraint::Length(13),
            Constraint::Fill(2),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .block(block("Requests".into()));
    frame.render_widget(table, area);
}

/// Bytes downloaded, per second, and where the figure comes from.
pub(super) fn draw_throughput(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let s = &input.snapshot;
    let (total, source) = s.bytes();
    let (total, per_s, source) = match source {
        BytesSource::Tap => (
            Span::styled(bytes(total as f64), BOLD),
            Span::raw(format!("{}/s", bytes(input.rates().bytes_per_s))),
            "request tap (every body byte)",
        ),
        BytesSource::None => (Span::styled("unknown", DIM), Span::raw(""), "none measured"),
        BytesSource::SegmentSizes => (
            Span::styled(bytes(total as f64), BOLD),
            Span::raw(format!("{}/s", bytes(input.rates().bytes_per_s))),
            "segment sizes",
        ),
        BytesSource::AvioStatistics => (
            Span::styled(bytes(total as f64), BOLD),
            Span::raw(format!("{}/s", bytes(input.rates().bytes_per_s))),
            "AVIO stats (closed connections)",
        ),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("downloaded ", DIM),
            total,
            Span::raw("   "),
            per_s,
        ]),
        Line::from(vec![
            Span::styled("source     ", DIM),
            Span::raw(source.to_owned()),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(block("Throughput".into())),
        area,
    );
}

/// Other error events worth a line, with their labels.
const EVENTS: [(Counter, &str); 8] = [
    (Counter::Reconnects, "reconnects"),
    (Counter::KeepAliveRetries, "keep-alive retries"),
    (Counter::TcpConnectFailures, "connect failures"),
    (Counter::PlaylistReloadFailures, "playlist reload failures"),
    (Counter::SegmentOpenFailures, "segment open failures"),
    (Counter::SegmentsSkipped, "segments skipped"),
    (Counter::SegmentsExpired, "segments expired"),
    (Counter::ErrorLines, "other error lines"),
];

/// The errors panel's lines at this inner width: HTTP total and rate, codes, then other events.
pub(super) fn error_lines(input: &DashboardInput, width: u16) -> Vec<Line<'static>> {
    let s = &input.snapshot;
    let total: u64 = s.http_errors.iter().map(|(_, n)| n).sum();
    let mut lines = Vec::new();
    if total == 0 {
        lines.push(Line::from(vec![
            Span::styled("HTTP ", DIM),
            Span::raw("no errors"),
        ]));
    } else {
        lines.push(Line::from(vec![
            Span::styled("HTTP ", DIM),
            Span::styled(format!("{} errors", count(total)), BAD),
            Span::raw(format!("  {}/s", rate(input.rates().http_errors_per_s))),
        ]));
        let codes = s.http_errors.iter().map(|(code, n)| {
            vec![
                Span::styled(format!("{code}: "), DIM),
                Span::styled(count(*n), BAD),
            ]
        });
        lines.extend(pack(codes, width, 2));
    }
    // With the request tap, ffmpeg's connect failures are its loopback connects to the tap:
    // the tap's own upstream failures stand in their place.
    let tap = s.tap.iter().flat_map(|t| {
        [
            ("upstream connect failures", t.connect_failures),
            ("no response", t.no_response),
        ]
    });
    let events = (EVENTS.iter())
        .filter_map(|&(c, label)| Some((label, s.log_counter(c)?)))
        .chain(tap)
        .filter(|(_, n)| *n > 0)
        .map(|(label, n)| {
            vec![
                Span::styled(format!("{label} "), DIM),
                Span::styled(count(n), WARN),
            ]
        });
    lines.extend(pack(events, width, 0));
    lines
}

/// Lays items out left to right, starting a new line (indented by `indent`) when one is full.
pub(super) fn pack(
    items: impl Iterator<Item = Vec<Span<'static>>>,
    width: u16,
    indent: usize,
) -> Vec<Line<'static>> {
    let width = width as usize;
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for item in items {
        let len: usize = item.iter().map(|s| s.content.chars().count()).sum();
        let gap = if current.is_empty() { indent } else { 3 };
        if !current.is_empty() && used + gap + len > width {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        let gap = if current.is_empty() { indent } else { 3 };
        current.push(Span::raw(" ".repeat(gap)));
        used += gap + len;
        current.extend(item);
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// HTTP errors by code and the other error events.
pub(super) fn draw_errors(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let lines = error_lines(input, area.width.saturating_sub(2));
    frame.render_widget(Paragraph::new(lines).block(block("Errors".into())), area);
}

/// The origin panel's lines at this inner width: its figures, or why they are missing.
pub(super) fn origin_lines(input: &DashboardInput, width: u16) -> Vec<Line<'static>> {
    let Some(o) = &input.origin else {
        return Vec::new();
    };
    if let Some(err) = &o.error {
        return vec![Line::styled(
            truncate(
                &format!("origin metrics unavailable: {err}"),
                width as usize,
            ),
            BAD,
        )];
    }
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let cpu = o.cpu_percent.map(|c| format!("{c:.0}%"));
    let cpu_style = match o.cpu_percent {
        Some(c) if c >= 90.0 => BAD,
        Some(c) if c >= 70.0 => WARN,
        _ => BOLD,
    };
    let mem = match (o.memory_used_bytes, o.memory_total_bytes) {
        (Some(u), Some(t)) if t > 0 => Some(format!(
            "{} / {} ({:.0}%)",
            bytes(u as f64),
            bytes(t as f64),
            u as f64 * 100.0 / t as f64
        )),
        (Some(u), _) => Some(bytes(u as f64)),
        _ => None,
    };
    let per_s = |v: Option<f64>| v.map(|b| format!("{}/s", bytes(b)));
    let item = |label: &str, value: String, style: Style| {
        vec![
            Span::styled(format!("{label} "), DIM),
            Span::styled(value, style),
        ]
    };
    let items = vec![
        item("cpu", opt(cpu), cpu_style),
        item("memory", opt(mem), Style::new()),
        item("net in", opt(per_s(o.net_in_bytes_per_s)), Style::new()),
        item("out", opt(per_s(o.net_out_bytes_per_s)), Style::new()),
        item(
            "nginx connections",
            opt(o.nginx_connections.map(count)),
            Style::new(),
        ),
        item(
            "requests/s",
            opt(o.nginx_requests_per_s.map(rate)),
            Style::new(),
        ),
    ];
    pack(items.into_iter(), width, 0)
}

/// The origin server's own figures, or why they are missing.
pub(super) fn draw_origin(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let lines = origin_lines(input, area.width.saturating_sub(2));
    frame.render_widget(Paragraph::new(lines).block(block("Origin".into())), area);
}

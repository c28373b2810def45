//! The health panels: playback speed and drift, latency percentiles, exits, variants.

use super::panels::{block, pack};
use super::{BAD, BOLD, DIM, WARN};
use crate::format::{bytes, count, drift, millis, truncate};
use crate::input::DashboardInput;
use hls_swarm_aggregate::{Playback, SPEED_BUCKET_BOUNDS};
use hls_swarm_stats::{BytesSource, LatencyKind, STALL_AFTER, STALL_SPEED};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// Labels of the speed buckets, from [`SPEED_BUCKET_BOUNDS`].
pub(crate) fn speed_bucket_labels() -> [String; 5] {
    let b = SPEED_BUCKET_BOUNDS;
    [
        format!("<{:.1}x", b[0]),
        format!("{:.1}-{:.1}x", b[0], b[1]),
        format!("{:.1}-{:.1}x", b[1], b[2]),
        format!("{:.1}-{:.1}x", b[2], b[3]),
        format!(">={:.1}x", b[3]),
    ]
}

/// Style of a speed bucket's count: buckets 0 and 1 are below the stall speed (red if anyone is
/// there); bucket 2 is slow (yellow).
fn bucket_style(bucket: usize, n: u64) -> Style {
    match bucket {
        0 | 1 if n > 0 => BAD,
        2 if n > 0 => WARN,
        _ => Style::new(),
    }
}

/// Style of the mean speed.
fn speed_style(p: &Playback) -> Style {
    if p.with_speed == 0 {
        DIM
    } else if p.speed_mean < STALL_SPEED {
        BAD
    } else if p.speed_mean < 1.0 {
        WARN
    } else {
        BOLD
    }
}

/// One bar per speed bucket, scaled to the viewers reporting a speed.
fn full_bars(
    labels: &[String; 5],
    p: &Playback,
    bar_room: usize,
    count_width: usize,
) -> Vec<Line<'static>> {
    labels
        .iter()
        .zip(p.speed_buckets)
        .enumerate()
        .map(|(i, (label, n))| {
            let style = bucket_style(i, n);
            let filled = if p.with_speed > 0 {
                ((bar_room as u64 * n).div_ceil(p.with_speed)) as usize
            } else {
                0
            }
            .min(bar_room);
            Line::from(vec![
                Span::styled(format!("{label:<10}"), DIM),
                Span::styled("■".repeat(filled), style),
                Span::raw(" ".repeat(bar_room - filled + 1)),
                Span::styled(format!("{:>count_width$}", count(n)), style),
            ])
        })
        .collect()
}

/// Speed distribution, mean speed, stalled viewers, drift.
pub(super) fn draw_playback(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let p = &input.snapshot.playback;
    let running = input.snapshot.viewers.active;
    let inner = area.width.saturating_sub(2) as usize;
    let labels = speed_bucket_labels();
    let count_width = p
        .speed_buckets
        .iter()
        .map(|n| count(*n).len())
        .max()
        .unwrap_or(1);
    let bar_room = inner.saturating_sub(10 + 1 + count_width + 1);
    let compact = area.height < 9;
    let mut lines: Vec<Line> = if compact {
        Vec::new()
    } else {
        full_bars(&labels, p, bar_room, count_width)
    };
    let summary = Line::from(vec![
        Span::styled("mean ", DIM),
        Span::styled(
            if p.with_speed == 0 {
                "-".to_owned()
            } else {
                format!("{:.2}x", p.speed_mean)
            },
            speed_style(p),
        ),
        Span::styled("  stalled ", DIM),
        Span::styled(
            count(p.stalled),
            if p.stalled > 0 { BAD } else { Style::new() },
        ),
        Span::styled(
            format!(" (<{STALL_SPEED}x >{}s)", STALL_AFTER.as_secs()),
            DIM,
        ),
    ]);
    if compact {
        // Too short for bars: the summary first, then the buckets as `label n` items.
        lines.push(summary);
        let items = labels
            .iter()
            .zip(p.speed_buckets)
            .enumerate()
            .map(|(i, (label, n))| {
                vec![
                    Span::styled(format!("{label} "), DIM),
                    Span::styled(count(n), bucket_style(i, n)),
                ]
            });
        lines.extend(pack(items, inner as u16, 0));
    } else {
        lines.push(summary);
    }
    let mut drift_line = vec![
        Span::styled("drift ", DIM),
        Span::raw(format!("mean {}", drift(p.drift_mean_ms))),
        Span::styled("  ", DIM),
        Span::raw(format!("max {}", drift(p.drift_current_max_ms as f64))),
    ];
    let ever = format!("  (ever {})", drift(p.drift_max_ms as f64));
    let used: usize = drift_line.iter().map(|s| s.content.chars().count()).sum();
    if p.drift_max_ms != p.drift_current_max_ms && used + ever.len() <= inner {
        drift_line.push(Span::styled(ever, DIM));
    }
    lines.push(Line::from(drift_line));
    let title = format!(
        "Playback: {} of {} running reporting",
        count(p.with_speed),
        count(running)
    );
    let title = truncate(&title, area.width.saturating_sub(4) as usize);
    frame.render_widget(Paragraph::new(lines).block(block(title)), area);
}

/// Display names of the latency figures: long when the panel is wide enough.
fn latency_label(kind: LatencyKind, wide: bool) -> &'static str {
    match (kind, wide) {
        (LatencyKind::TcpConnect, true) => "tcp connect",
        (LatencyKind::PlaylistFetch, true) => "playlist fetch",
        (LatencyKind::TcpConnect, false) => "tcp",
        (LatencyKind::PlaylistFetch, false) => "playlist",
    }
}

/// Inner widths from which the latency panel uses long labels, and shows the sample count.
const LATENCY_LONG_LABELS: u16 = 50;
const LATENCY_SAMPLES: u16 = 44;

/// The footnote lines, word-wrapped to `width`.
fn latency_footnotes(width: u16) -> Vec<String> {
    let wide = width >= LATENCY_LONG_LABELS;
    let width = (width as usize).max(10);
    let mut out = Vec::new();
    for kind in LatencyKind::ALL {
        let text = format!("{}: {}", latency_label(kind, wide), kind.meaning());
        let mut line = String::new();
        for word in text.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
                line.push_str("  ");
            } else if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

/// Inner lines the latency panel wants at this inner width.
pub(super) fn latency_lines(width: u16) -> u16 {
    1 + LatencyKind::ALL.len() as u16 + latency_footnotes(width).len() as u16
}

/// p50/p95/p99/max per figure, with what each measures.
pub(super) fn draw_latency(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let s = &input.snapshot;
    let block = block("Latency".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= LATENCY_LONG_LABELS;
    let with_samples = inner.width >= LATENCY_SAMPLES;
    let n_values = if with_samples { 5 } else { 4 };
    let right = |t: String| Cell::from(Line::from(t).right_aligned());
    let rows: Vec<Row> = LatencyKind::ALL
        .iter()
        .map(|&kind| {
            let l = s.latency.get(kind);
            let mut cells = vec![Cell::from(latency_label(kind, wide))];
            if l.count == 0 {
                cells.extend((0..4).map(|_| right("-".into())));
            } else {
                cells.extend(
                    [l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms]
                        .into_iter()
                        .map(|v| right(millis(v))),
                );
            }
            if with_samples {
                cells.push(right(count(l.count)));
            }
            Row::new(cells)
        })
        .collect();
    let header = Row::new(
        ["ms", "p50", "p95", "p99", "max", "samples"]
            .into_iter()
            .take(1 + n_values)
            .enumerate()
            .map(|(i, h)| {
                if i == 0 {
                    Cell::from(h)
                } else {
                    right(h.into())
                }
            }),
    )
    .style(DIM);
    let mut widths = vec![Constraint::Length(if wide { 14 } else { 8 })];
    widths.extend((0..n_values).map(|_| Constraint::Min(6)));
    let table_height = (1 + rows.len() as u16).min(inner.height);
    let table_area = Rect {
        height: table_height,
        ..inner
    };
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        table_area,
    );
    let notes_area = Rect {
        y: inner.y + table_height,
        height: inner.height - table_height,
        ..inner
    };
    let mut notes = latency_footnotes(inner.width);
    let room = notes_area.height as usize;
    if notes.len() > room && room > 0 {
        notes.truncate(room);
        let last = notes.pop().unwrap_or_default();
        notes.push(truncate(&format!("{last}…"), inner.width as usize));
    }
    let notes: Vec<Line> = notes.into_iter().map(|l| Line::styled(l, DIM)).collect();
    frame.render_widget(Paragraph::new(notes), notes_area);
}

/// Why viewers' processes exited: count, reason, and the last error line under it.
pub(super) fn draw_exits(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let exits = &input.snapshot.exits;
    let width = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = if exits.is_empty() {
        vec![Line::styled("no process has exited", DIM)]
    } else {
        exits
            .iter()
            .flat_map(|e| {
                let err = e.last_error.as_deref().unwrap_or("(no error line logged)");
                [
                    Line::from(vec![
                        Span::styled(format!("{:>6} ", count(e.count)), BOLD),
                        Span::raw(e.reason.to_string()),
                    ]),
                    Line::styled(
                        truncate(&format!("       last error: {err}"), width),
                        if e.last_error.is_some() { WARN } else { DIM },
                    ),
                ]
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block("Exits".into())), area);
}

/// Per-variant totals.
pub(super) fn draw_variants(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let s = &input.snapshot;
    let block = block("Variants".into());
    if s.variants.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no variant playlist seen yet", DIM)).block(block),
            area,
        );
        return;
    }
    let with_bytes = s.totals.bytes().1 == BytesSource::SegmentSizes && area.width >= 56;
    let right = |t: String, style: Style| Cell::from(Line::from(t).right_aligned()).style(style);
    let rows = s.variants.iter().map(|v| {
        let mut cells = vec![
            Cell::from(v.path.to_string()),
            right(count(v.values.manifest_requests), Style::new()),
            right(count(v.values.segment_requests), Style::new()),
            right(
                count(v.values.http_errors),
                if v.values.http_errors > 0 {
                    BAD
                } else {
                    Style::new()
                },
            ),
        ];
        if with_bytes {
            cells.push(right(bytes(v.values.segment_bytes as f64), Style::new()));
        }
        Row::new(cells)
    });
    let mut header = vec![
        Cell::from("playlist"),
        right("playlists".into(), Style::new()),
        right("segments".into(), Style::new()),
        right("errors".into(), Style::new()),
    ];
    let mut widths = vec![
        Constraint::Fill(1),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(7),
    ];
    if with_bytes {
        header.push(right("bytes".into(), Style::new()));
        widths.push(Constraint::Length(9));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(DIM))
        .block(block);
    frame.render_widget(table, area);
}

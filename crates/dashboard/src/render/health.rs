//! The health panels: playback speed and drift, exits, variants.

use super::panels::{block, pack};
use super::{BAD, BOLD, DIM, WARN};
use crate::format::{bytes, count, drift, truncate};
use crate::input::DashboardInput;
use hls_swarm_aggregate::{Playback, SPEED_BUCKET_BOUNDS};
use hls_swarm_stats::{BytesSource, STALL_AFTER, STALL_SPEED};
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

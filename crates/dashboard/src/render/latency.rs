//! The latency panel: p50/p95/p99/max of each figure, the request tap's first (segment TTFB and
//! download, playlist download) and its late-segment share, then ffmpeg's log's, with what
//! each measures.

use super::panels::block;
use super::{DIM, WARN};
use crate::format::{count, millis, truncate};
use crate::input::DashboardInput;
use hls_swarm_aggregate::{FigureKind, LatencySummary, Snapshot};
use hls_swarm_stats::{LatencyKind, TapTiming};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};
use std::sync::Arc;

/// The tap's figures the panel shows, in order (its TTFB of playlists is in the summary and
/// /metrics); its upstream connect takes the place of ffmpeg's tcp connect.
const TAP_ROWS: [TapTiming; 4] = [
    TapTiming::SegmentTtfb,
    TapTiming::SegmentDownload,
    TapTiming::PlaylistDownload,
    TapTiming::UpstreamConnect,
];

/// Display names: long when the panel is wide enough.
fn label(kind: FigureKind, wide: bool) -> &'static str {
    match (kind, wide) {
        (FigureKind::Log(LatencyKind::TcpConnect), true) => "tcp connect",
        (FigureKind::Log(LatencyKind::PlaylistFetch), true) => "playlist fetch",
        (FigureKind::Log(LatencyKind::TcpConnect), false) => "tcp",
        (FigureKind::Log(LatencyKind::PlaylistFetch), false) => "playlist",
        (FigureKind::Tap(TapTiming::SegmentTtfb), true) => "segment ttfb",
        (FigureKind::Tap(TapTiming::SegmentDownload), true) => "segment dl",
        (FigureKind::Tap(TapTiming::PlaylistTtfb), true) => "playlist ttfb",
        (FigureKind::Tap(TapTiming::PlaylistDownload), true) => "playlist dl",
        (FigureKind::Tap(TapTiming::UpstreamConnect), true) => "upstream conn",
        (FigureKind::Tap(TapTiming::SegmentTtfb), false) => "seg ttfb",
        (FigureKind::Tap(TapTiming::SegmentDownload), false) => "seg dl",
        (FigureKind::Tap(TapTiming::PlaylistTtfb), false) => "pl ttfb",
        (FigureKind::Tap(TapTiming::PlaylistDownload), false) => "pl dl",
        (FigureKind::Tap(TapTiming::UpstreamConnect), false) => "conn",
    }
}

/// Inner widths from which the panel uses long labels, and shows the sample count.
const LONG_LABELS: u16 = 50;
const SAMPLES: u16 = 44;

/// The figures shown: the tap's when the run has it, else the log's (which the tap's replace:
/// see [`Snapshot::log_latency`]).
fn figures(s: &Snapshot) -> Vec<&Arc<LatencySummary>> {
    let tap = s
        .tap
        .iter()
        .flat_map(|t| TAP_ROWS.map(|timing| t.timing(timing)));
    let log = LatencyKind::ALL.iter().filter_map(|&k| s.log_latency(k));
    tap.chain(log).collect()
}

/// The late-segment line, with the tap.
fn late_line(s: &Snapshot) -> Option<String> {
    let tap = s.tap.as_ref()?;
    let c = &tap.counts;
    Some(match tap.late_share() {
        Some(share) => format!(
            "late segments: {} of {} ({:.2} %) took longer to download than they play",
            count(c.late_segments),
            count(c.segments_timed),
            share * 100.0
        ),
        None => "late segments: no segment timed yet".to_owned(),
    })
}

/// What the figures measure, one note each for the log's, one for the tap's; word-wrapped to
/// `width`.
fn footnotes(s: &Snapshot, width: u16) -> Vec<String> {
    let wide = width >= LONG_LABELS;
    let mut texts = Vec::new();
    if s.tap.is_some() {
        texts.push(
            "seg/playlist: request tap, request sent -> first byte (ttfb) / last body byte (dl)"
                .to_owned(),
        );
        texts.push(format!(
            "{}: {}",
            label(FigureKind::Tap(TapTiming::UpstreamConnect), wide),
            TapTiming::UpstreamConnect.meaning()
        ));
    }
    for kind in LatencyKind::ALL {
        if s.log_latency(kind).is_some() {
            texts.push(format!(
                "{}: {}",
                label(FigureKind::Log(kind), wide),
                kind.meaning()
            ));
        }
    }
    let width = (width as usize).max(10);
    let mut out = Vec::new();
    for text in texts {
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

/// Inner lines the panel wants at this inner width.
pub(super) fn lines(input: &DashboardInput, width: u16) -> u16 {
    let s = &input.snapshot;
    let late = u16::from(s.tap.is_some());
    1 + figures(s).len() as u16 + late + footnotes(s, width).len() as u16
}

/// p50/p95/p99/max per figure, the late share, and what each figure measures.
pub(super) fn draw(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let s = &input.snapshot;
    let block = block("Latency".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= LONG_LABELS;
    let with_samples = inner.width >= SAMPLES;
    let n_values = if with_samples { 5 } else { 4 };
    let right = |t: String| Cell::from(Line::from(t).right_aligned());
    let rows: Vec<Row> = figures(s)
        .into_iter()
        .map(|l| {
            let mut cells = vec![Cell::from(label(l.kind, wide))];
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
    let mut notes: Vec<Line> = Vec::new();
    if let Some(late) = late_line(s) {
        let late_now = s.tap.as_ref().is_some_and(|t| t.counts.late_segments > 0);
        let style = if late_now { WARN } else { DIM };
        notes.push(Line::styled(truncate(&late, inner.width as usize), style));
    }
    let room = inner.height.saturating_sub(table_height) as usize;
    let mut texts = footnotes(s, inner.width);
    let room_for_texts = room.saturating_sub(notes.len());
    if texts.len() > room_for_texts && room_for_texts > 0 {
        texts.truncate(room_for_texts);
        let last = texts.pop().unwrap_or_default();
        texts.push(truncate(&format!("{last}…"), inner.width as usize));
    }
    notes.extend(texts.into_iter().map(|l| Line::styled(l, DIM)));
    let notes_area = Rect {
        y: inner.y + table_height,
        height: inner.height - table_height,
        ..inner
    };
    frame.render_widget(ratatui::widgets::Paragraph::new(notes), notes_area);
}

//! The per-viewer table: worst first, scrollable, and only the visible rows are formatted.

use super::panels::block;
use super::{BAD, DIM, WARN};
use crate::format::{bytes, count, drift, millis};
use crate::input::DashboardInput;
use crate::view::ViewState;
use hls_swarm_aggregate::worst_first;
use hls_swarm_stats::{STALL_SPEED, ViewerState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// Rows that fit in the table's body area: borders and the header row excluded.
pub(super) fn page_rows(body: Rect) -> usize {
    body.height.saturating_sub(3) as usize
}

fn state_label(state: ViewerState) -> &'static str {
    match state {
        ViewerState::Idle => "starting",
        ViewerState::Running => "running",
        ViewerState::Restarting => "restarting",
        ViewerState::Stopped => "stopped",
    }
}

/// Draws the visible page of the per-viewer table, clamping the scroll position.
pub(super) fn draw_table(frame: &mut Frame, area: Rect, input: &DashboardInput, view: &ViewState) {
    let all = &input.viewer_rows;
    let page = page_rows(area);
    let scroll = view.scroll.min(all.len().saturating_sub(page));
    let visible = worst_first(all, scroll, page);
    let title = if all.is_empty() {
        "Viewers, worst first".to_owned()
    } else {
        format!(
            "Viewers, worst first: {}-{} of {}",
            count(scroll as u64 + 1),
            count((scroll + visible.len()) as u64),
            count(all.len() as u64)
        )
    };
    let block = block(title);
    if all.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("no viewer registered yet", DIM)).block(block),
            area,
        );
        return;
    }
    let wide = area.width >= 110;
    let right = |t: String, style: Style| Cell::from(Line::from(t).right_aligned()).style(style);
    let rows = visible.iter().map(|r| {
        let speed_style = match r.speed {
            Some(s) if s < STALL_SPEED => BAD,
            Some(s) if s < 1.0 => WARN,
            _ => Style::new(),
        };
        let mut cells = vec![
            right(r.id.to_string(), Style::new()),
            Cell::from(state_label(r.state)).style(match r.state {
                ViewerState::Restarting => WARN,
                _ => Style::new(),
            }),
            right(
                r.speed.map_or("-".to_owned(), |s| format!("{s:.2}x")),
                speed_style,
            ),
            Cell::from(if r.stalled { "STALLED" } else { "" }).style(BAD),
            right(
                r.drift_ms.map_or("-".to_owned(), |d| drift(d as f64)),
                Style::new(),
            ),
            right(count(r.requests), Style::new()),
            right(
                count(r.http_errors),
                if r.http_errors > 0 { BAD } else { Style::new() },
            ),
            right(
                count(r.restarts),
                if r.restarts > 0 { WARN } else { Style::new() },
            ),
            right(bytes(r.bytes as f64), Style::new()),
        ];
        if wide {
            cells.push(right(
                r.tcp_connect_max_ms.map_or("-".to_owned(), millis),
                Style::new(),
            ));
            cells.push(right(
                count(r.lines_dropped),
                if r.lines_dropped > 0 {
                    WARN
                } else {
                    Style::new()
                },
            ));
        }
        Row::new(cells)
    });
    let mut headers = vec![
        "viewer", "state", "speed", "", "drift", "requests", "errors", "restarts", "bytes",
    ];
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(9),
    ];
    if wide {
        headers.extend(["tcp max ms", "lines dropped"]);
        widths.extend([Constraint::Length(10), Constraint::Length(13)]);
    }
    let header = Row::new(headers.into_iter().enumerate().map(|(i, h)| {
        if i == 1 || i == 3 {
            Cell::from(h)
        } else {
            right(h.to_owned(), Style::new())
        }
    }))
    .style(DIM);
    let table = Table::new(rows, widths).header(header).block(block);
    frame.render_widget(table, area);
}

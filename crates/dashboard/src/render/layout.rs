//! The summary screen's layout: panels grouped in rows by terminal width, rows kept by priority when space is short.

use super::{health, latency, panels, trends};
use crate::input::DashboardInput;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

/// One bordered panel of the summary screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Panel {
    Viewers,
    Requests,
    Throughput,
    Errors,
    Origin,
    Playback,
    Latency,
    Trends,
    Exits,
    Variants,
}

impl Panel {
    fn name(self) -> &'static str {
        match self {
            Panel::Viewers => "viewers",
            Panel::Requests => "requests",
            Panel::Throughput => "throughput",
            Panel::Errors => "errors",
            Panel::Origin => "origin",
            Panel::Playback => "playback",
            Panel::Latency => "latency",
            Panel::Trends => "trends",
            Panel::Exits => "exits",
            Panel::Variants => "variants",
        }
    }

    /// (smallest useful, wanted) height at this width, borders included.
    fn heights(self, input: &DashboardInput, width: u16) -> (u16, u16) {
        let (min, want) = self.wanted_heights(input, width);
        (min, want.max(min))
    }

    fn wanted_heights(self, input: &DashboardInput, width: u16) -> (u16, u16) {
        match self {
            Panel::Viewers => (4, 4),
            Panel::Requests => (8, 8),
            Panel::Throughput => (4, 4),
            Panel::Errors => {
                let want = 2 + panels::error_lines(input, width.saturating_sub(2)).len() as u16;
                (4, want.max(4))
            }
            Panel::Origin => {
                let want = 2 + panels::origin_lines(input, width.saturating_sub(2)).len() as u16;
                (3, want)
            }
            Panel::Playback => (5, 9),
            Panel::Latency => {
                let want = 2 + latency::lines(input, width.saturating_sub(2));
                (5, want)
            }
            Panel::Trends => (2 + trends::ROWS, 2 + trends::ROWS),
            // The tables come last: shown only with room for a few lines, so that they do not
            // squeeze the panels above into their collapsed form.
            Panel::Exits => {
                let n = 2 * input.snapshot.exits.len().max(1) as u16;
                (6, 2 + n)
            }
            Panel::Variants => {
                let n = input.snapshot.variants.len().max(1) as u16;
                (6, 3 + n)
            }
        }
    }

    fn draw(self, frame: &mut Frame, area: Rect, input: &DashboardInput) {
        match self {
            Panel::Viewers => panels::draw_viewers(frame, area, input),
            Panel::Requests => panels::draw_requests(frame, area, input),
            Panel::Throughput => panels::draw_throughput(frame, area, input),
            Panel::Errors => panels::draw_errors(frame, area, input),
            Panel::Origin => panels::draw_origin(frame, area, input),
            Panel::Playback => health::draw_playback(frame, area, input),
            Panel::Latency => latency::draw(frame, area, input),
            Panel::Trends => trends::draw_trends(frame, area, input),
            Panel::Exits => health::draw_exits(frame, area, input),
            Panel::Variants => health::draw_variants(frame, area, input),
        }
    }
}

/// Panels stacked in one column of a row.
type Column = (Constraint, Vec<Panel>);

/// A row of columns, with its priority (0 = kept first) and whether it may take leftover height.
struct Row {
    priority: u8,
    columns: Vec<Column>,
    stretch: bool,
}

/// Rows in display order for this width.
fn rows(input: &DashboardInput, width: u16) -> Vec<Row> {
    use Panel::*;
    let row = |priority, columns, stretch| Row {
        priority,
        columns,
        stretch,
    };
    let half = Constraint::Percentage(50);
    // The wide layouts differ only in how the traffic row (requests, throughput, errors) splits.
    let wide = |traffic: Vec<Column>| {
        vec![
            row(0, vec![(Constraint::Fill(1), vec![Viewers])], false),
            row(1, traffic, false),
            row(2, vec![(Constraint::Fill(1), vec![Origin])], false),
            row(
                3,
                vec![(half, vec![Playback]), (half, vec![Latency])],
                false,
            ),
            row(4, vec![(Constraint::Fill(1), vec![Trends])], false),
            row(5, vec![(half, vec![Exits]), (half, vec![Variants])], true),
        ]
    };
    let mut out = if width >= 120 {
        wide(vec![
            (Constraint::Percentage(34), vec![Requests]),
            (Constraint::Percentage(28), vec![Throughput]),
            (Constraint::Percentage(38), vec![Errors]),
        ])
    } else if width >= 72 {
        wide(vec![
            (half, vec![Requests]),
            (half, vec![Throughput, Errors]),
        ])
    } else {
        [
            Viewers, Requests, Throughput, Errors, Origin, Playback, Latency, Trends, Exits,
            Variants,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, p)| row(i as u8, vec![(Constraint::Fill(1), vec![p])], p == Variants))
        .collect()
    };
    let absent = |p: Panel| match p {
        Origin => input.origin.is_none(),
        Trends => input.trends.as_ref().is_none_or(|t| t.running.is_empty()),
        _ => false,
    };
    out.retain(|r| {
        r.columns
            .iter()
            .all(|(_, ps)| !ps.iter().any(|&p| absent(p)))
    });
    out
}

/// Widths of a row's columns at this total width.
fn column_widths(columns: &[Column], width: u16) -> Vec<u16> {
    Layout::horizontal(columns.iter().map(|(c, _)| *c))
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| r.width)
        .collect()
}

/// (min, want) height of a row: the tallest column, each column the sum of its panels.
fn row_heights(row: &Row, input: &DashboardInput, width: u16) -> (u16, u16) {
    let widths = column_widths(&row.columns, width);
    row.columns
        .iter()
        .zip(widths)
        .map(|((_, panels), w)| {
            panels.iter().fold((0, 0), |(min, want), p| {
                let (a, b) = p.heights(input, w);
                (min + a, want + b)
            })
        })
        .fold((0, 0), |(min, want), (a, b)| (min.max(a), want.max(b)))
}

/// Draws the panels that fit and returns the names of those left out.
pub(super) fn draw_summary(
    frame: &mut Frame,
    area: Rect,
    input: &DashboardInput,
) -> Vec<&'static str> {
    let rows = rows(input, area.width);
    let heights: Vec<(u16, u16)> = rows
        .iter()
        .map(|r| row_heights(r, input, area.width))
        .collect();

    // First, by priority, keep each row whose smallest useful height still fits; then, again by
    // priority, grow the kept rows towards the height they want (panels collapse to fit).
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].priority);
    let mut left = area.height;
    let mut given = vec![0u16; rows.len()];
    for &i in &order {
        if heights[i].0 <= left {
            given[i] = heights[i].0;
            left -= heights[i].0;
        }
    }
    for &i in &order {
        if given[i] > 0 {
            let extra = (heights[i].1 - given[i]).min(left);
            given[i] += extra;
            left -= extra;
        }
    }
    if let Some(i) = (0..rows.len())
        .rev()
        .find(|&i| given[i] > 0 && rows[i].stretch)
    {
        given[i] += left;
    }

    let mut hidden = Vec::new();
    let mut y = area.y;
    for (row, h) in rows.iter().zip(&given) {
        if *h == 0 {
            hidden.extend(
                row.columns
                    .iter()
                    .flat_map(|(_, ps)| ps.iter().map(|p| p.name())),
            );
            continue;
        }
        let row_area = Rect::new(area.x, y, area.width, *h);
        y += h;
        let cols = Layout::horizontal(row.columns.iter().map(|(c, _)| *c)).split(row_area);
        for ((_, panels), col) in row.columns.iter().zip(cols.iter()) {
            draw_column(frame, *col, panels, input);
        }
    }
    hidden
}

/// Stacks panels in a column: each gets its smallest height, the last one the rest.
fn draw_column(frame: &mut Frame, area: Rect, panels: &[Panel], input: &DashboardInput) {
    let mut constraints: Vec<Constraint> = panels
        .iter()
        .map(|p| Constraint::Length(p.heights(input, area.width).0))
        .collect();
    if let Some(last) = constraints.last_mut() {
        *last = Constraint::Fill(1);
    }
    let rects = Layout::vertical(constraints).split(area);
    for (panel, rect) in panels.iter().zip(rects.iter()) {
        panel.draw(frame, *rect, input);
    }
}

//! The trends panel: sparklines of the run so far (viewers running, requests and errors per
//! second, stalled viewers, this machine's CPU), one bar per point of the time series, newest on
//! the right, each with its latest value.

use super::panels::block;
use super::{BAD, DIM};
use crate::format::{clock, count};
use crate::input::{DashboardInput, Trends};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use std::time::Duration;

/// Rows inside the panel: one per trend.
pub(super) const ROWS: u16 = 5;

/// Width of the label column and of the latest-value column.
const LABEL: u16 = 12;
const VALUE: u16 = 9;

/// One trend: its label, its values, how its latest value reads, its colour.
struct Trend {
    label: &'static str,
    values: Vec<Option<u64>>,
    latest: String,
    style: Style,
}

fn trend(label: &'static str, values: Vec<Option<u64>>, unit: &str, style: Style) -> Trend {
    let latest = match values.last().copied().flatten() {
        Some(v) => format!("{}{unit}", count(v)),
        None => "-".to_owned(),
    };
    Trend {
        label,
        values,
        latest,
        style,
    }
}

fn all(values: &[u64]) -> Vec<Option<u64>> {
    values.iter().copied().map(Some).collect()
}

/// Draws the trends of `input` (the panel is only laid out when it has some).
pub(super) fn draw_trends(frame: &mut Frame, area: Rect, input: &DashboardInput) {
    let Some(t) = &input.trends else { return };
    let bars = area.width.saturating_sub(2 + LABEL + VALUE) as usize;
    let shown = t.running.len().min(bars);
    let span = Duration::from_secs(u64::from(t.resolution_s) * shown as u64);
    let per = if t.resolution_s == 1 {
        "a bar a second".to_owned()
    } else {
        format!("a bar per {} s", t.resolution_s)
    };
    let title = format!("trends: the last {}, {per}", clock(span));
    frame.render_widget(block(title), area);
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    let trends = trends(t);
    let rows = Layout::vertical(trends.iter().map(|_| Constraint::Length(1))).split(inner);
    for (tr, row) in trends.iter().zip(rows.iter()) {
        let [label, spark, value] = Layout::horizontal([
            Constraint::Length(LABEL),
            Constraint::Fill(1),
            Constraint::Length(VALUE),
        ])
        .areas(*row);
        frame.render_widget(Paragraph::new(Span::styled(tr.label, DIM)), label);
        let tail = &tr.values[tr.values.len().saturating_sub(spark.width as usize)..];
        frame.render_widget(
            Sparkline::default().data(tail.to_vec()).style(tr.style),
            spark,
        );
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(tr.latest.clone(), tr.style)))
                .alignment(ratatui::layout::Alignment::Right),
            value,
        );
    }
}

fn trends(t: &Trends) -> Vec<Trend> {
    let stalled = if t.stalled.iter().any(|&n| n > 0) {
        BAD
    } else {
        Style::new().fg(Color::Green)
    };
    let errors = if t.errors_per_s.iter().any(|&n| n > 0) {
        BAD
    } else {
        Style::new().fg(Color::Green)
    };
    vec![
        trend("running", all(&t.running), "", Style::new().fg(Color::Cyan)),
        trend(
            "requests/s",
            all(&t.requests_per_s),
            "/s",
            Style::new().fg(Color::Blue),
        ),
        trend("errors/s", all(&t.errors_per_s), "/s", errors),
        trend("stalled", all(&t.stalled), "", stalled),
        trend(
            "host cpu",
            t.host_cpu_percent.clone(),
            " %",
            Style::new().fg(Color::Magenta),
        ),
    ]
}

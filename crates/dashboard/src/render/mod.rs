//! Drawing: `render` is a pure function of the input and the view state, so tests can draw into a `TestBackend`.

mod health;
mod latency;
mod layout;
mod panels;
mod trends;
pub(crate) mod viewers;

use crate::format::{clock, count, truncate};
use crate::host_line;
use crate::input::{DashboardInput, StopRequest};
use crate::view::{Mode, ViewState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Red: errors, stalls, data loss.
pub(crate) const BAD: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
/// Yellow: something to watch (restarts, slow viewers).
pub(crate) const WARN: Style = Style::new().fg(Color::Yellow);
/// Green: a goal reached.
pub(crate) const GOOD: Style = Style::new().fg(Color::Green);
/// Labels and explanations.
pub(crate) const DIM: Style = Style::new().fg(Color::DarkGray);
/// Panel titles and figures that matter.
pub(crate) const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);

/// Draws one frame: header, warning banners, the panels or the per-viewer table, and the
/// footer with the keys. Lower-priority panels are left out when the terminal is too small, and
/// the footer names them.
pub fn render(frame: &mut Frame, input: &DashboardInput, view: &ViewState) {
    let areas = FrameAreas::new(frame.area(), input, view);
    frame.render_widget(header(input, view, areas.header.width), areas.header);
    for (line, area) in banners(input, view, areas.header.width)
        .into_iter()
        .zip(areas.banners.iter())
    {
        frame.render_widget(Paragraph::new(line), *area);
    }
    let hidden = match view.mode {
        Mode::Summary => layout::draw_summary(frame, areas.body, input),
        Mode::Viewers => {
            viewers::draw_table(frame, areas.body, input, view);
            Vec::new()
        }
    };
    frame.render_widget(footer(view, &hidden, areas.footer.width), areas.footer);
}

/// How many per-viewer rows fit on a screen of `size` (the page for PageUp/PageDown).
pub fn viewer_page_rows(size: Rect, input: &DashboardInput, view: &ViewState) -> usize {
    viewers::page_rows(FrameAreas::new(size, input, view).body)
}

/// The fixed parts of the screen.
struct FrameAreas {
    header: Rect,
    banners: Vec<Rect>,
    body: Rect,
    footer: Rect,
}

impl FrameAreas {
    fn new(area: Rect, input: &DashboardInput, view: &ViewState) -> FrameAreas {
        let n_banners = banners(input, view, area.width).len();
        let mut constraints = vec![Constraint::Length(1)];
        constraints.extend(std::iter::repeat_n(Constraint::Length(1), n_banners));
        constraints.push(Constraint::Min(0));
        constraints.push(Constraint::Length(1));
        let rects = Layout::vertical(constraints).split(area);
        FrameAreas {
            header: rects[0],
            banners: rects[1..1 + n_banners].to_vec(),
            body: rects[1 + n_banners],
            footer: rects[2 + n_banners],
        }
    }
}

fn header(input: &DashboardInput, view: &ViewState, width: u16) -> Paragraph<'static> {
    let s = &input.snapshot;
    let bar = Style::new().bg(Color::Blue).fg(Color::White);
    let (state, state_style) = match view.stop {
        None => (" running ", bar.bg(Color::Green).fg(Color::Black)),
        Some(_) => (" stopping… ", bar.bg(Color::Yellow).fg(Color::Black)),
    };
    let clocks = match input.duration {
        Some(d) => format!("{} / {}", clock(s.elapsed), clock(d)),
        None => clock(s.elapsed),
    };
    let width = width as usize;
    let url_len = s.run.url.chars().count() + 2;
    let fixed = " hls-swarm ".len() + state.chars().count();
    // The whole URL comes first; then the metrics address; then the "elapsed" label. Take the
    // first combination that fits, else cut the URL.
    let metrics_full = input
        .metrics_addr
        .as_ref()
        .map(|a| format!(" metrics {a} │"))
        .unwrap_or_default();
    let labelled = format!(" elapsed {clocks} ");
    let bare = format!(" {clocks} ");
    let (metrics, elapsed) = [
        (metrics_full.clone(), labelled.clone()),
        (metrics_full, bare.clone()),
        (String::new(), labelled),
    ]
    .into_iter()
    .find(|(m, e)| fixed + url_len + m.chars().count() + e.len() <= width)
    .unwrap_or((String::new(), bare));
    let used = fixed + elapsed.len();
    let url_room = width.saturating_sub(used + metrics.chars().count());
    let url = truncate(&s.run.url, url_room.saturating_sub(2));
    let pad = url_room.saturating_sub(url.chars().count() + 2);
    Paragraph::new(Line::from(vec![
        Span::styled(" hls-swarm ", bar.add_modifier(Modifier::BOLD)),
        Span::styled(state, state_style),
        Span::styled(format!(" {url} {}", " ".repeat(pad)), bar),
        Span::styled(metrics, bar),
        Span::styled(elapsed, bar.add_modifier(Modifier::BOLD)),
    ]))
    .style(bar)
}

/// One-line notes above the panels: the host line (once sampled), stopping, and lines dropped
/// by the parsers.
fn banners(input: &DashboardInput, view: &ViewState, width: u16) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(host) = &input.snapshot.host {
        out.push(host_line::banner(host, width));
    }
    match view.stop {
        Some(StopRequest::Graceful) => out.push(Line::styled(
            " stopping… waiting for the viewers to exit (Ctrl-C again: stop now)",
            Style::new().bg(Color::Yellow).fg(Color::Black),
        )),
        Some(StopRequest::Immediate) => out.push(Line::styled(
            " stopping now… killing the viewers",
            Style::new().bg(Color::Yellow).fg(Color::Black),
        )),
        None => {}
    }
    let p = &input.snapshot.pipeline;
    if p.lines_dropped() > 0 {
        let viewers = match p.viewers_with_drops {
            1 => "1 viewer".to_owned(),
            n => format!("{} viewers", count(n)),
        };
        let long = format!(
            " ⚠ {} of {} ffmpeg output lines dropped ({viewers}): parsers fell behind, counts are low",
            count(p.lines_dropped()),
            count(p.lines_read()),
        );
        let short = format!(
            " ⚠ {} of {} lines dropped ({viewers}): counts are low",
            count(p.lines_dropped()),
            count(p.lines_read()),
        );
        let text = if long.chars().count() <= width as usize {
            long
        } else {
            short
        };
        out.push(Line::styled(
            text,
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
        ));
    }
    out
}

fn footer(view: &ViewState, hidden: &[&str], width: u16) -> Paragraph<'static> {
    let key = |k: &'static str| Span::styled(k, BOLD);
    let text = |t: &'static str| Span::styled(t, DIM);
    let table = [key("d"), text(" per-viewer table")];
    let mut spans = match (view.mode, view.stop) {
        (Mode::Summary, None) => [
            Span::raw(" "),
            key("q"),
            text("/"),
            key("Ctrl-C"),
            text(" quit  "),
        ]
        .into_iter()
        .chain(table)
        .collect(),
        (Mode::Summary, Some(_)) => [Span::raw(" "), key("Ctrl-C"), text(" stop now  ")]
            .into_iter()
            .chain(table)
            .collect(),
        (Mode::Viewers, _) => vec![
            Span::raw(" "),
            key("↑↓ PgUp PgDn Home End"),
            text(" scroll  "),
            key("Esc"),
            text(" back  "),
            key("q"),
            text(" quit"),
        ],
    };
    if !hidden.is_empty() {
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let room = (width as usize).saturating_sub(used + 2);
        let n = hidden.len();
        let note = [
            format!("hidden, enlarge terminal: {} ", hidden.join(", ")),
            format!("hidden: {} ", hidden.join(", ")),
            format!("{n} panel{} hidden ", if n == 1 { "" } else { "s" }),
        ]
        .into_iter()
        .find(|note| note.chars().count() <= room);
        if let Some(note) = note {
            spans.push(Span::raw(" ".repeat(room - note.chars().count() + 2)));
            spans.push(Span::styled(note, WARN));
        }
    }
    Paragraph::new(Line::from(spans))
}

//! The dashboard loop: redraw from the latest input a few times a second, react to keys, end when the run is done.

use crate::error::DashboardError;
use crate::input::{DashboardInput, StopRequest};
use crate::rates::RateWindow;
use crate::render::{render, viewer_page_rows};
use crate::terminal::TerminalGuard;
#[cfg(doc)]
use crate::view::Mode;
use crate::view::{KeyAction, ViewState};
use crossterm::event::{Event, EventStream};
use futures_core::Stream;
use ratatui::layout::Rect;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// How often the dashboard pulls a new input and redraws (keys redraw at once).
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(250);

/// Runs the live dashboard on the alternate screen until `done` resolves.
///
/// - `source` is called every [`REFRESH_INTERVAL`], and at once when the user switches screens,
///   with what is shown, for the latest input. It should be cheap and never block: e.g.
///   `Aggregator::snapshot` plus the origin scraper's last reading, and
///   `Aggregator::viewer_rows` only while the per-viewer table is shown ([`Mode::Viewers`]).
///   Left `None`, its `smoothed_rates` are filled from a [`RateWindow`] of the last 5 s.
/// - `stop` is called once with [`StopRequest::Graceful`] when the user presses `q` or Ctrl-C,
///   and once more with [`StopRequest::Immediate`] on a second Ctrl-C. The dashboard does not
///   end then: it shows "stopping…" and keeps drawing until `done` resolves, so the user sees
///   the viewers wind down.
/// - `done` resolves when the run is over (duration reached, or the swarm stopped after a stop
///   request). The terminal is then restored and the function returns, so the caller prints
///   the summary on the normal screen.
///
/// The terminal is restored on every return path, on error, and on panic. If this returns an
/// error the swarm may still be running: the caller should stop it.
pub async fn run_dashboard<S, F, D>(mut source: S, stop: F, done: D) -> Result<(), DashboardError>
where
    S: FnMut(&ViewState) -> DashboardInput + Send,
    F: Fn(StopRequest) + Send,
    D: Future<Output = ()> + Send,
{
    let mut guard = TerminalGuard::enter()?;
    let mut events = Some(EventStream::new());
    let mut tick = tokio::time::interval(REFRESH_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut view = ViewState::default();
    let mut window = RateWindow::default();
    let mut next_input = move |view: &ViewState| {
        let mut input = source(view);
        if input.smoothed_rates.is_none() {
            input.smoothed_rates = Some(window.observe(&input.snapshot));
        }
        input
    };
    let mut input = next_input(&view);
    let mut done = std::pin::pin!(done);
    loop {
        guard
            .terminal()
            .draw(|frame| render(frame, &input, &view))
            .map_err(DashboardError::Draw)?;
        tokio::select! {
            biased;
            () = &mut done => return Ok(()),
            event = next_event(&mut events) => match event {
                Some(Ok(Event::Key(key))) => {
                    let size = guard.terminal().size().map_err(DashboardError::Draw)?;
                    let page = viewer_page_rows(Rect::new(0, 0, size.width, size.height), &input, &view);
                    let rows = input.viewer_rows.len();
                    let mode = view.mode;
                    if let KeyAction::Stop(request) = view.on_key(key, rows, page) {
                        stop(request);
                    }
                    if view.mode != mode {
                        // The source may read more for the new screen (the per-viewer rows).
                        input = next_input(&view);
                    }
                }
                Some(Ok(_)) => {} // resize and the rest: just redraw
                Some(Err(e)) => return Err(DashboardError::Input(e)),
                // stdin closed: keep drawing until the run is done, without keys.
                None => events = None,
            },
            _ = tick.tick() => input = next_input(&view),
        }
    }
}

/// The next terminal event, or never if the stream is gone.
async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match events {
        Some(stream) => std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await,
        None => std::future::pending().await,
    }
}

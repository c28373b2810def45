//! What the user is looking at (summary or per-viewer table, scroll position, stop requested) and how keys change it.

use crate::input::StopRequest;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Which screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The panels.
    #[default]
    Summary,
    /// The per-viewer table, worst first.
    Viewers,
}

/// The dashboard's own state, separate from the data: drawing is `render(frame, input, view)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewState {
    /// The screen shown.
    pub mode: Mode,
    /// Index of the first per-viewer row shown (0 = the worst viewer).
    pub scroll: usize,
    /// The strongest stop the user has asked for so far; the screen says "stopping…" once set.
    pub stop: Option<StopRequest>,
}

/// What a key asks the caller to do besides redrawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Nothing more (the view may have changed: redraw).
    Redraw,
    /// Pass this stop request on to the swarm.
    Stop(StopRequest),
    /// The key means nothing here.
    Ignored,
}

impl ViewState {
    /// Applies one key. `rows` is the number of per-viewer rows and `page` how many fit on the
    /// screen (see [`crate::viewer_page_rows`]); scrolling is clamped to them.
    ///
    /// `q` and Ctrl-C ask for a graceful stop; Ctrl-C once a stop is under way asks for an
    /// immediate one. `d` toggles the per-viewer table, `Esc` leaves it; arrows, PageUp,
    /// PageDown, Home and End scroll it.
    pub fn on_key(&mut self, key: KeyEvent, rows: usize, page: usize) -> KeyAction {
        if key.kind == KeyEventKind::Release {
            return KeyAction::Ignored;
        }
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if ctrl_c {
            return self.request_stop(match self.stop {
                None => StopRequest::Graceful,
                Some(_) => StopRequest::Immediate,
            });
        }
        let max_scroll = rows.saturating_sub(page.max(1));
        let page = page.max(1);
        match (self.mode, key.code) {
            (_, KeyCode::Char('q') | KeyCode::Char('Q')) => {
                self.request_stop(StopRequest::Graceful)
            }
            (_, KeyCode::Char('d') | KeyCode::Char('D')) => {
                self.mode = match self.mode {
                    Mode::Summary => Mode::Viewers,
                    Mode::Viewers => Mode::Summary,
                };
                KeyAction::Redraw
            }
            (Mode::Viewers, KeyCode::Esc) => {
                self.mode = Mode::Summary;
                KeyAction::Redraw
            }
            (Mode::Viewers, code) => {
                let scroll = self.scroll.min(max_scroll);
                self.scroll = match code {
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => scroll + 1,
                    KeyCode::PageUp => scroll.saturating_sub(page),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll + page,
                    KeyCode::Home | KeyCode::Char('g') => 0,
                    KeyCode::End | KeyCode::Char('G') => max_scroll,
                    _ => return KeyAction::Ignored,
                }
                .min(max_scroll);
                KeyAction::Redraw
            }
            _ => KeyAction::Ignored,
        }
    }

    /// Records a stop request unless an equal or stronger one was already made.
    fn request_stop(&mut self, request: StopRequest) -> KeyAction {
        match (self.stop, request) {
            (None, _) | (Some(StopRequest::Graceful), StopRequest::Immediate) => {
                self.stop = Some(request);
                KeyAction::Stop(request)
            }
            _ => KeyAction::Redraw,
        }
    }
}

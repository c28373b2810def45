//! The live terminal dashboard of hls-swarm (ratatui + crossterm) and its plain-mode status
//! line. The binary hands it a [`DashboardInput`] (the latest aggregate
//! [`Snapshot`](hls_swarm_aggregate::Snapshot), the origin's figures, the run's duration and
//! the metrics address); [`run_dashboard`] draws it on the alternate screen a few times a
//! second until the run is done, with raw mode held by a [`TerminalGuard`] that restores the
//! terminal on drop and on panic. Drawing is the pure function [`render`], so tests draw into
//! ratatui's `TestBackend`. Without a terminal, [`status_line`] gives one line of text or JSON
//! and [`ramp_progress_bar`] a ramp bar.
//!
//! ```
//! use hls_swarm_aggregate::Aggregator;
//! use hls_swarm_dashboard::{DashboardInput, StatusFormat, ViewState, render, status_line};
//! use hls_swarm_stats::Counter;
//! use ratatui::{Terminal, backend::TestBackend};
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! let swarm = Aggregator::new("http://origin/master.m3u8", 2, start);
//! swarm.register(0).add(Counter::SegmentRequests, 1234);
//! let input = DashboardInput::new(swarm.tick(start + Duration::from_secs(10)));
//!
//! let line = status_line(&input, StatusFormat::Text);
//! assert!(line.starts_with("00:00:10  viewers 0/2"), "{line}");
//!
//! let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
//! terminal.draw(|f| render(f, &input, &ViewState::default())).unwrap();
//! assert!(terminal.backend().to_string().contains("1,234"));
//! ```
#![deny(missing_docs)]

mod error;
mod format;
mod host_line;
mod input;
mod plain;
mod rates;
mod render;
mod run;
mod terminal;
mod view;

pub use error::DashboardError;
pub use input::{DashboardInput, OriginView, StopRequest, Trends};
pub use plain::{STATUS_SCHEMA, StatusFormat, StatusRecord, ramp_progress_bar, status_line};
pub use rates::{DEFAULT_RATE_WINDOW, RateWindow};
pub use render::{render, viewer_page_rows};
pub use run::{REFRESH_INTERVAL, run_dashboard};
pub use terminal::TerminalGuard;
pub use view::{KeyAction, Mode, ViewState};

#[cfg(test)]
mod tests;

//! `DashboardError`: what can go wrong driving the terminal.

use std::io;

/// Why the dashboard could not run or stopped early. The terminal is restored in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DashboardError {
    /// Raw mode or the alternate screen could not be set up.
    #[error(
        "could not set up the terminal for the dashboard: {0} (run with --no-tui for plain output)"
    )]
    Setup(#[source] io::Error),
    /// Writing a frame failed.
    #[error("could not draw the dashboard: {0} (run with --no-tui for plain output)")]
    Draw(#[source] io::Error),
    /// Reading keys failed.
    #[error("could not read keys from the terminal: {0} (run with --no-tui for plain output)")]
    Input(#[source] io::Error),
    /// Another dashboard already owns the terminal in this process.
    #[error("a dashboard is already running in this process")]
    AlreadyActive,
}

//! The terminal guard: raw mode and the alternate screen for as long as it lives, restored on drop and on panic.

use crate::error::DashboardError;
use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a guard currently owns the terminal (read by the panic hook).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: Once = Once::new();

/// Owns the terminal while the dashboard runs: raw mode, alternate screen, hidden cursor.
/// Dropping it (or a panic anywhere while it lives) leaves the alternate screen, disables raw
/// mode and shows the cursor again, so the shell is usable and the summary prints normally.
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl std::fmt::Debug for TerminalGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalGuard").finish_non_exhaustive()
    }
}

impl TerminalGuard {
    /// Takes over the terminal. Installs (once per process) a panic hook that restores the
    /// terminal before the previous hook prints the panic message.
    pub fn enter() -> Result<TerminalGuard, DashboardError> {
        install_panic_hook();
        // SeqCst: a one-off flag; no other data is published through it.
        if ACTIVE.swap(true, Ordering::SeqCst) {
            return Err(DashboardError::AlreadyActive);
        }
        // From here on, an early return drops `Restore`, which undoes whatever was done.
        let restore_on_error = Restore;
        enable_raw_mode().map_err(DashboardError::Setup)?;
        execute!(stdout(), EnterAlternateScreen, Hide).map_err(DashboardError::Setup)?;
        let terminal =
            Terminal::new(CrosstermBackend::new(stdout())).map_err(DashboardError::Setup)?;
        std::mem::forget(restore_on_error);
        Ok(TerminalGuard { terminal })
    }

    /// The ratatui terminal to draw on.
    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Restores the terminal when dropped; used while the guard is being built.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen, disables raw mode, shows the cursor. Errors are ignored: there
/// is nothing better to do with them while tearing down.
fn restore() {
    // SeqCst: a one-off flag; no other data is published through it.
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(stdout(), LeaveAlternateScreen, Show);
    }
}

fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

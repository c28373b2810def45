//! A real terminal for dashboard tests: one command in a private tmux server, its screen
//! captured as text, keys sent to it, its exit status read back.

use std::process::{Command, Output};
use std::time::Duration;

use crate::{Scratch, poll};

/// The one session of each server.
const SESSION: &str = "test";

/// A private tmux server (its own socket, no configuration file) running one shell command in a
/// detached session; the server is killed when this is dropped.
///
/// When the command ends, its exit status is written to a file and the pane stays on screen,
/// so that what the command left on the terminal can still be captured.
#[derive(Debug)]
pub struct Tmux {
    socket: String,
    dir: Scratch,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a `cols`×`rows` terminal. Fails the test when
    /// tmux is not installed or the session does not start.
    pub fn start(name: &str, cols: u16, rows: u16, command: &str) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is not installed or does not run ({version:?}): run `cargo xtask deps` \
             (it installs the Debian package tmux)"
        );
        let dir = Scratch::new(&format!("tmux-{name}"));
        let tmux = Tmux {
            socket: dir
                .file_name()
                .expect("scratch dirs have a name")
                .to_string_lossy()
                .into_owned(),
            dir,
        };
        let status = tmux.dir.join("exit-status");
        // `sleep` keeps the pane (and what the command printed last) until the server is killed.
        let line = format!("{command}; echo $? > '{}'; sleep 600", status.display());
        let (cols, rows) = (cols.to_string(), rows.to_string());
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &cols,
            "-y",
            &rows,
            &line,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    /// Runs `tmux args…` against this server.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The text on screen now.
    pub fn capture(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", SESSION]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `keys` (tmux key names: `q`, `C-c`, `Enter`).
    pub fn send_keys(&self, keys: &str) {
        let out = self.run(&["send-keys", "-t", SESSION, keys]);
        assert!(out.status.success(), "tmux send-keys {keys}: {out:?}");
    }

    /// Whether the command has switched the terminal to the alternate screen.
    pub fn alternate_on(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", SESSION, "#{alternate_on}"]);
        match String::from_utf8_lossy(&out.stdout).trim() {
            "1" => true,
            "0" => false,
            other => panic!("tmux #{{alternate_on}} printed {other:?}: {out:?}"),
        }
    }

    /// Captures the screen until `check` accepts it and returns that screen; fails the test
    /// with the last screen when `deadline` passes first.
    pub fn wait_for(
        &self,
        what: &str,
        deadline: Duration,
        mut check: impl FnMut(&str) -> bool,
    ) -> String {
        let mut pane = String::new();
        let seen = poll::until(deadline, || {
            pane = self.capture();
            check(&pane)
        });
        assert!(
            seen,
            "no {what} within {deadline:?}; the screen shows:\n{pane}"
        );
        pane
    }

    /// Waits for the command to end and returns its exit status; fails the test with the screen
    /// when it has not ended by `deadline`.
    pub fn wait_exit(&self, deadline: Duration) -> i32 {
        let file = self.dir.join("exit-status");
        let status = poll::until_some(deadline, || {
            let text = std::fs::read_to_string(&file).ok()?;
            // The shell may be caught between creating the file and writing it.
            text.trim().parse::<i32>().ok()
        });
        status.unwrap_or_else(|| {
            panic!(
                "the command did not end within {deadline:?}; the screen shows:\n{}",
                self.capture()
            )
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[cfg(test)]
mod tests;

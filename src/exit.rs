//! Exit codes and the one-sentence failures that carry them.

use std::fmt;
use std::process::ExitCode;

/// Why hls-swarm stopped; the numbers are documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the run completed.
    Ok = 0,
    /// 1: an unexpected runtime failure.
    Runtime = 1,
    /// 2: a usage error (clap's own code).
    Usage = 2,
    /// 3: a configuration error.
    Config = 3,
    /// 4: ffmpeg is missing or unusable.
    Ffmpeg = 4,
    /// 5: the run measured nothing (no viewer ever fetched a media segment).
    NothingMeasured = 5,
    /// 6: the target is unreachable or not an HLS playlist.
    Target = 6,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// A failure the user can act on: one plain sentence and the exit code that goes with it.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What happened and what to do, in one sentence.
    pub message: String,
}

impl Failure {
    /// A failure with `exit` and `message`.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Shorthand: `Err(fail(Exit::Config, "…"))?`.
pub fn fail(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    Failure::new(exit, message).into()
}

/// The exit code an error maps to: a [`Failure`]'s own, else [`Exit::Runtime`].
pub fn exit_of(err: &anyhow::Error) -> Exit {
    err.downcast_ref::<Failure>()
        .map_or(Exit::Runtime, |f| f.exit)
}

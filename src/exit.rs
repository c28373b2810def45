//! Exit codes and the one-sentence failures that carry them.

use std::error::Error;
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
    /// 7: a `--threshold` failed (after everything was printed and written).
    ThresholdFailed = 7,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// The error a [`Failure`] keeps as its cause.
type Cause = Box<dyn Error + Send + Sync + 'static>;

/// A failure the user can act on: one plain sentence, the exit code that goes with it, and
/// the error that caused it (its chain is printed by [`describe`]).
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What happened and what to do, in one sentence.
    pub message: String,
    /// What caused it, when another error did.
    cause: Option<Cause>,
    /// Whether `message` already says, in its own words, what the cause is.
    cause_in_message: bool,
}

impl Failure {
    /// A failure with `exit` and `message`, caused by nothing else.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
            cause: None,
            cause_in_message: false,
        }
    }

    /// `message` (what hls-swarm was doing, and what to do), caused by `cause`.
    pub fn caused_by(exit: Exit, message: impl Into<String>, cause: impl Into<Cause>) -> Self {
        Failure {
            exit,
            message: message.into(),
            cause: Some(cause.into()),
            cause_in_message: false,
        }
    }

    /// `message` already says in its own words what `cause` was (`cannot reach h:80
    /// (connection refused): …`): the cause is kept, and [`describe`] does not repeat it.
    pub fn summarizing(exit: Exit, message: impl Into<String>, cause: impl Into<Cause>) -> Self {
        Failure {
            cause_in_message: true,
            ..Failure::caused_by(exit, message, cause)
        }
    }

    /// A library error whose own message already says what happened and what to do.
    pub fn from_error(exit: Exit, error: impl Error + Send + Sync + 'static) -> Self {
        Failure::caused_by(exit, error.to_string(), error)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Failure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

/// An error and its causes as one line, `what: why: why`, each cause said once: a cause whose
/// text is already part of the line (a message that quotes its source), or that a
/// [`Failure::summarizing`] put in its own words, is not repeated.
pub fn describe(err: &(dyn Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    let said = |e: &(dyn Error + 'static)| {
        e.downcast_ref::<Failure>()
            .is_some_and(|f| f.cause_in_message)
    };
    if said(err) {
        return line;
    }
    while let Some(e) = cause {
        let text = e.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        if said(e) {
            break;
        }
        cause = e.source();
    }
    line
}

/// The exit code an error maps to: a [`Failure`]'s own, else [`Exit::Runtime`].
pub fn exit_of(err: &anyhow::Error) -> Exit {
    err.downcast_ref::<Failure>()
        .map_or(Exit::Runtime, |f| f.exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_its_cause_and_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let failure = Failure::caused_by(Exit::Config, "cannot write /x/summary.json", io);
        assert_eq!(failure.exit, Exit::Config);
        assert!(failure.source().is_some());
        assert_eq!(
            describe(&failure),
            "cannot write /x/summary.json: permission denied"
        );
        // A message that already quotes its cause does not repeat it.
        let io = std::io::Error::other("connection refused");
        let failure = Failure::from_error(Exit::Target, io);
        assert_eq!(describe(&failure), "connection refused");
        // Through anyhow, as main sees it.
        let err = anyhow::Error::from(Failure::caused_by(
            Exit::Ffmpeg,
            "cannot run ffmpeg",
            std::io::Error::other("No such file or directory"),
        ));
        assert_eq!(exit_of(&err), Exit::Ffmpeg);
        assert_eq!(
            describe(err.as_ref()),
            "cannot run ffmpeg: No such file or directory"
        );
        // A message that puts its cause in its own words keeps it, and says it once.
        let failure = Failure::summarizing(
            Exit::Target,
            "cannot reach h:80 (refused): check the origin",
            std::io::Error::other("tcp connect error: refused"),
        );
        assert!(failure.source().is_some());
        assert_eq!(
            describe(&failure),
            "cannot reach h:80 (refused): check the origin"
        );
    }
}

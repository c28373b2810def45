//! Stopping a run: why it stopped ([`StopCause`]), and the one [`Stopper`] every part of the
//! run asks to stop it, which keeps the first cause it is given.

use std::sync::{Arc, OnceLock};

use hls_swarm_supervise::{StopHandle, StopLevel};

/// Why the run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// `--duration` elapsed.
    Duration,
    /// SIGINT / SIGTERM / `q`.
    User,
    /// `--abort-on-fail`: a threshold crossed its limit over the last 30 s.
    Threshold,
    /// SIGINT / SIGTERM while waiting for `--start-at`: no viewer was started.
    BeforeStart,
    /// Every viewer's stream ended (`#EXT-X-ENDLIST`), so every viewer is over.
    StreamEnded,
}

impl StopCause {
    /// The line the report ends with.
    pub fn sentence(self) -> &'static str {
        match self {
            StopCause::Duration => "Stopped: --duration elapsed.",
            StopCause::User => "Stopped: on request (Ctrl-C, SIGTERM or q).",
            StopCause::Threshold => {
                "Stopped: a threshold crossed its limit over the last 30 s (--abort-on-fail)."
            }
            StopCause::BeforeStart => {
                "Stopped: on request (Ctrl-C or SIGTERM) while waiting for --start-at; no viewer \
                 was started."
            }
            StopCause::StreamEnded => {
                "Stopped: the stream ended (#EXT-X-ENDLIST) and every viewer played it to its end."
            }
        }
    }
}

/// Asks the swarm to stop and remembers why: the first cause given wins, whoever asks later.
#[derive(Debug, Clone)]
pub struct Stopper {
    swarm: StopHandle,
    cause: Arc<OnceLock<StopCause>>,
}

impl Stopper {
    /// A stopper for the swarm behind `swarm`.
    pub fn new(swarm: StopHandle) -> Self {
        Stopper {
            swarm,
            cause: Arc::default(),
        }
    }

    /// Records `cause` (unless a cause came first) and asks the swarm to stop: the first
    /// request stops it gracefully, a second one kills. Returns the level now in force.
    pub fn request(&self, cause: StopCause) -> StopLevel {
        let _ = self.cause.set(cause);
        self.swarm.stop()
    }

    /// Records `cause` (unless a cause came first) and kills every viewer at once.
    pub fn kill(&self, cause: StopCause) {
        let _ = self.cause.set(cause);
        self.swarm.kill();
    }

    /// The first cause given, if any.
    pub fn cause(&self) -> Option<StopCause> {
        self.cause.get().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_wins_and_a_second_request_kills() {
        let stopper = Stopper::new(StopHandle::new());
        assert_eq!(stopper.cause(), None);
        assert_eq!(stopper.request(StopCause::Duration), StopLevel::Graceful);
        assert_eq!(stopper.clone().request(StopCause::User), StopLevel::Kill);
        assert_eq!(stopper.cause(), Some(StopCause::Duration));
        let stopper = Stopper::new(StopHandle::new());
        stopper.kill(StopCause::User);
        stopper.request(StopCause::Duration);
        assert_eq!(stopper.cause(), Some(StopCause::User));
    }
}

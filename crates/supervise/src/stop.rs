//! Stop requests: graceful first (SIGINT, grace, SIGKILL), immediate on the second request.

use std::sync::Arc;

use tokio::sync::watch;

/// How far the swarm has been asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopLevel {
    /// Running.
    Running,
    /// SIGINT every process group, SIGKILL those still alive after the grace period.
    Graceful,
    /// SIGKILL every process group now.
    Kill,
}

/// A cloneable handle that stops a [`Swarm`](crate::Swarm), for a signal handler task.
#[derive(Clone, Debug)]
pub struct StopHandle {
    tx: Arc<watch::Sender<StopLevel>>,
}

impl Default for StopHandle {
    fn default() -> Self {
        StopHandle::new()
    }
}

impl StopHandle {
    /// A handle at [`StopLevel::Running`] that no swarm listens to: a [`Swarm`](crate::Swarm)
    /// hands out its own with `Swarm::stop_handle`; this one is for testing code that drives
    /// a handle.
    pub fn new() -> Self {
        StopHandle {
            tx: Arc::new(watch::Sender::new(StopLevel::Running)),
        }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<StopLevel> {
        self.tx.subscribe()
    }

    /// The first call stops gracefully; a second call (the second Ctrl-C) kills at once.
    /// Returns the level now in force.
    pub fn stop(&self) -> StopLevel {
        let mut now = StopLevel::Running;
        self.tx.send_modify(|level| {
            *level = match *level {
                StopLevel::Running => StopLevel::Graceful,
                StopLevel::Graceful | StopLevel::Kill => StopLevel::Kill,
            };
            now = *level;
        });
        now
    }

    /// Kills every process now, whatever the current level.
    pub fn kill(&self) {
        self.tx.send_replace(StopLevel::Kill);
    }

    /// The current level.
    pub fn level(&self) -> StopLevel {
        *self.tx.borrow()
    }
}

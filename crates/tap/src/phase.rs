//! Where a tap is in its life (running, draining, cutting), watched by every task, and the
//! tracker that tells shutdown when every task (and so every socket) has ended.

use tokio::sync::{mpsc, watch};

/// A tap's phase; it only moves forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Accepting and relaying.
    Running,
    /// Not accepting; in-flight requests finish, idle connections close.
    Draining,
    /// Everything left is cut now.
    Cut,
}

/// A task's view of the phase.
#[derive(Clone, Debug)]
pub(crate) struct PhaseWatch(watch::Receiver<Phase>);

impl PhaseWatch {
    /// A new phase, `Running`, and the watch every task gets a clone of.
    pub(crate) fn channel() -> (watch::Sender<Phase>, PhaseWatch) {
        let (tx, rx) = watch::channel(Phase::Running);
        (tx, PhaseWatch(rx))
    }

    /// Ready once the phase is `phase` or later (or the tap is gone).
    pub(crate) async fn reached(&self, phase: Phase) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|p| *p >= phase).await;
    }
}

/// Held by every task of the tap; shutdown waits until none is left.
#[derive(Clone, Debug)]
pub(crate) struct Tracker {
    _held: mpsc::Sender<()>,
}

/// What shutdown waits on.
#[derive(Debug)]
pub(crate) struct AllDone(mpsc::Receiver<()>);

impl Tracker {
    /// A new tracker and its waiter.
    pub(crate) fn new() -> (Tracker, AllDone) {
        let (tx, rx) = mpsc::channel(1);
        (Tracker { _held: tx }, AllDone(rx))
    }
}

impl AllDone {
    /// Ready once every [`Tracker`] clone has been dropped (nothing is ever sent).
    pub(crate) async fn wait(&mut self) {
        while self.0.recv().await.is_some() {}
    }
}

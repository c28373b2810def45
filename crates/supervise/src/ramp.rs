//! Ramp-up schedule: viewer start times on an absolute grid, so the achieved rate is the
//! configured one; and the gate that holds the ramp (no viewer starts while it is held).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// When each viewer starts, relative to the start of the ramp.
///
/// Viewer `i` starts at `i / rate + jitter(i)`, with `jitter(i)` uniform in `[0, J)` and
/// `J` = the configured jitter capped at half the interval. Viewer 0 starts at once. The
/// grid is absolute: jitter never accumulates, so the achieved rate is the configured one,
/// and starts stay in order because the jitter is less than the interval.
#[derive(Clone, Debug)]
pub struct RampSchedule {
    interval: Duration,
    max_jitter: Duration,
    rng: fastrand::Rng,
}

impl RampSchedule {
    /// A schedule for `rate` viewers per second (must be positive and finite) with up to
    /// `jitter` of random delay per viewer; `seed` makes the jitter reproducible.
    pub fn new(rate: f64, jitter: Duration, seed: u64) -> Self {
        let interval = Duration::from_secs_f64(1.0 / rate);
        RampSchedule {
            interval,
            max_jitter: jitter.min(interval / 2),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The interval between grid points.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The jitter bound in use (after the cap).
    pub fn max_jitter(&self) -> Duration {
        self.max_jitter
    }

    /// The start offset of `viewer`. Call in viewer order for reproducible jitter.
    pub fn offset(&mut self, viewer: u32) -> Duration {
        if viewer == 0 {
            return Duration::ZERO;
        }
        let jitter = self.max_jitter.mul_f64(self.rng.f64());
        self.interval * viewer + jitter
    }
}

/// Whether the ramp may start viewers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GateState {
    /// It may.
    Open,
    /// It may not, until released (or until `until`, when given, has passed).
    Held { until: Option<Instant> },
}

/// Holds the ramp: while held, no viewer starts; once released (or its hold has run out), the
/// rest of the schedule resumes where it paused, later by the time held, so the rate after a
/// hold is still the configured one. A cloneable handle (every clone is the same gate), open
/// when created; give one in [`crate::SwarmOptions::ramp_gate`] and keep another to hold and
/// release it.
#[derive(Clone, Debug)]
pub struct RampGate {
    state: Arc<watch::Sender<GateState>>,
}

impl Default for RampGate {
    fn default() -> Self {
        RampGate::new()
    }
}

impl RampGate {
    /// An open gate.
    pub fn new() -> RampGate {
        RampGate {
            state: Arc::new(watch::Sender::new(GateState::Open)),
        }
    }

    /// Holds the ramp from now on, until released.
    pub fn hold(&self) {
        self.set(GateState::Held { until: None });
    }

    /// Holds the ramp from now on, until released or until `deadline` has passed, whichever
    /// comes first: a hold that is bounded however late the release comes.
    pub fn hold_until(&self, deadline: Instant) {
        self.set(GateState::Held {
            until: Some(deadline),
        });
    }

    /// Lets the ramp go on (nothing if it is open already).
    pub fn release(&self) {
        self.set(GateState::Open);
    }

    /// Whether the gate is held now (a hold whose deadline has passed is not).
    pub fn is_held(&self) -> bool {
        match *self.state.borrow() {
            GateState::Open => false,
            GateState::Held { until } => until.is_none_or(|t| t > Instant::now()),
        }
    }

    fn set(&self, state: GateState) {
        self.state
            .send_if_modified(|s| std::mem::replace(s, state) != state);
    }

    /// A receiver of the gate's state, for the ramp.
    pub(crate) fn subscribe(&self) -> watch::Receiver<GateState> {
        self.state.subscribe()
    }
}

#[cfg(test)]
mod tests;

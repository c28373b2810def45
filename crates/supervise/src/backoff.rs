//! Restart backoff: an exponential delay with jitter, reset after a long or clean run.

use std::time::Duration;

/// The restart delay policy. The default: 250 ms × 1.7^attempt, at most 5 s,
/// ±20 % uniform jitter, attempts reset after a run of at least 30 s or a clean exit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffPolicy {
    /// The first delay.
    pub initial: Duration,
    /// The largest delay before jitter.
    pub max: Duration,
    /// Growth factor per attempt (at least 1).
    pub multiplier: f64,
    /// Relative jitter: the delay is scaled by a uniform factor in `[1 - jitter, 1 + jitter)`.
    pub jitter: f64,
    /// A run at least this long resets the attempt counter.
    pub reset_after: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(5),
            multiplier: 1.7,
            jitter: 0.2,
            reset_after: Duration::from_secs(30),
        }
    }
}

impl BackoffPolicy {
    /// The delay before jitter for `attempt` (from 0): `initial × multiplier^attempt`, capped.
    pub fn nominal(&self, attempt: u32) -> Duration {
        let factor = self.multiplier.max(1.0).powi(attempt.min(1000) as i32);
        let secs = (self.initial.as_secs_f64() * factor).min(self.max.as_secs_f64());
        Duration::from_secs_f64(secs.max(0.0))
    }
}

/// One viewer's backoff state.
#[derive(Debug)]
pub struct Backoff {
    policy: BackoffPolicy,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// A fresh state; `seed` makes the jitter reproducible.
    pub fn new(policy: BackoffPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            attempt: 0,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Records how a run ended: a clean exit or a run of at least
    /// [`reset_after`](BackoffPolicy::reset_after) starts the delays over.
    pub fn record_exit(&mut self, uptime: Duration, clean: bool) {
        if clean || uptime >= self.policy.reset_after {
            self.attempt = 0;
        }
    }

    /// The next delay and the attempt number it belongs to; advances the attempt.
    pub fn next_delay(&mut self) -> (Duration, u32) {
        let attempt = self.attempt;
        let nominal = self.policy.nominal(attempt).as_secs_f64();
        let jitter = self.policy.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * self.rng.f64() - 1.0);
        self.attempt = self.attempt.saturating_add(1);
        (
            Duration::from_secs_f64((nominal * factor).max(0.0)),
            attempt,
        )
    }
}

#[cfg(test)]
mod tests;

//! The host, watched every tick: sample it for the aggregator, warn when it becomes saturated
//! and when it recovers, and hold the ramp while it is saturated, for at most
//! `--max-ramp-hold` in all per run.

use std::time::{Duration, Instant};

use hls_swarm_aggregate::Aggregator;
use hls_swarm_host::{HostSample, HostSampler};
use hls_swarm_supervise::{CountersSnapshot, RampGate};

use crate::log::Log;

/// Samples in a row that must be unsaturated before the log says the host recovered (2 s at
/// the 500 ms tick): a host hovering at 90 % would otherwise log a pair of lines every tick.
/// The saturated time and the ramp hold follow every sample as it is.
const RECOVERED_AFTER: u32 = 4;

/// What the hold policy did on a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldChange {
    /// Nothing new.
    None,
    /// The gate was just held.
    Held,
    /// The gate was just released (the host recovered, or the ramp is over).
    Released,
    /// The budget is spent: the gate was released for good.
    Exhausted,
}

/// Holds the ramp while the host is saturated, for at most `budget` in all.
#[derive(Debug)]
pub struct HoldPolicy {
    gate: RampGate,
    budget: Duration,
    spent: Duration,
    held_since: Option<Instant>,
    exhausted: bool,
}

impl HoldPolicy {
    /// A policy over `gate` that may hold it for `budget` in all (0: never).
    pub fn new(gate: RampGate, budget: Duration) -> HoldPolicy {
        HoldPolicy {
            gate,
            budget,
            spent: Duration::ZERO,
            held_since: None,
            exhausted: false,
        }
    }

    /// How long the gate has been held so far, a hold going on included (never more than the
    /// budget: the gate's deadline ends a hold then).
    pub fn spent(&self, now: Instant) -> Duration {
        (self.spent + self.held_since.map_or(Duration::ZERO, |t| now - t)).min(self.budget)
    }

    /// One tick: hold while `saturated` and the ramp still has viewers to start, release
    /// otherwise, and for good once the budget is spent. Each hold is given the gate with the
    /// budget's remainder as its deadline, so the ramp never waits longer than the budget in
    /// all, even when a tick comes late on a saturated machine.
    pub fn on_tick(&mut self, now: Instant, saturated: bool, ramp_waiting: bool) -> HoldChange {
        if self.exhausted || self.budget.is_zero() {
            return HoldChange::None;
        }
        if self.spent(now) >= self.budget {
            self.release(now);
            self.exhausted = true;
            return HoldChange::Exhausted;
        }
        match (saturated && ramp_waiting, self.held_since.is_some()) {
            (true, false) => {
                self.held_since = Some(now);
                // Bounded by the gate itself, however late the next tick comes.
                self.gate.hold_until(now + (self.budget - self.spent));
                HoldChange::Held
            }
            (false, true) => {
                self.release(now);
                HoldChange::Released
            }
            _ => HoldChange::None,
        }
    }

    fn release(&mut self, now: Instant) {
        if let Some(since) = self.held_since.take() {
            self.spent = (self.spent + (now - since)).min(self.budget);
        }
        self.gate.release();
    }
}

/// The host's watcher, driven by the ticker.
pub struct HostWatch {
    sampler: HostSampler,
    policy: HoldPolicy,
    budget: Duration,
    log: Log,
    /// What the log last said: saturated or not.
    logged_saturated: bool,
    /// Unsaturated samples in a row since.
    calm: u32,
}

impl HostWatch {
    /// Watches the live host, holding `gate` for at most `max_hold` in all. `None` (after one
    /// warning) when the host cannot be read: the run goes on without host figures.
    pub fn start(gate: RampGate, max_hold: Duration, log: &Log) -> Option<HostWatch> {
        let sampler = match HostSampler::live() {
            Ok(sampler) => sampler,
            Err(e) => {
                log.warn("host_unreadable", &[("what", e.to_string())]);
                return None;
            }
        };
        Some(HostWatch {
            sampler,
            policy: HoldPolicy::new(gate, max_hold),
            budget: max_hold,
            log: log.clone(),
            logged_saturated: false,
            calm: 0,
        })
    }

    /// One tick, before the aggregator's: sample, record, warn, hold or release the ramp.
    pub fn tick(&mut self, aggregator: &Aggregator, counters: &CountersSnapshot) {
        let now = Instant::now();
        let sample = self.sampler.sample_at(now);
        aggregator.record_host(sample);
        aggregator.set_ramp_held(counters.ramp_held);
        let saturated = sample.is_saturated();
        let ramp_waiting = counters.waiting_ramp > 0;
        self.log_transition(&sample, ramp_waiting);
        match self.policy.on_tick(now, saturated, ramp_waiting) {
            HoldChange::Exhausted => self.log.warn(
                "ramp_hold_exhausted",
                &[(
                    "what",
                    format!(
                        "the ramp was held {} in all while this machine was saturated (--max-ramp-hold): ramping on to the target regardless; expect stalls this machine causes, or run fewer viewers per machine (--shards)",
                        humantime::format_duration(self.budget)
                    ),
                )],
            ),
            HoldChange::None | HoldChange::Held | HoldChange::Released => {}
        }
    }

    /// One warning when the host becomes saturated, one when it has recovered.
    fn log_transition(&mut self, sample: &HostSample, ramp_waiting: bool) {
        if sample.is_saturated() {
            self.calm = 0;
            if !self.logged_saturated {
                self.logged_saturated = true;
                let ramp = if ramp_waiting && !self.budget.is_zero() {
                    format!(
                        "; the ramp is held while it is (at most {} in all, --max-ramp-hold)",
                        humantime::format_duration(self.budget)
                    )
                } else {
                    String::new()
                };
                self.log.warn(
                    "host_saturated",
                    &[
                        ("cpu", cpu_figure(sample)),
                        ("memory", memory_figure(sample)),
                        (
                            "what",
                            format!(
                                "this machine is saturated: stalls from now on may be this machine's, not the origin's{ramp}"
                            ),
                        ),
                    ],
                );
            }
        } else if self.logged_saturated {
            self.calm += 1;
            if self.calm >= RECOVERED_AFTER {
                self.logged_saturated = false;
                self.log.warn(
                    "host_recovered",
                    &[
                        ("cpu", cpu_figure(sample)),
                        ("memory", memory_figure(sample)),
                        (
                            "what",
                            "this machine is no longer saturated: stalls from now on are not its doing".to_owned(),
                        ),
                    ],
                );
            }
        }
    }
}

/// `1.95/2.00 cores (97 %)`, or `n/a`.
pub fn cpu_figure(sample: &HostSample) -> String {
    match (sample.cpu_busy_cores, sample.cpu_busy_share()) {
        (Some(busy), Some(share)) => format!(
            "{busy:.2}/{:.2} cores ({:.0} %)",
            sample.limits.cpu_cores,
            share * 100.0
        ),
        _ => "n/a".to_owned(),
    }
}

/// `12.3/24.7 GB (50 %)`, or `n/a`.
pub fn memory_figure(sample: &HostSample) -> String {
    match (sample.memory_used_bytes, sample.memory_used_share()) {
        (Some(used), Some(share)) => format!(
            "{:.1}/{:.1} GB ({:.0} %)",
            used as f64 / 1e9,
            sample.limits.memory_bytes as f64 / 1e9,
            share * 100.0
        ),
        _ => "n/a".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn holds_while_saturated_and_releases_on_recovery() {
        let gate = RampGate::new();
        let mut policy = HoldPolicy::new(gate.clone(), secs(60));
        let t0 = Instant::now();
        assert_eq!(policy.on_tick(t0, false, true), HoldChange::None);
        assert!(!gate.is_held());
        assert_eq!(policy.on_tick(t0 + secs(1), true, true), HoldChange::Held);
        assert!(gate.is_held());
        assert_eq!(policy.on_tick(t0 + secs(2), true, true), HoldChange::None);
        assert!(gate.is_held());
        assert_eq!(
            policy.on_tick(t0 + secs(4), false, true),
            HoldChange::Released
        );
        assert!(!gate.is_held());
        assert_eq!(policy.spent(t0 + secs(9)), secs(3));
    }

    #[test]
    fn the_budget_bounds_every_hold_together_then_the_ramp_goes_on() {
        let gate = RampGate::new();
        let mut policy = HoldPolicy::new(gate.clone(), secs(10));
        let t0 = Instant::now();
        policy.on_tick(t0, true, true);
        policy.on_tick(t0 + secs(6), false, true);
        assert_eq!(policy.on_tick(t0 + secs(7), true, true), HoldChange::Held);
        // The gate's own deadline is the budget's remainder: 4 s from now.
        assert!(gate.is_held());
        assert_eq!(policy.on_tick(t0 + secs(10), true, true), HoldChange::None);
        // 6 s + 4 s: spent.
        assert_eq!(
            policy.on_tick(t0 + secs(11), true, true),
            HoldChange::Exhausted
        );
        assert!(!gate.is_held());
        assert_eq!(policy.spent(t0 + secs(20)), secs(10));
        // Never again, however saturated.
        assert_eq!(policy.on_tick(t0 + secs(12), true, true), HoldChange::None);
        assert!(!gate.is_held());
    }

    #[test]
    fn no_hold_once_the_ramp_is_over_or_with_a_zero_budget() {
        let gate = RampGate::new();
        let mut policy = HoldPolicy::new(gate.clone(), secs(60));
        let t0 = Instant::now();
        assert_eq!(policy.on_tick(t0, true, false), HoldChange::None);
        assert!(!gate.is_held());
        policy.on_tick(t0 + secs(1), true, true);
        // The ramp started its last viewer: nothing left to hold.
        assert_eq!(
            policy.on_tick(t0 + secs(2), true, false),
            HoldChange::Released
        );
        let mut never = HoldPolicy::new(gate.clone(), Duration::ZERO);
        assert_eq!(never.on_tick(t0, true, true), HoldChange::None);
        assert!(!gate.is_held());
    }

    #[test]
    fn a_hold_ends_at_the_budget_even_without_another_tick() {
        let gate = RampGate::new();
        let mut policy = HoldPolicy::new(gate.clone(), Duration::from_millis(100));
        let t0 = Instant::now();
        assert_eq!(policy.on_tick(t0, true, true), HoldChange::Held);
        assert!(gate.is_held());
        // No tick comes (a saturated machine): the gate's deadline ends the hold by itself.
        let released = hls_swarm_testkit::poll::until(secs(2), || !gate.is_held());
        assert!(released, "still held after 2 s");
        assert!(t0.elapsed() >= Duration::from_millis(100));
        assert_eq!(policy.spent(t0 + secs(5)), Duration::from_millis(100));
    }
}

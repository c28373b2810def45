//! `RateWindow`: request, byte and error rates over the last few seconds, steadier than one tick's.
//!
//! A snapshot's own [`Rates`] cover one aggregation interval (~500 ms). With viewers fetching a
//! segment every few seconds, those jump between zero and bursts from one tick to the next; a
//! dashboard that redraws four times a second flickers. This keeps the recent snapshots'
//! counters and measures over the span from the oldest one still inside the window.

use hls_swarm_aggregate::{Rates, Snapshot};
use hls_swarm_stats::{Counter, CounterValues};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How far back [`RateWindow::default`] measures.
pub const DEFAULT_RATE_WINDOW: Duration = Duration::from_secs(5);

/// Rates over a sliding window of snapshots.
#[derive(Debug, Clone)]
pub struct RateWindow {
    window: Duration,
    /// (taken, counters, bytes), oldest first, one per distinct snapshot.
    history: VecDeque<(Instant, CounterValues, u64)>,
}

impl Default for RateWindow {
    fn default() -> Self {
        RateWindow::new(DEFAULT_RATE_WINDOW)
    }
}

impl RateWindow {
    /// Rates measured over (up to) `window`.
    pub fn new(window: Duration) -> RateWindow {
        RateWindow {
            window,
            history: VecDeque::new(),
        }
    }

    /// Records `snapshot` (once per distinct snapshot) and returns the rates from the oldest
    /// snapshot within the window to this one. Until two snapshots are known, the snapshot's own.
    pub fn observe(&mut self, snapshot: &Snapshot) -> Rates {
        let (bytes, _) = snapshot.bytes();
        let newest = self.history.back().map(|(t, _, _)| *t);
        if newest.is_none_or(|t| snapshot.taken > t) {
            self.history
                .push_back((snapshot.taken, snapshot.totals.counters, bytes));
        }
        // Drop bases older than the window, keeping the newest one that is at least `window` old.
        while self.history.len() > 2
            && snapshot.taken.saturating_duration_since(self.history[1].0) >= self.window
        {
            self.history.pop_front();
        }
        let Some(&(base_at, base, base_bytes)) = self.history.front() else {
            return snapshot.rates;
        };
        let secs = snapshot
            .taken
            .saturating_duration_since(base_at)
            .as_secs_f64();
        if secs <= 0.0 {
            return snapshot.rates;
        }
        let d = snapshot.totals.counters.delta(&base);
        let per_s = |n: u64| n as f64 / secs;
        Rates {
            interval_s: secs,
            manifest_per_s: per_s(d.get(Counter::ManifestRequests)),
            segment_per_s: per_s(d.get(Counter::SegmentRequests)),
            init_per_s: per_s(d.get(Counter::InitRequests)),
            other_per_s: per_s(d.get(Counter::OtherRequests)),
            requests_per_s: per_s(d.total_requests()),
            bytes_per_s: per_s(bytes.saturating_sub(base_bytes)),
            http_errors_per_s: per_s(d.get(Counter::HttpErrors)),
        }
    }
}

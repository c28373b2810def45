//! Reading the request tap's statistics at each tick: its counts and statuses as they stand,
//! rates against the previous tick, and its timings merged into one histogram each.

use std::sync::Arc;
use std::time::Instant;

use hls_swarm_stats::{TapStats, TapTiming};

use crate::latency::{Figure, LatencyHistogram, empty_summary};
use crate::snapshot::{FigureKind, LatencySummary, TapFigures};

/// The tap's statistics, their merged timings and what the last tick saw.
#[derive(Debug)]
pub(crate) struct TapMerge {
    stats: Arc<TapStats>,
    figures: [Figure; 5],
    published: [Arc<LatencySummary>; 5],
    statuses: Arc<[(u16, u64)]>,
    prev: Option<(Instant, u64, u64)>,
}

impl TapMerge {
    pub(crate) fn new(stats: Arc<TapStats>) -> TapMerge {
        TapMerge {
            stats,
            figures: std::array::from_fn(|_| Figure::new()),
            published: TapTiming::ALL.map(|t| Arc::new(empty_summary(FigureKind::Tap(t)))),
            statuses: Arc::from([]),
            prev: None,
        }
    }

    /// Drains the timings and reads the counts, as of `now`.
    pub(crate) fn tick(&mut self, now: Instant) -> TapFigures {
        for timing in TapTiming::ALL {
            let i = timing as usize;
            let figure = &mut self.figures[i];
            self.stats.drain(timing, |us| figure.record(us));
            let lost = self.stats.timing_totals(timing).lost;
            if figure.dirty || self.published[i].lost != lost {
                self.published[i] = Arc::new(figure.summarise(FigureKind::Tap(timing), lost));
                figure.dirty = false;
            }
        }
        let counts = self.stats.counts();
        let statuses = self.stats.statuses();
        if *self.statuses != *statuses {
            self.statuses = Arc::from(statuses);
        }
        let (requests, bytes) = (counts.total_requests(), counts.total_bytes());
        let (requests_per_s, bytes_per_s) = match self.prev {
            Some((at, prev_requests, prev_bytes)) => {
                let secs = now.saturating_duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    (
                        requests.saturating_sub(prev_requests) as f64 / secs,
                        bytes.saturating_sub(prev_bytes) as f64 / secs,
                    )
                } else {
                    (0.0, 0.0)
                }
            }
            None => (0.0, 0.0),
        };
        self.prev = Some((now, requests, bytes));
        TapFigures {
            counts,
            statuses: Arc::clone(&self.statuses),
            reused: self.stats.reused(),
            connect_failures: self.stats.connect_failures(),
            no_response: self.stats.no_response(),
            requests_per_s,
            bytes_per_s,
            timings: self.published.clone(),
        }
    }

    /// A copy of one timing's histogram, as of the last tick.
    pub(crate) fn histogram(&self, timing: TapTiming) -> LatencyHistogram {
        self.figures[timing as usize].hist.clone()
    }
}

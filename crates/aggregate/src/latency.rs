//! Merging the viewers' latency samples into one figure each: an hdrhistogram for percentiles,
//! plus the exact sum and the Prometheus bucket counts kept as samples arrive, and the summaries
//! cached until a new sample comes.

use crate::snapshot::{LATENCY_BUCKET_BOUNDS_US, Latencies, LatencySummary};
use hdrhistogram::Histogram;
use hls_swarm_stats::tick::{TickSource, TickValues};
use hls_swarm_stats::{LatencyKind, ViewerStats};
use std::sync::Arc;

/// Highest trackable sample: one hour, in µs.
const MAX_US: u64 = 3_600_000_000;

/// Every sample of one figure since the start.
#[derive(Debug)]
struct Figure {
    /// For percentiles and the maximum: 1 µs – 1 h at 2 significant digits (~1 % value error).
    hist: Histogram<u64>,
    /// Exact sum, µs.
    sum_us: u128,
    /// Samples per bucket of [`LATENCY_BUCKET_BOUNDS_US`] (not cumulative), the last one above
    /// every bound: exact, not at the histogram's resolution.
    per_bucket: [u64; LATENCY_BUCKET_BOUNDS_US.len() + 1],
    /// A sample arrived since the summary was last built.
    dirty: bool,
}

impl Figure {
    fn new() -> Figure {
        Figure {
            hist: Histogram::new_with_bounds(1, MAX_US, 2)
                .expect("constant histogram bounds are valid"),
            sum_us: 0,
            per_bucket: [0; LATENCY_BUCKET_BOUNDS_US.len() + 1],
            dirty: false,
        }
    }

    fn record(&mut self, us: u64) {
        self.hist.saturating_record(us.min(MAX_US));
        self.sum_us += u128::from(us);
        // The bounds ascend: the bucket is the number of bounds below the sample (branch-free).
        let bucket: usize = (LATENCY_BUCKET_BOUNDS_US.iter())
            .map(|&bound| usize::from(us > bound))
            .sum();
        self.per_bucket[bucket] += 1;
        self.dirty = true;
    }

    /// One pass over the histogram, for the percentiles; the rest is already counted.
    fn summarise(&self, kind: LatencyKind, lost: u64) -> LatencySummary {
        let ms = |us: u64| us as f64 / 1000.0;
        let count = self.hist.len();
        let mut quantiles = [0u64; 3];
        if count > 0 {
            let values = self.hist.value_at_quantiles([0.50, 0.95, 0.99]);
            for (q, v) in quantiles.iter_mut().zip(values) {
                *q = v;
            }
        }
        let mut buckets = [0u64; LATENCY_BUCKET_BOUNDS_US.len()];
        let mut below = 0;
        for (cumulative, n) in buckets.iter_mut().zip(self.per_bucket) {
            below += n;
            *cumulative = below;
        }
        LatencySummary {
            kind,
            count,
            p50_ms: ms(quantiles[0]),
            p95_ms: ms(quantiles[1]),
            p99_ms: ms(quantiles[2]),
            max_ms: if count == 0 { 0.0 } else { ms(self.hist.max()) },
            mean_ms: if count == 0 {
                0.0
            } else {
                self.sum_us as f64 / count as f64 / 1000.0
            },
            lost,
            buckets,
            sum_us: self.sum_us,
        }
    }
}

/// Zero summaries, for the snapshot published before the first tick.
pub(crate) fn empty_latencies() -> Latencies {
    let empty = Figure::new();
    Latencies {
        tcp_connect: Arc::new(empty.summarise(LatencyKind::TcpConnect, 0)),
        playlist_fetch: Arc::new(empty.summarise(LatencyKind::PlaylistFetch, 0)),
    }
}

/// The merged figures and the last published summaries, reused while no new sample arrives.
#[derive(Debug)]
pub(crate) struct LatencyMerge {
    figures: [Figure; 2],
    retired_lost: [u64; 2],
    published: Latencies,
}

impl LatencyMerge {
    pub(crate) fn new() -> LatencyMerge {
        LatencyMerge {
            figures: [Figure::new(), Figure::new()],
            retired_lost: [0; 2],
            published: empty_latencies(),
        }
    }

    /// Moves a viewer's pending samples into the merged figures.
    pub(crate) fn drain(&mut self, stats: &ViewerStats) {
        for kind in LatencyKind::ALL {
            let figure = &mut self.figures[kind as usize];
            stats.drain_latency(kind, |us| figure.record(us));
        }
    }

    /// Keeps a removed viewer's lost-sample count.
    pub(crate) fn add_lost(&mut self, values: &TickValues) {
        for kind in LatencyKind::ALL {
            self.retired_lost[kind as usize] += values.latency_lost[kind as usize];
        }
    }

    /// The summaries for this tick; `live_lost` is the lost-sample count of the live viewers.
    pub(crate) fn summaries(&mut self, live_lost: &[u64; 2]) -> Latencies {
        for kind in LatencyKind::ALL {
            let i = kind as usize;
            let lost = self.retired_lost[i] + live_lost[i];
            let slot = match kind {
                LatencyKind::TcpConnect => &mut self.published.tcp_connect,
                LatencyKind::PlaylistFetch => &mut self.published.playlist_fetch,
            };
            let figure = &mut self.figures[i];
            if figure.dirty || slot.lost != lost {
                *slot = Arc::new(figure.summarise(kind, lost));
                figure.dirty = false;
            }
        }
        self.published.clone()
    }
}

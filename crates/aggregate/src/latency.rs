//! Merging the viewers' latency samples into one hdrhistogram per figure, with cached percentiles.

use crate::snapshot::{Latencies, LatencySummary};
use hdrhistogram::Histogram;
use hls_swarm_stats::{ClientStats, LatencyKind, TickValues};
use std::sync::Arc;

/// Highest trackable sample: one hour, in µs.
const MAX_US: u64 = 3_600_000_000;

fn new_histogram() -> Histogram<u64> {
    // 1 µs – 1 h at 2 significant digits: ~1 % value error, ~20 KB per figure.
    Histogram::new_with_bounds(1, MAX_US, 2).expect("constant histogram bounds are valid")
}

fn summarise(kind: LatencyKind, hist: &Histogram<u64>, lost: u64) -> LatencySummary {
    let ms = |us: u64| us as f64 / 1000.0;
    let count = hist.len();
    let q = |quantile| {
        if count == 0 {
            0.0
        } else {
            ms(hist.value_at_quantile(quantile))
        }
    };
    LatencySummary {
        kind,
        count,
        p50_ms: q(0.50),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
        max_ms: if count == 0 { 0.0 } else { ms(hist.max()) },
        mean_ms: if count == 0 {
            0.0
        } else {
            hist.mean() / 1000.0
        },
        lost,
        histogram: Arc::new(hist.clone()),
    }
}

/// Zero summaries, for the snapshot published before the first tick.
pub(crate) fn empty_latencies() -> Latencies {
    let empty = new_histogram();
    Latencies {
        tcp_connect: Arc::new(summarise(LatencyKind::TcpConnect, &empty, 0)),
        playlist_fetch: Arc::new(summarise(LatencyKind::PlaylistFetch, &empty, 0)),
    }
}

/// The merged histograms (every sample since the start), and the last published summaries,
/// reused while no new sample arrives: percentiles cost a scan of the histogram, samples are rare.
#[derive(Debug)]
pub(crate) struct LatencyMerge {
    hist: [Histogram<u64>; 2],
    dirty: [bool; 2],
    retired_lost: [u64; 2],
    published: Latencies,
}

impl LatencyMerge {
    pub(crate) fn new() -> LatencyMerge {
        LatencyMerge {
            hist: [new_histogram(), new_histogram()],
            dirty: [false; 2],
            retired_lost: [0; 2],
            published: empty_latencies(),
        }
    }

    /// Moves a viewer's pending samples into the merged histograms.
    pub(crate) fn drain(&mut self, stats: &ClientStats) {
        for kind in LatencyKind::ALL {
            let hist = &mut self.hist[kind as usize];
            let n = stats.drain_latency(kind, |us| hist.saturating_record(us.min(MAX_US)));
            self.dirty[kind as usize] |= n > 0;
        }
    }

    /// Keeps a removed viewer's lost-sample count.
    pub(crate) fn add_lost(&mut self, snap: &TickValues) {
        for kind in LatencyKind::ALL {
            self.retired_lost[kind as usize] += snap.latency_lost[kind as usize];
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
            if self.dirty[i] || slot.lost != lost {
                *slot = Arc::new(summarise(kind, &self.hist[i], lost));
                self.dirty[i] = false;
            }
        }
        self.published.clone()
    }
}

//! Merging the viewers' latency samples into one figure each: a [`LatencyHistogram`] (an
//! hdrhistogram for percentiles plus the exact sum), the Prometheus bucket counts kept as samples
//! arrive, and the summaries cached until a new sample comes.

use crate::snapshot::{FigureKind, LATENCY_BUCKET_BOUNDS_US, Latencies, LatencySummary};
use hdrhistogram::Histogram;
use hls_swarm_stats::tick::{TickSource, TickValues};
use hls_swarm_stats::{LatencyKind, ViewerStats};
use std::sync::Arc;

/// Highest trackable sample: one hour, in µs.
const MAX_US: u64 = 3_600_000_000;

/// The quantiles a latency figure reports: p50, p95, p99.
pub const LATENCY_QUANTILES: [f64; 3] = [0.50, 0.95, 0.99];

/// Every sample of one latency figure: an hdrhistogram of 1 µs – 1 h at 2 significant digits
/// (~1 % value error; a longer sample is counted as one hour) and the exact sum, µs.
///
/// Its non-empty buckets ([`LatencyHistogram::pairs`]) are lossless: a histogram rebuilt from
/// them ([`LatencyHistogram::from_pairs`]) has the same count, percentiles, minimum and maximum,
/// and histograms of several runs add ([`LatencyHistogram::add`]) into the histogram of all
/// their samples, so percentiles of a merged run are recomputed, never averaged.
///
/// ```
/// use hls_swarm_aggregate::LatencyHistogram;
///
/// let mut a = LatencyHistogram::new();
/// (1..=100).for_each(|ms| a.record(ms * 1000));
/// let mut b = LatencyHistogram::from_pairs(a.pairs(), a.sum_us());
/// assert_eq!(b.quantiles_us(), a.quantiles_us());
/// b.add(&a);
/// assert_eq!((b.count(), b.sum_us()), (200, 2 * 5_050_000));
/// ```
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    sum_us: u128,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram::new()
    }
}

impl PartialEq for LatencyHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.sum_us == other.sum_us && self.hist == other.hist
    }
}

impl LatencyHistogram {
    /// No samples.
    pub fn new() -> LatencyHistogram {
        LatencyHistogram {
            hist: Histogram::new_with_bounds(1, MAX_US, 2)
                .expect("constant histogram bounds are valid"),
            sum_us: 0,
        }
    }

    /// The histogram whose non-empty buckets are `pairs` (`[value_us, count]`, as
    /// [`LatencyHistogram::pairs`] gives them) and whose exact sum is `sum_us`. A value above one
    /// hour is counted as one hour, as a live sample is.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (u64, u64)>,
        sum_us: u128,
    ) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for (value, count) in pairs {
            h.hist.saturating_record_n(value.min(MAX_US), count);
        }
        h.sum_us = sum_us;
        h
    }

    /// The same samples on a grid 16 times coarser: each moved to the top of its bucket of a
    /// 1-significant-digit hdrhistogram (16 buckets a doubling, each at most 6.25 % of its
    /// values wide; exact below 32 µs), the exact sum kept. Its percentiles read at most 6.25 %
    /// above this histogram's, never below; it holds at most 16 non-empty buckets for each
    /// doubling its samples span, however many samples there are, which is what bounds a
    /// time series point ([`LatencyHistogram::coarse`] of a coarse histogram is itself).
    ///
    /// ```
    /// use hls_swarm_aggregate::LatencyHistogram;
    ///
    /// let mut h = LatencyHistogram::new();
    /// (1_024..2_048).for_each(|us| h.record(us));
    /// let coarse = h.coarse();
    /// assert_eq!((coarse.count(), coarse.sum_us()), (h.count(), h.sum_us()));
    /// assert_eq!(coarse.pairs().len(), 16, "one doubling: 16 buckets (the fine grid has 128)");
    /// assert_eq!(coarse.coarse(), coarse);
    /// ```
    pub fn coarse(&self) -> LatencyHistogram {
        static GRID: std::sync::LazyLock<Histogram<u64>> = std::sync::LazyLock::new(|| {
            Histogram::new_with_bounds(1, MAX_US, 1).expect("constant histogram bounds are valid")
        });
        let mut coarse = LatencyHistogram::new();
        for (value, count) in self.pairs() {
            // The fine grid's buckets nest in the coarse one's (both halve the same powers of
            // two), so a fine bucket's top falls in the coarse bucket of all its samples.
            (coarse.hist).saturating_record_n(GRID.highest_equivalent(value).min(MAX_US), count);
        }
        coarse.sum_us = self.sum_us;
        coarse
    }

    /// Adds one sample, µs.
    pub fn record(&mut self, us: u64) {
        self.hist.saturating_record(us.min(MAX_US));
        self.sum_us += u128::from(us);
    }

    /// Adds every sample of `other`: the same buckets sum, and so do the exact sums.
    pub fn add(&mut self, other: &LatencyHistogram) {
        self.hist
            .add(&other.hist)
            .expect("latency histograms share one configuration, so they always add");
        self.sum_us += other.sum_us;
    }

    /// The samples of `self` that `earlier`, an earlier copy of the same figure, did not have
    /// yet: what arrived in between (bucket by bucket, and the exact sum). A bucket that
    /// `earlier` holds more of (it was not an earlier copy) counts as empty, never negative.
    ///
    /// ```
    /// use hls_swarm_aggregate::LatencyHistogram;
    ///
    /// let mut h = LatencyHistogram::new();
    /// h.record(1_000);
    /// let earlier = h.clone();
    /// h.record(5_000);
    /// h.record(5_000);
    /// let between = h.since(&earlier);
    /// assert_eq!((between.count(), between.sum_us()), (2, 10_000));
    /// assert_eq!(between.min_us(), Some(4_992));
    /// ```
    pub fn since(&self, earlier: &LatencyHistogram) -> LatencyHistogram {
        let before: std::collections::BTreeMap<u64, u64> = earlier.pairs().into_iter().collect();
        let pairs = (self.pairs().into_iter())
            .map(|(value, n)| {
                (
                    value,
                    n.saturating_sub(before.get(&value).copied().unwrap_or(0)),
                )
            })
            .filter(|&(_, n)| n > 0);
        LatencyHistogram::from_pairs(pairs, self.sum_us.saturating_sub(earlier.sum_us))
    }

    /// The non-empty buckets, ascending: `(value_us, count)`, each value the highest of its
    /// bucket (what the percentiles report).
    pub fn pairs(&self) -> Vec<(u64, u64)> {
        // An empty histogram yields nothing, but hdrhistogram's iterator finds that out by
        // walking every one of its ~3,300 buckets (about 12 µs, most of an empty replay).
        if self.count() == 0 {
            return Vec::new();
        }
        (self.hist.iter_recorded())
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    /// Samples.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Exact sum of every sample, µs.
    pub fn sum_us(&self) -> u128 {
        self.sum_us
    }

    /// p50, p95 and p99 ([`LATENCY_QUANTILES`]), µs, at the histogram's resolution; 0 with no
    /// samples.
    pub fn quantiles_us(&self) -> [u64; 3] {
        let mut quantiles = [0u64; 3];
        if self.count() > 0 {
            let values = self.hist.value_at_quantiles(LATENCY_QUANTILES);
            for (q, v) in quantiles.iter_mut().zip(values) {
                *q = v;
            }
        }
        quantiles
    }

    /// Smallest sample (the lowest value of its bucket), µs; `None` with no samples.
    pub fn min_us(&self) -> Option<u64> {
        (self.count() > 0).then(|| self.hist.min())
    }

    /// Largest sample (the highest value of its bucket), µs; `None` with no samples.
    pub fn max_us(&self) -> Option<u64> {
        (self.count() > 0).then(|| self.hist.max())
    }

    /// Exact mean, µs; `None` with no samples.
    pub fn mean_us(&self) -> Option<f64> {
        (self.count() > 0).then(|| self.sum_us as f64 / self.count() as f64)
    }
}

/// Every sample of one figure since the start.
#[derive(Debug)]
pub(crate) struct Figure {
    /// For percentiles, the extremes and the exact sum.
    pub(crate) hist: LatencyHistogram,
    /// Samples per bucket of [`LATENCY_BUCKET_BOUNDS_US`] (not cumulative), the last one above
    /// every bound: exact, not at the histogram's resolution.
    per_bucket: [u64; LATENCY_BUCKET_BOUNDS_US.len() + 1],
    /// A sample arrived since the summary was last built.
    pub(crate) dirty: bool,
}

impl Figure {
    pub(crate) fn new() -> Figure {
        Figure {
            hist: LatencyHistogram::new(),
            per_bucket: [0; LATENCY_BUCKET_BOUNDS_US.len() + 1],
            dirty: false,
        }
    }

    pub(crate) fn record(&mut self, us: u64) {
        self.hist.record(us);
        // The bounds ascend: the bucket is the number of bounds below the sample (branch-free).
        let bucket: usize = (LATENCY_BUCKET_BOUNDS_US.iter())
            .map(|&bound| usize::from(us > bound))
            .sum();
        self.per_bucket[bucket] += 1;
        self.dirty = true;
    }

    /// One pass over the histogram, for the percentiles; the rest is already counted.
    pub(crate) fn summarise(&self, kind: FigureKind, lost: u64) -> LatencySummary {
        let ms = |us: u64| us as f64 / 1000.0;
        let quantiles = self.hist.quantiles_us();
        let mut buckets = [0u64; LATENCY_BUCKET_BOUNDS_US.len()];
        let mut below = 0;
        for (cumulative, n) in buckets.iter_mut().zip(self.per_bucket) {
            below += n;
            *cumulative = below;
        }
        LatencySummary {
            kind,
            count: self.hist.count(),
            p50_ms: ms(quantiles[0]),
            p95_ms: ms(quantiles[1]),
            p99_ms: ms(quantiles[2]),
            max_ms: self.hist.max_us().map_or(0.0, ms),
            mean_ms: self.hist.mean_us().map_or(0.0, |us| us / 1000.0),
            lost,
            buckets,
            sum_us: self.hist.sum_us(),
        }
    }
}

/// The summary of a figure with no sample and none lost: what [`Figure::summarise`] gives for
/// [`Figure::new`], without building (and zeroing) a 26 KB histogram to learn it.
pub(crate) fn empty_summary(kind: FigureKind) -> LatencySummary {
    LatencySummary {
        kind,
        count: 0,
        p50_ms: 0.0,
        p95_ms: 0.0,
        p99_ms: 0.0,
        max_ms: 0.0,
        mean_ms: 0.0,
        lost: 0,
        buckets: [0; LATENCY_BUCKET_BOUNDS_US.len()],
        sum_us: 0,
    }
}

/// Zero summaries, for the snapshot published before the first tick.
pub(crate) fn empty_latencies() -> Latencies {
    Latencies {
        tcp_connect: Arc::new(empty_summary(FigureKind::Log(LatencyKind::TcpConnect))),
        playlist_fetch: Arc::new(empty_summary(FigureKind::Log(LatencyKind::PlaylistFetch))),
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

    /// A copy of one figure's histogram, as of now.
    pub(crate) fn histogram(&self, kind: LatencyKind) -> LatencyHistogram {
        self.figures[kind as usize].hist.clone()
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
                *slot = Arc::new(figure.summarise(FigureKind::Log(kind), lost));
                figure.dirty = false;
            }
        }
        self.published.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_summary_is_what_an_empty_figure_summarises_to() {
        for kind in LatencyKind::ALL {
            assert_eq!(
                format!("{:?}", empty_summary(FigureKind::Log(kind))),
                format!("{:?}", Figure::new().summarise(FigureKind::Log(kind), 0)),
            );
        }
    }
}

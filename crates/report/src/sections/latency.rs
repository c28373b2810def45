//! The latency figures ffmpeg's log can support, each saying what it measures, with the full
//! histogram its percentiles come from, so that figures of several shards merge exactly.

use std::collections::BTreeMap;

use hls_swarm_aggregate::{Aggregator, LatencyHistogram, Snapshot};
use hls_swarm_stats::{LatencyKind, TapTiming};
use serde::{Deserialize, Serialize};

use crate::text::Text;

/// One latency figure, ms: its summary and the histogram it is computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencyFigure {
    /// What is measured.
    pub measures: String,
    /// Samples.
    pub count: u64,
    /// Median, ms (0 with no samples), at the histogram's ~1 % resolution.
    pub p50: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Maximum, ms (0 with no samples, as in v1).
    pub max: f64,
    /// Minimum, ms; `None` with no samples.
    pub min: Option<f64>,
    /// Mean, ms (0 with no samples), exact.
    pub mean: f64,
    /// Exact sum of every sample, µs.
    pub sum_us: u64,
    /// Samples lost (a viewer's ring overflowed between ticks).
    pub lost: u64,
    /// The non-empty buckets of the hdrhistogram the figures come from: `[value_us, count]`,
    /// ascending (see [`LatencyHistogram::pairs`]).
    pub histogram: Vec<(u64, u64)>,
    /// The step of the clock the samples were timed with, ms, when it is coarser than the
    /// histogram: `Some(1)` for the figures from ffmpeg's log when ffmpeg stamped its lines to
    /// the millisecond (ffmpeg 6+), so that a sub-millisecond latency reads 0 or 1 ms; `None`
    /// when the samples were timed in nanoseconds (the kernel's stamps of ffmpeg's writes, the
    /// request tap's clock).
    #[serde(default)]
    pub clock_step_ms: Option<u32>,
}

impl LatencyFigure {
    /// The figure of `hist`: every summary figure is computed from it.
    pub(crate) fn from_histogram(
        measures: String,
        hist: &LatencyHistogram,
        lost: u64,
    ) -> LatencyFigure {
        let ms = |us: u64| us as f64 / 1000.0;
        let [p50, p95, p99] = hist.quantiles_us();
        LatencyFigure {
            measures,
            count: hist.count(),
            p50: ms(p50),
            p95: ms(p95),
            p99: ms(p99),
            max: hist.max_us().map_or(0.0, ms),
            min: hist.min_us().map(ms),
            mean: hist.mean_us().map_or(0.0, |us| us / 1000.0),
            sum_us: u64::try_from(hist.sum_us()).unwrap_or(u64::MAX),
            lost,
            histogram: hist.pairs(),
            clock_step_ms: None,
        }
    }

    /// The histogram this figure carries, rebuilt.
    pub fn to_histogram(&self) -> LatencyHistogram {
        LatencyHistogram::from_pairs(self.histogram.iter().copied(), u128::from(self.sum_us))
    }
}

/// What a log-derived figure's `measures` adds when ffmpeg stamped its lines to the millisecond.
const STAMPED_NOTE: &str =
    "; timed by ffmpeg's millisecond log stamps: a sub-millisecond latency reads 0 or 1 ms";

/// The figures from ffmpeg's log ([`LatencyKind::ALL`]) were timed by ffmpeg's millisecond
/// stamps: each says so, in `measures` and `clock_step_ms`.
pub(crate) fn mark_log_stamped(figures: &mut BTreeMap<String, LatencyFigure>) {
    for kind in LatencyKind::ALL {
        if let Some(figure) = figures.get_mut(kind.name()) {
            figure.measures = format!("{}{STAMPED_NOTE}", kind.meaning());
            figure.clock_step_ms = Some(1);
        }
    }
}

/// Every latency figure by name: without the request tap `tcp_connect` and `playlist_fetch`
/// from ffmpeg's log; with it the tap's `segment_ttfb`, `segment_download`, `playlist_ttfb`,
/// `playlist_download` and `upstream_connect`, which replace the log's two (see
/// [`Snapshot::log_latency`]). The aggregator's histograms, read now, and the snapshot's
/// lost-sample counts.
pub(crate) fn from_aggregator(swarm: &Aggregator, s: &Snapshot) -> BTreeMap<String, LatencyFigure> {
    let mut figures: BTreeMap<String, LatencyFigure> = (LatencyKind::ALL.iter())
        .filter_map(|&k| {
            let summary = s.log_latency(k)?;
            let hist = swarm.latency_histogram(k)?;
            let figure = LatencyFigure::from_histogram(k.meaning().to_owned(), &hist, summary.lost);
            Some((k.name().to_owned(), figure))
        })
        .collect();
    if let Some(tap) = &s.tap {
        for timing in TapTiming::ALL {
            if let Some(hist) = swarm.tap_histogram(timing) {
                let figure = LatencyFigure::from_histogram(
                    timing.meaning().to_owned(),
                    &hist,
                    tap.timing(timing).lost,
                );
                figures.insert(timing.name().to_owned(), figure);
            }
        }
    }
    figures
}

/// The figures of several summaries: by name, histograms added (the same buckets sum) and every
/// figure recomputed from the sum; lost samples add; the clock step is the coarsest (its
/// `measures` is that of a shard with that step).
pub(crate) fn merge<'a>(
    parts: impl IntoIterator<Item = &'a BTreeMap<String, LatencyFigure>>,
) -> BTreeMap<String, LatencyFigure> {
    let mut sums: BTreeMap<String, (String, LatencyHistogram, u64, Option<u32>)> = BTreeMap::new();
    for figures in parts {
        for (name, figure) in figures {
            let (measures, hist, lost, step) = sums.entry(name.clone()).or_insert_with(|| {
                let measures = figure.measures.clone();
                (measures, LatencyHistogram::new(), 0, figure.clock_step_ms)
            });
            hist.add(&figure.to_histogram());
            *lost += figure.lost;
            if figure.clock_step_ms > *step {
                *step = figure.clock_step_ms;
                measures.clone_from(&figure.measures);
            }
        }
    }
    (sums.into_iter())
        .map(|(name, (measures, hist, lost, step))| {
            let mut figure = LatencyFigure::from_histogram(measures, &hist, lost);
            figure.clock_step_ms = step;
            (name, figure)
        })
        .collect()
}

/// The "Latency" section: what each figure measures, then its percentiles; through the request
/// tap, a line saying why ffmpeg's own figures are not there.
pub(crate) fn render(figures: &BTreeMap<String, LatencyFigure>, text: &mut Text) {
    text.section("Latency (ms)");
    let tap = figures.contains_key(TapTiming::UpstreamConnect.name());
    if tap
        && !LatencyKind::ALL
            .iter()
            .any(|k| figures.contains_key(k.name()))
    {
        text.line(
            "  (timed by the request tap; ffmpeg's own tcp_connect and playlist_fetch are left \
             out: through the tap they would time its loopback connect to it)",
        );
    }
    for (name, l) in figures {
        text.line(&format!("  {name}: {}", l.measures));
        if l.count == 0 {
            text.row("", "no samples");
            continue;
        }
        let lost = if l.lost > 0 {
            format!(", {} lost", l.lost)
        } else {
            String::new()
        };
        text.row(
            "",
            &format!(
                "p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} samples{lost})",
                l.p50, l.p95, l.p99, l.max, l.count,
            ),
        );
    }
}

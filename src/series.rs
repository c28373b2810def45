//! The run's time series while it goes: the recorder the ticker feeds after every tick, shared
//! with the dashboard (its trends) and the end of the run (the summary's `timeseries`), and
//! the `--abort-on-fail` watch over its last 30 seconds.

use std::sync::{Arc, Mutex, MutexGuard};

use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_metrics::OriginSnapshot;
use hls_swarm_report::{OriginFigures, SeriesRecorder, Threshold, TimeSeries, WindowBreach};

/// The window `--abort-on-fail` judges a threshold over, seconds after the ramp has finished.
pub const ABORT_WINDOW_S: f64 = 30.0;

/// The recorder behind a lock: the ticker writes once a tick, the dashboard reads the closed
/// points a few times a second, and the end of the run takes the series.
#[derive(Clone, Default)]
pub struct SharedSeries(Arc<Mutex<Option<SeriesRecorder>>>);

impl SharedSeries {
    /// A recorder with no point yet.
    pub fn new() -> SharedSeries {
        SharedSeries(Arc::new(Mutex::new(Some(SeriesRecorder::new()))))
    }

    fn lock(&self) -> MutexGuard<'_, Option<SeriesRecorder>> {
        // A panic while recording leaves points that are still valid.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a tick.
    pub fn observe(&self, s: &Snapshot, swarm: &Aggregator, origin: Option<OriginFigures>) {
        if let Some(recorder) = self.lock().as_mut() {
            recorder.observe(s, swarm, origin);
        }
    }

    /// Reads the points closed so far.
    pub fn read<T>(&self, f: impl FnOnce(&TimeSeries) -> T) -> Option<T> {
        self.lock().as_ref().map(|r| f(r.series()))
    }

    /// The whole series, the final snapshot closing it; `None` if it was already taken.
    pub fn finish(
        &self,
        s: &Snapshot,
        swarm: &Aggregator,
        origin: Option<OriginFigures>,
    ) -> Option<TimeSeries> {
        let recorder = self.lock().take()?;
        Some(recorder.finish(s, swarm, origin))
    }
}

/// The origin's exporter figures as the report holds them.
pub fn origin_figures(o: &OriginSnapshot) -> OriginFigures {
    OriginFigures {
        cpu_percent: o.cpu_percent,
        memory_used_bytes: o.memory_used_bytes,
        memory_total_bytes: o.memory_total_bytes,
        net_rx_bytes_per_s: o.net_rx_bytes_per_s,
        net_tx_bytes_per_s: o.net_tx_bytes_per_s,
        nginx_connections_active: o.nginx_connections_active,
        nginx_requests_per_s: o.nginx_requests_per_s,
        scrape_errors: o.error_text(),
    }
}

/// `--abort-on-fail`: the first threshold to cross its limit over the last
/// [`ABORT_WINDOW_S`] of the series after the ramp finished.
#[derive(Debug, Default)]
pub struct AbortWatch {
    thresholds: Vec<Threshold>,
    /// When the ramp had launched every viewer, seconds since the run started.
    ramp_done_s: Option<f64>,
    /// The breach that stopped the run, by the threshold's index.
    breach: Option<(usize, WindowBreach)>,
}

impl AbortWatch {
    /// Watches `thresholds`.
    pub fn new(thresholds: Vec<Threshold>) -> AbortWatch {
        AbortWatch {
            thresholds,
            ..AbortWatch::default()
        }
    }

    /// Judges the series after a tick; `ramp_done` once every viewer was launched, at `now_s`.
    /// Returns the breach the first time one is found.
    pub fn check(
        &mut self,
        series: &TimeSeries,
        ramp_done: bool,
        now_s: f64,
    ) -> Option<(usize, WindowBreach)> {
        if self.breach.is_some() || !ramp_done {
            return None;
        }
        let ramp_done_s = *self.ramp_done_s.get_or_insert(now_s);
        let end = series.points.last()?.end_s();
        if end - ramp_done_s < ABORT_WINDOW_S {
            return None;
        }
        let from = end - ABORT_WINDOW_S;
        let window: Vec<_> = (series.points.iter())
            .filter(|p| p.t_s >= from - 1e-9)
            .cloned()
            .collect();
        let found = (self.thresholds.iter().enumerate())
            .find_map(|(i, t)| t.breach(&window).map(|b| (i, b)));
        self.breach = found;
        found
    }

    /// The breach that stopped the run, if one did.
    pub fn breach(&self) -> Option<(usize, WindowBreach)> {
        self.breach
    }
}

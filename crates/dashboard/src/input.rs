//! What the binary hands the dashboard each frame: the snapshot plus run facts the aggregate does not hold.

use hls_swarm_aggregate::{Rates, Snapshot, ViewerRow};
use std::sync::Arc;
use std::time::Duration;

/// Everything one frame (or one plain-mode status line) is drawn from. Rendering is a pure
/// function of this and the [`crate::ViewState`].
#[derive(Debug, Clone)]
pub struct DashboardInput {
    /// The latest aggregate snapshot ([`hls_swarm_aggregate::Aggregator::snapshot`]).
    pub snapshot: Arc<Snapshot>,
    /// The origin's own figures, when an origin scraper is configured.
    pub origin: Option<OriginView>,
    /// How long the run is meant to last (`--duration`); `None` runs until stopped.
    pub duration: Option<Duration>,
    /// Where the Prometheus exporter listens (e.g. `http://127.0.0.1:9090/metrics`), if it does.
    pub metrics_addr: Option<String>,
    /// Rates over a few seconds ([`crate::RateWindow`]), steadier than the snapshot's one-tick
    /// rates. `None` shows the snapshot's; [`crate::run_dashboard`] fills it itself when `None`.
    pub smoothed_rates: Option<Rates>,
    /// One row per viewer for the per-viewer table, in any order
    /// ([`hls_swarm_aggregate::Aggregator::viewer_rows`]). Only read while the table is shown,
    /// so a source may leave it empty otherwise ([`crate::run_dashboard`] tells it the view).
    pub viewer_rows: Vec<ViewerRow>,
    /// The run so far, point by point, for the trends panel; `None` leaves the panel out.
    pub trends: Option<Trends>,
}

/// The run so far as the trends panel draws it: one value per point of the run's time series
/// (oldest first; the panel shows the newest that fit), all of one length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trends {
    /// Seconds each point spans (1, more once a long run's series was coarsened).
    pub resolution_s: u32,
    /// The most viewers running at one tick of the point.
    pub running: Vec<u64>,
    /// Requests sent per second over the point, rounded.
    pub requests_per_s: Vec<u64>,
    /// HTTP errors per second over the point, rounded up (one error is never drawn as none).
    pub errors_per_s: Vec<u64>,
    /// The most viewers stalled at one tick of the point.
    pub stalled: Vec<u64>,
    /// This machine's CPU busy, % of its capacity (mean of the point's samples); `None` where
    /// it was not sampled.
    pub host_cpu_percent: Vec<Option<u64>>,
}

impl DashboardInput {
    /// An input with only a snapshot: no origin panel, no duration, no metrics address, no
    /// per-viewer rows.
    pub fn new(snapshot: Arc<Snapshot>) -> DashboardInput {
        DashboardInput {
            snapshot,
            origin: None,
            duration: None,
            metrics_addr: None,
            smoothed_rates: None,
            viewer_rows: Vec::new(),
            trends: None,
        }
    }

    /// The rates to show: the smoothed ones if given, else the snapshot's.
    pub fn rates(&self) -> Rates {
        self.smoothed_rates.unwrap_or(self.snapshot.rates)
    }

    /// Viewers the ramp has launched: the ramp's own figure, or the viewers that have started a
    /// process if that is larger (a binary that never reports the ramp still shows progress).
    pub fn launched(&self) -> u64 {
        let v = &self.snapshot.viewers;
        u64::from(v.ramp_launched).max(v.started)
    }
}

/// The origin server's figures as the dashboard shows them; the binary converts its scraper's
/// reading into this. Every figure is optional: a missing one is drawn as `-`, not as zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OriginView {
    /// CPU busy over the last scrape interval, percent of all cores (0–100).
    pub cpu_percent: Option<f64>,
    /// Memory in use, bytes.
    pub memory_used_bytes: Option<u64>,
    /// Memory installed, bytes.
    pub memory_total_bytes: Option<u64>,
    /// Network receive rate, bytes per second.
    pub net_in_bytes_per_s: Option<f64>,
    /// Network transmit rate, bytes per second.
    pub net_out_bytes_per_s: Option<f64>,
    /// nginx's active connections.
    pub nginx_connections: Option<u64>,
    /// nginx's requests per second.
    pub nginx_requests_per_s: Option<f64>,
    /// Why the last scrape failed; when set the panel shows only this line.
    pub error: Option<String>,
}

/// What the user asked for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRequest {
    /// `q` or the first Ctrl-C: stop the viewers cleanly, then print the summary.
    Graceful,
    /// A second Ctrl-C: stop now (kill the process groups without waiting out the grace period).
    Immediate,
}

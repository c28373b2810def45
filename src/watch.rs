//! Watching a run while it goes: the live dashboard on a terminal, else plain status lines
//! (a ramp-up progress bar, then one line every few seconds).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hls_swarm_aggregate::Aggregator;
use hls_swarm_dashboard::{
    DashboardInput, Mode, OriginView, RateWindow, StatusFormat, StopRequest, Trends, ViewState,
    ramp_progress_bar, run_dashboard, status_line,
};
use hls_swarm_metrics::{OriginScraperHandle, OriginSnapshot};
use hls_swarm_report::TimeSeries;
use tokio::sync::watch;

use crate::cli::{LogFormat, SwarmArgs};
use crate::log::Log;
use crate::series::SharedSeries;
use crate::stop::{StopCause, Stopper};

/// How to watch.
pub struct WatchOptions {
    /// Draw the dashboard (stdout is a terminal and `--no-tui` was not given).
    pub dashboard: bool,
    /// Status line interval in plain mode.
    pub every: Duration,
    /// Text or JSON status lines.
    pub format: LogFormat,
    /// The run's duration, if bounded.
    pub duration: Option<Duration>,
    /// Where `/metrics` is served.
    pub metrics_url: Option<String>,
    /// The origin's exporters, when scraped.
    pub origin: Option<OriginScraperHandle>,
    /// Our own log, muted while the dashboard owns the terminal.
    pub log: Log,
    /// The time series so far, for the dashboard's trends.
    pub series: SharedSeries,
}

impl WatchOptions {
    /// From the run's flags.
    pub fn from_args(
        args: &SwarmArgs,
        log: Log,
        metrics_url: Option<String>,
        origin: Option<OriginScraperHandle>,
        series: SharedSeries,
    ) -> Self {
        WatchOptions {
            dashboard: !args.no_tui && std::io::stdout().is_terminal(),
            every: args.status_interval,
            format: args.log_format,
            duration: (!args.duration.is_zero()).then_some(args.duration),
            metrics_url,
            origin,
            log,
            series,
        }
    }
}

/// Watches until `done` turns true. Stop requests from the dashboard go to `stopper`.
pub async fn watch_run(
    aggregator: Arc<Aggregator>,
    options: WatchOptions,
    stopper: Stopper,
    done: watch::Receiver<bool>,
) {
    if options.dashboard {
        options.log.set_muted(true);
        let result = dashboard(&aggregator, &options, &stopper, done.clone()).await;
        options.log.set_muted(false);
        if let Err(e) = result {
            options.log.warn(
                "dashboard_failed",
                &[
                    ("error", e.to_string()),
                    ("fallback", "plain status lines".to_owned()),
                ],
            );
            plain(&aggregator, &options, done).await;
        }
    } else {
        plain(&aggregator, &options, done).await;
    }
}

fn input(aggregator: &Aggregator, options: &WatchOptions, view: &ViewState) -> DashboardInput {
    let mut input = DashboardInput::new(aggregator.snapshot());
    if view.mode == Mode::Viewers {
        // Read only while the table is shown: ticks do not build per-viewer rows.
        input.viewer_rows = aggregator.viewer_rows(Instant::now());
    }
    input.duration = options.duration;
    input.metrics_addr.clone_from(&options.metrics_url);
    input.origin = options.origin.as_ref().map(|o| origin_view(&o.load()));
    if options.dashboard {
        input.trends = options.series.read(trends).flatten();
    }
    input
}

/// The most points the dashboard's trends are given: more than a terminal is wide.
const TREND_POINTS: usize = 400;

/// The newest points of the series as the dashboard's trends; `None` before the first point.
fn trends(series: &TimeSeries) -> Option<Trends> {
    let points = &series.points[series.points.len().saturating_sub(TREND_POINTS)..];
    if points.is_empty() {
        return None;
    }
    let per_s = |n: u64, span: f64, up: bool| {
        let v = if span > 0.0 { n as f64 / span } else { 0.0 };
        (if up { v.ceil() } else { v.round() }) as u64
    };
    Some(Trends {
        resolution_s: series.resolution_s,
        running: points.iter().map(|p| p.viewers.running).collect(),
        requests_per_s: (points.iter())
            .map(|p| per_s(p.requests.total(), p.span_s, false))
            .collect(),
        errors_per_s: (points.iter())
            .map(|p| per_s(p.http_error_count(), p.span_s, true))
            .collect(),
        stalled: points.iter().map(|p| p.viewers.stalled).collect(),
        host_cpu_percent: (points.iter())
            .map(|p| p.host.and_then(|h| h.cpu_percent).map(|c| c.round() as u64))
            .collect(),
    })
}

async fn dashboard(
    aggregator: &Arc<Aggregator>,
    options: &WatchOptions,
    stopper: &Stopper,
    mut done: watch::Receiver<bool>,
) -> Result<(), hls_swarm_dashboard::DashboardError> {
    let source = |view: &ViewState| input(aggregator, options, view);
    let on_stop = |request: StopRequest| match request {
        StopRequest::Graceful => {
            stopper.request(StopCause::User);
        }
        StopRequest::Immediate => stopper.kill(StopCause::User),
    };
    let finished = async move {
        let _ = done.wait_for(|d| *d).await;
    };
    run_dashboard(source, on_stop, finished).await
}

/// Plain mode: a progress bar line while ramping up, then a status line every `every`.
async fn plain(
    aggregator: &Arc<Aggregator>,
    options: &WatchOptions,
    mut done: watch::Receiver<bool>,
) {
    let format = match options.format {
        LogFormat::Text => StatusFormat::Text,
        LogFormat::Json => StatusFormat::Json,
    };
    let mut rates = RateWindow::default();
    let mut ramp_tick = tokio::time::interval(Duration::from_secs(1));
    let mut status_tick = tokio::time::interval(options.every);
    status_tick.tick().await;
    let mut last_launched = None;
    loop {
        tokio::select! {
            _ = done.wait_for(|d| *d) => return,
            _ = ramp_tick.tick() => {
                let s = aggregator.snapshot();
                rates.observe(&s);
                let (launched, target) = (u64::from(s.viewers.ramp_launched), u64::from(s.viewers.target));
                // Ramp-up progress: one bar line each time more viewers are launched.
                if options.format == LogFormat::Text && last_launched != Some(launched) {
                    last_launched = Some(launched);
                    let _ = writeln!(std::io::stderr().lock(), "{}", ramp_progress_bar(launched, target, 30));
                }
            }
            _ = status_tick.tick() => {
                let mut input = input(aggregator, options, &ViewState::default());
                input.smoothed_rates = Some(rates.observe(&input.snapshot));
                let _ = writeln!(std::io::stderr().lock(), "{}", status_line(&input, format));
            }
        }
    }
}

/// The dashboard's view of the origin's exporter figures.
pub fn origin_view(o: &OriginSnapshot) -> OriginView {
    OriginView {
        cpu_percent: o.cpu_percent,
        memory_used_bytes: o.memory_used_bytes,
        memory_total_bytes: o.memory_total_bytes,
        net_in_bytes_per_s: o.net_rx_bytes_per_s,
        net_out_bytes_per_s: o.net_tx_bytes_per_s,
        nginx_connections: o.nginx_connections_active,
        nginx_requests_per_s: o.nginx_requests_per_s,
        error: o.error_text(),
    }
}

//! The supervision session of a run: everything that runs while the swarm does (the segment
//! sizes, the origin scraper, `/metrics`, the aggregator ticker, signal handling, the
//! deadline, the watcher), started around the swarm and stopped once every viewer is reaped.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_metrics::{
    Exporter, ExporterOptions, MetricsServer, NetDevices, OriginScraper, OriginScraperConfig,
    OriginScraperHandle, OriginSnapshot, OriginTask, PER_VIEWER_WARN_ABOVE,
};
use hls_swarm_report::{FfmpegSummary, TimeSeries, WindowBreach};
use hls_swarm_stats::SegmentSizeLookup;
use hls_swarm_supervise::{
    Capabilities, EndCheck, FfmpegConfig, Launch, LineTiming, RampGate, StopLevel, Swarm,
    SwarmCounters, SwarmOptions,
};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cli::{MetricsAddr, SwarmArgs};
use crate::distributed::RunPlan;
use crate::end_check::PlaylistEnd;
use crate::exit::{Exit, Failure};
use crate::host_watch::HostWatch;
use crate::log::Log;
use crate::observer::Observer;
use crate::request_tap::RunTap;
use crate::series::{AbortWatch, SharedSeries, origin_figures};
use crate::sizes::{SegmentSizes, SizeRefresher};
use crate::stop::{StopCause, Stopper};
use crate::watch::{WatchOptions, watch_run};

/// How often the aggregator publishes a snapshot.
pub const TICK: Duration = Duration::from_millis(500);

/// What a finished session hands to the report.
pub struct Outcome {
    /// The final snapshot, taken after every process was reaped.
    pub snapshot: Arc<Snapshot>,
    /// The aggregator that took it, for what the report reads on demand (latency histograms).
    pub aggregator: Arc<Aggregator>,
    /// How the run ended.
    pub stopped_by: StopCause,
    /// The origin's own figures at the end, when its exporters were scraped.
    pub origin_metrics: Option<Arc<OriginSnapshot>>,
    /// Where `/metrics` was served.
    pub metrics_url: Option<String>,
    /// When the swarm (its first viewer) was started.
    pub started_at: SystemTime,
    /// When the final snapshot was taken.
    pub ended_at: SystemTime,
    /// How late past `--start-at` the swarm started (`None` without `--start-at`).
    pub start_late: Option<Duration>,
    /// CPU the request tap's threads used, when the run had the tap.
    pub tap_cpu: Option<Duration>,
    /// The run second by second.
    pub series: Option<TimeSeries>,
    /// The ffmpeg the viewers ran, as the capability probe found it.
    pub ffmpeg: FfmpegSummary,
    /// With `--abort-on-fail`, the threshold (its index in `--threshold`) that stopped the run
    /// and its figure over the window.
    pub abort_breach: Option<(usize, WindowBreach)>,
}

/// Starts the swarm and everything that watches it; returns when every process is reaped.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
pub async fn supervise(
    mut config: FfmpegConfig,
    caps: Capabilities,
    args: SwarmArgs,
    sizes_url: Option<String>,
    with_tap: bool,
    plan: &RunPlan,
    log: Log,
) -> Result<Outcome> {
    let started = Instant::now();
    let shard_viewers = plan.shard.viewers(args.viewers);
    let aggregator = Arc::new(Aggregator::new(config.url.clone(), shard_viewers, started));
    let tap = if with_tap {
        let tap = RunTap::start(&config.effective_url(), plan.shard, shard_viewers, &log)?;
        config.http_proxy = Some(tap.proxy_url());
        aggregator.attach_tap(Arc::clone(tap.stats()));
        Some(tap)
    } else {
        None
    };
    let mut background = Vec::new();
    let sizes = match sizes_url {
        Some(url) => Some(start_segment_sizes(url, &log, &mut background).await?),
        None => None,
    };
    let origin = start_origin_scraper(&args, &log)?;
    let metrics = start_metrics(
        &args,
        &aggregator,
        origin.as_ref().map(OriginTask::handle),
        plan,
        &log,
    )
    .await?;
    let observer = Arc::new(Observer::new(Arc::clone(&aggregator), sizes, log.clone()));
    let ramp_gate = RampGate::new();
    let host = HostWatch::start(ramp_gate.clone(), args.max_ramp_hold, &log);
    let options = SwarmOptions {
        viewers: args.viewers,
        shard: plan.shard,
        ramp_rate: args.ramp_rate,
        ramp_jitter: args.ramp_jitter,
        stop_grace: args.stop_grace,
        ramp_gate,
        // With the tap timing every request, the log's line times need only be as good as
        // the stall and drift figures: pipes read in batches, several times cheaper.
        line_timing: if tap.is_some() {
            LineTiming::Batched
        } else {
            LineTiming::Exact
        },
        end_check: PlaylistEnd::new(&config).map(|check| Arc::new(check) as Arc<dyn EndCheck>),
        // Without a fork: main() starts with trampoline_if_asked.
        launch: Launch::this_executable(),
        ..SwarmOptions::default()
    };
    let ffmpeg = ffmpeg_summary(&caps);
    // Installed before the wait for --start-at, so that a Ctrl-C or SIGTERM at any time (a pod
    // stopped while waiting) is never the default, fatal, summary-less one.
    let mut signals = install_signal_handlers()?;
    let series = SharedSeries::new();
    // Everything above is ready: the wait for --start-at ends right before the first viewer.
    let waited = tokio::select! {
        late = plan.wait_for_start(&log) => Some(late?),
        () = next_signal(&mut signals) => None,
    };
    let ran = match waited {
        Some(start_late) => {
            let run = SwarmRun {
                aggregator: Arc::clone(&aggregator),
                shard_viewers,
                host,
                series: series.clone(),
                origin: origin.as_ref().map(OriginTask::handle),
                metrics_url: metrics.as_ref().map(MetricsServer::metrics_url),
            };
            Some(
                run.run(
                    config, caps, observer, options, &args, signals, &log, start_late,
                )
                .await?,
            )
        }
        None => {
            log.warn(
                "stopped_before_start",
                &[(
                    "why",
                    "a signal came while waiting for --start-at: no viewer was started".to_owned(),
                )],
            );
            None
        }
    };
    // Every viewer is reaped: nothing more comes through the tap.
    let tap_cpu = match tap {
        Some(tap) => Some(tap.stop().await),
        None => None,
    };
    for task in background {
        task.abort();
    }
    let snapshot = aggregator.tick(Instant::now());
    let ended_at = SystemTime::now();
    let origin_metrics = origin.as_ref().map(|o| o.handle().load());
    let series = series.finish(
        &snapshot,
        &aggregator,
        origin_metrics.as_deref().map(origin_figures),
    );
    if let Some(task) = origin {
        task.shutdown().await;
    }
    let metrics_url = metrics.as_ref().map(MetricsServer::metrics_url);
    if let Some(server) = metrics {
        linger(&args, &log).await;
        let _ = server.shutdown().await;
    }
    let (started_at, stopped_by, start_late, abort_breach) = match ran {
        Some(r) => (r.started_at, r.stopped_by, r.start_late, r.abort_breach),
        None => (ended_at, StopCause::BeforeStart, None, None),
    };
    Ok(Outcome {
        snapshot,
        aggregator,
        stopped_by,
        origin_metrics,
        metrics_url,
        started_at,
        ended_at,
        start_late,
        tap_cpu,
        series,
        ffmpeg,
        abort_breach,
    })
}

/// What the swarm's part of a session needs besides the swarm itself.
struct SwarmRun {
    aggregator: Arc<Aggregator>,
    shard_viewers: u32,
    host: Option<HostWatch>,
    series: SharedSeries,
    origin: Option<OriginScraperHandle>,
    metrics_url: Option<String>,
}

/// How the swarm's part of a session ended.
struct SwarmEnd {
    started_at: SystemTime,
    stopped_by: StopCause,
    start_late: Option<Duration>,
    abort_breach: Option<(usize, WindowBreach)>,
}

impl SwarmRun {
    /// Starts the swarm, the ticker, the signal handler, the deadline and the watcher; returns
    /// once every viewer is reaped and the watcher is done.
    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
    async fn run(
        self,
        config: FfmpegConfig,
        caps: Capabilities,
        observer: Arc<Observer>,
        options: SwarmOptions,
        args: &SwarmArgs,
        signals: (Signal, Signal),
        log: &Log,
        start_late: Option<Duration>,
    ) -> Result<SwarmEnd> {
        let started_at = SystemTime::now();
        let mut swarm = Swarm::start(config, caps, observer, options)
            .map_err(|e| Failure::from_error(Exit::Config, e))?;
        let stopper = Stopper::new(swarm.stop_handle());
        let (done_tx, done_rx) = watch::channel(false);
        let abort = (args.abort_on_fail).then(|| {
            Arc::new(std::sync::Mutex::new(AbortWatch::new(
                args.thresholds.clone(),
            )))
        });
        let mut background = vec![
            spawn_ticker(
                Ticker {
                    aggregator: Arc::clone(&self.aggregator),
                    counters: Arc::clone(swarm.counters()),
                    viewers: self.shard_viewers,
                    host: self.host,
                    series: self.series.clone(),
                    origin: self.origin.clone(),
                    abort: abort.as_ref().map(|a| (Arc::clone(a), stopper.clone())),
                },
                done_rx.clone(),
            ),
            spawn_signal_handler(signals, stopper.clone(), log.clone()),
        ];
        if !args.duration.is_zero() {
            background.push(spawn_deadline(args.duration, stopper.clone()));
        }
        let watcher = tokio::spawn(watch_run(
            Arc::clone(&self.aggregator),
            WatchOptions::from_args(
                args,
                log.clone(),
                self.metrics_url,
                self.origin,
                self.series,
            ),
            stopper.clone(),
            done_rx,
        ));
        swarm.wait().await;
        let _ = done_tx.send(true);
        let _ = watcher.await;
        for task in background {
            task.abort();
        }
        // A hold the stop ended is counted by now.
        (self.aggregator).set_ramp_held(swarm.counters().snapshot().ramp_held);
        let abort_breach = abort.and_then(|a| a.lock().unwrap_or_else(|p| p.into_inner()).breach());
        Ok(SwarmEnd {
            started_at,
            // Nothing asked the swarm to stop, yet every viewer is over: each one's stream ended.
            stopped_by: stopper.cause().unwrap_or(StopCause::StreamEnded),
            start_late,
            abort_breach,
        })
    }
}

/// What the summary says of the ffmpeg the viewers ran: its version, whether it stamps its log
/// lines (then the latencies from its log are timed to 1 ms), the options it lacks.
fn ffmpeg_summary(caps: &Capabilities) -> FfmpegSummary {
    FfmpegSummary {
        versions: caps.version.iter().map(|v| v.raw.clone()).collect(),
        log_stamps_ms: caps.loglevel_datetime,
        options_missing: (caps.missing_options().into_iter())
            .map(str::to_owned)
            .collect(),
    }
}

/// With `--metrics-linger D`, keeps serving the final figures for D, so a Prometheus server
/// scrapes them once more before hls-swarm exits.
async fn linger(args: &SwarmArgs, log: &Log) {
    if args.metrics_linger.is_zero() {
        return;
    }
    log.info(
        "metrics_linger",
        &[(
            "for",
            humantime::format_duration(args.metrics_linger).to_string(),
        )],
    );
    tokio::time::sleep(args.metrics_linger).await;
}

/// Loads the segment-size listing once, before the first viewer starts (so its first segments
/// can be sized too), then refreshes it every second in the background.
async fn start_segment_sizes(
    url: String,
    log: &Log,
    background: &mut Vec<JoinHandle<()>>,
) -> Result<Arc<dyn SegmentSizeLookup>> {
    let table = Arc::new(SegmentSizes::default());
    let mut refresher = SizeRefresher::new(url, Arc::clone(&table), log.clone())
        .context("cannot build an HTTP client for --segment-sizes-url")?;
    refresher.refresh().await;
    background.push(tokio::spawn(refresher.run(Duration::from_secs(1))));
    Ok(table)
}

/// What the ticker drives: the aggregator, the host watch, the time series and, with
/// `--abort-on-fail`, the watch of the thresholds and the stopper it may call.
struct Ticker {
    aggregator: Arc<Aggregator>,
    counters: Arc<SwarmCounters>,
    viewers: u32,
    host: Option<HostWatch>,
    series: SharedSeries,
    origin: Option<OriginScraperHandle>,
    abort: Option<(Arc<std::sync::Mutex<AbortWatch>>, Stopper)>,
}

/// The aggregator tick: one snapshot every [`TICK`] until `done`, each after a sample of the
/// host (which may hold or release the ramp), then recorded in the time series (and judged by
/// `--abort-on-fail`); readers never block.
fn spawn_ticker(mut t: Ticker, mut done: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = done.changed() => break,
            }
            let counts = t.counters.snapshot();
            if let Some(host) = &mut t.host {
                host.tick(&t.aggregator, &counts);
            }
            t.aggregator
                .set_ramp_launched(t.viewers.saturating_sub(counts.waiting_ramp));
            let snapshot = t.aggregator.tick(Instant::now());
            let origin = t.origin.as_ref().map(|o| origin_figures(&o.load()));
            t.series.observe(&snapshot, &t.aggregator, origin);
            if let Some((watch, stopper)) = &t.abort {
                let ramp_done = counts.waiting_ramp == 0;
                let now_s = snapshot.elapsed.as_secs_f64();
                let breach = t.series.read(|series| {
                    let mut watch = watch.lock().unwrap_or_else(|p| p.into_inner());
                    watch.check(series, ramp_done, now_s)
                });
                if breach.flatten().is_some() {
                    stopper.request(StopCause::Threshold);
                }
            }
        }
    })
}

/// SIGINT and SIGTERM, caught from now on.
fn install_signal_handlers() -> Result<(Signal, Signal)> {
    Ok((
        signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
    ))
}

/// The next SIGINT or SIGTERM.
async fn next_signal((int, term): &mut (Signal, Signal)) {
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}

/// The first SIGINT/SIGTERM stops gracefully, the second kills.
fn spawn_signal_handler(
    mut signals: (Signal, Signal),
    stopper: Stopper,
    log: Log,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            next_signal(&mut signals).await;
            let how = match stopper.request(StopCause::User) {
                StopLevel::Graceful => "gracefully: SIGINT to every ffmpeg; Ctrl-C again to kill",
                _ => "now: SIGKILL",
            };
            log.info("stopping", &[("how", how.to_owned())]);
        }
    })
}

/// Stops the run once `--duration` has elapsed.
fn spawn_deadline(duration: Duration, stopper: Stopper) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(duration).await;
        stopper.request(StopCause::Duration);
    })
}

/// Serves `/metrics` from the published snapshots, unless `--metrics off`.
async fn start_metrics(
    args: &SwarmArgs,
    aggregator: &Arc<Aggregator>,
    origin: Option<OriginScraperHandle>,
    plan: &RunPlan,
    log: &Log,
) -> Result<Option<MetricsServer>, Failure> {
    let MetricsAddr::On(addr) = args.metrics else {
        return Ok(None);
    };
    // This process exports its own viewers only: its shard's share of --clients.
    let viewers = plan.shard.viewers(args.viewers);
    if args.per_viewer_metrics && viewers > PER_VIEWER_WARN_ABOVE {
        log.warn(
            "per_client_metrics_costly",
            &[(
                "why",
                format!(
                    "{viewers} viewers x ~7 series each: expect large scrapes; consider dropping --per-client-metrics"
                ),
            )],
        );
    }
    let options = ExporterOptions {
        variant: format!("{:?}", args.variant).to_lowercase(),
        per_viewer: args.per_viewer_metrics,
        origin,
        labels: plan.metric_labels(),
        ..ExporterOptions::default()
    };
    let exporter = Exporter::new(Arc::clone(aggregator), options);
    let server = hls_swarm_metrics::serve(addr, exporter)
        .await
        .map_err(|e| Failure::from_error(Exit::Config, e))?;
    log.info("metrics", &[("url", server.metrics_url())]);
    Ok(Some(server))
}

/// Scrapes the origin's node_exporter / nginx exporter when asked to.
fn start_origin_scraper(args: &SwarmArgs, log: &Log) -> Result<Option<OriginTask>, Failure> {
    let mut config = match &args.origin_metrics_host {
        Some(host) => OriginScraperConfig::from_host(host),
        None => OriginScraperConfig::new(None, None),
    };
    if let Some(url) = &args.origin_metrics {
        config.node_url = Some(url.clone());
    }
    if let Some(url) = &args.nginx_metrics {
        config.nginx_url = Some(url.clone());
    }
    if config.node_url.is_none() && config.nginx_url.is_none() {
        return Ok(None);
    }
    config.interval = args.origin_metrics_interval;
    config.net_devices = match args.origin_net_devices.as_str() {
        "except-lo" => NetDevices::ExceptLoopback,
        "all" => NetDevices::All,
        list => NetDevices::Only(
            list.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
    };
    let scraper = OriginScraper::new(config)
        .map_err(|e| Failure::caused_by(Exit::Config, "origin metrics", e))?;
    log.info(
        "origin_metrics",
        &[(
            "every",
            humantime::format_duration(args.origin_metrics_interval).to_string(),
        )],
    );
    Ok(Some(scraper.spawn()))
}

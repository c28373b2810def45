//! `hls-swarm run`: validate, probe ffmpeg and the target, supervise the swarm, watch it,
//! stop it cleanly, and print the summary.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hls_swarm_aggregate::{Aggregator, Snapshot, Summary};
use hls_swarm_metrics::{
    Exporter, ExporterOptions, MetricsServer, NetDevices, OriginScraper, OriginScraperConfig,
    OriginScraperHandle, OriginSnapshot, OriginTask, PER_VIEWER_WARN_ABOVE,
};
use hls_swarm_stats::{Counter, SegmentSizeLookup};
use hls_swarm_supervise::{
    Capabilities, FfmpegConfig, Header, StopLevel, Swarm, SwarmOptions, Variant, ffprobe_for,
    probe, probe_variants,
};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::cli::{MetricsAddr, ProbeFailurePolicy, RunArgs, SwarmArgs, VariantChoice};
use crate::exit::{Exit, Failure, fail};
use crate::limits;
use crate::log::Log;
use crate::observer::Observer;
use crate::selfusage::SelfUsage;
use crate::sizes::{SegmentSizes, SizeRefresher};
use crate::target::{preflight, validate_url};
use crate::watch::{WatchOptions, watch_run};

/// How often the aggregator publishes a snapshot.
pub const TICK: Duration = Duration::from_millis(500);

/// `hls-swarm run`.
pub async fn run(args: RunArgs) -> Result<Exit> {
    let mut swarm_args = args.swarm.clone();
    if args.check {
        // One viewer, ten seconds, every event logged, then a verdict.
        swarm_args.viewers = 1;
        swarm_args.duration = Duration::from_secs(10);
        swarm_args.no_tui = true;
    }
    let log = Log::new(swarm_args.log_format, swarm_args.verbose || args.check);
    // Without a URL (allowed with --print-cmd) the command shows a placeholder.
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| "http://ORIGIN/stream.m3u8".to_owned());
    if args.url.is_some() {
        validate_url(&url)?;
    }
    let mut config = ffmpeg_config(&swarm_args, &url)?;
    let caps = probe_ffmpeg(&swarm_args.ffmpeg).await?;
    if args.print_cmd {
        println!("{}", config.display_command(&caps, 0));
        return Ok(Exit::Ok);
    }
    let target = validate_url(&url)?;
    if !args.skip_preflight {
        preflight_target(&target, &config, &swarm_args, &log).await?;
        limits::check(swarm_args.viewers, &log);
    }
    pick_program(&mut config, &swarm_args, &log).await?;

    let sizes_url = swarm_args.segment_sizes_url.clone();
    let outcome = supervise(config, caps, swarm_args.clone(), sizes_url, log.clone()).await?;
    report(&outcome, &swarm_args, args.check)
}

/// Fetches the playlist once, as a viewer would: unreachable or not HLS is exit code 6.
async fn preflight_target(
    target: &reqwest::Url,
    config: &FfmpegConfig,
    swarm_args: &SwarmArgs,
    log: &Log,
) -> Result<(), Failure> {
    let url = target.as_str();
    let header_pairs: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect();
    let info = preflight(
        target,
        &format!("{}/preflight", swarm_args.user_agent),
        &header_pairs,
        config.resolve,
        swarm_args.timeout.min(Duration::from_secs(10)),
    )
    .await?;
    if let Some(info) = &info
        && !info.variants.is_empty()
    {
        log.info(
            "target_ok",
            &[
                ("url", url.to_owned()),
                ("variants", info.variants.len().to_string()),
            ],
        );
    }
    Ok(())
}

/// What a finished run hands to the report.
pub struct Outcome {
    /// The final snapshot, taken after every process was reaped.
    pub snapshot: Arc<Snapshot>,
    /// How the run ended.
    pub stopped_by: StopCause,
    /// The origin's own figures at the end, when its exporters were scraped.
    pub origin_metrics: Option<Arc<OriginSnapshot>>,
    /// Where `/metrics` was served.
    pub metrics_url: Option<String>,
}

/// Why the run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// `--duration` elapsed.
    Duration,
    /// SIGINT / SIGTERM / `q`.
    User,
}

/// Builds each viewer's ffmpeg configuration from the flags; a bad flag value is a config error.
pub fn ffmpeg_config(args: &SwarmArgs, url: &str) -> Result<FfmpegConfig, Failure> {
    if args.resolve.is_some() && !args.dangerous {
        return Err(Failure::new(
            Exit::Config,
            "--resolve sends traffic to an address the URL does not name and turns off TLS verification: add --dangerous if that is what you want",
        ));
    }
    let mut config = FfmpegConfig::new(url);
    config.ffmpeg = args.ffmpeg.clone();
    config.user_agent = args.user_agent.clone();
    config.no_cache = args.no_cache;
    config.resolve = args.resolve;
    config.timeout = args.timeout;
    config.reconnect = !args.no_reconnect;
    config.reconnect_delay_max =
        u32::try_from(args.reconnect_delay_max.as_secs().max(1)).unwrap_or(u32::MAX);
    config.seg_max_retry = args.seg_retry;
    config.variant = match args.variant {
        VariantChoice::All => Variant::All,
        VariantChoice::First => Variant::First,
        VariantChoice::Highest => Variant::Highest,
        VariantChoice::Lowest => Variant::Lowest,
    };
    for line in &args.headers {
        let header = Header::parse(line)
            .map_err(|e| Failure::new(Exit::Config, format!("--header {line:?}: {e}")))?;
        config.headers.push(header);
    }
    config
        .validate()
        .map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    Ok(config)
}

/// Finds out what the installed ffmpeg accepts; a missing or unusable one is exit code 4.
pub async fn probe_ffmpeg(ffmpeg: &Path) -> Result<Capabilities, Failure> {
    // Every probe error's message already says what happened and what to do.
    probe(ffmpeg)
        .await
        .map_err(|e| Failure::new(Exit::Ffmpeg, e.to_string()))
}

/// For `--variant highest|lowest`: asks ffprobe for the master playlist's programs.
async fn pick_program(config: &mut FfmpegConfig, args: &SwarmArgs, log: &Log) -> Result<()> {
    if !matches!(config.variant, Variant::Highest | Variant::Lowest) {
        return Ok(());
    }
    let ffprobe = ffprobe_for(&args.ffmpeg);
    let picked = probe_variants(&ffprobe, config, Duration::from_secs(30))
        .await
        .map_err(|e| e.to_string())
        .and_then(|programs| {
            config
                .variant
                .select(&programs)
                .ok_or_else(|| "the master playlist lists no programs".to_owned())
        });
    match (picked, args.probe_failure_policy) {
        (Ok(id), _) => {
            config.program_id = Some(id);
            log.info("variant_selected", &[("program_id", id.to_string())]);
        }
        (Err(e), ProbeFailurePolicy::Fail) => {
            return Err(fail(
                Exit::Target,
                format!(
                    "cannot find the {:?} variant: {e} (or pass --probe-failure-policy fallback)",
                    args.variant
                ),
            ));
        }
        (Err(e), ProbeFailurePolicy::Fallback) => {
            log.warn(
                "variant_probe_failed",
                &[("error", e), ("using", "the first variant".to_owned())],
            );
            config.variant = Variant::First;
        }
    }
    Ok(())
}

/// Starts the swarm and everything that watches it; returns when every process is reaped.
pub async fn supervise(
    config: FfmpegConfig,
    caps: Capabilities,
    args: SwarmArgs,
    sizes_url: Option<String>,
    log: Log,
) -> Result<Outcome> {
    let started = Instant::now();
    let aggregator = Arc::new(Aggregator::new(config.url.clone(), args.viewers, started));
    let mut background = Vec::new();
    let sizes: Option<Arc<dyn SegmentSizeLookup>> = match sizes_url {
        Some(url) => {
            let table = Arc::new(SegmentSizes::default());
            let mut refresher = SizeRefresher::new(url, Arc::clone(&table), log.clone())
                .context("cannot build an HTTP client for --segment-sizes-url")?;
            // Before the first viewer starts, so its first segments can be sized too.
            refresher.refresh().await;
            background.push(tokio::spawn(refresher.run(Duration::from_secs(1))));
            Some(table)
        }
        None => None,
    };
    let origin = start_origin_scraper(&args, &log)?;
    let metrics = start_metrics(
        &args,
        &aggregator,
        origin.as_ref().map(OriginTask::handle),
        &log,
    )
    .await?;
    let observer = Arc::new(Observer::new(Arc::clone(&aggregator), sizes, log.clone()));
    let options = SwarmOptions {
        viewers: args.viewers,
        ramp_rate: args.ramp_rate,
        ramp_jitter: args.ramp_jitter,
        stop_grace: args.stop_grace,
        channel_capacity: args.stats_buffer as usize,
        ..SwarmOptions::default()
    };
    // Installed before the first viewer starts, so an early Ctrl-C is never the default
    // (fatal, summary-less) SIGINT.
    let signals = (
        signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
    );
    let mut swarm = Swarm::start(config, caps, observer, options)
        .map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let stop = swarm.stop_handle();
    let counters = Arc::clone(swarm.counters());

    // The aggregator tick: one snapshot every TICK, readers never block.
    let (done_tx, done_rx) = watch::channel(false);
    {
        let aggregator = Arc::clone(&aggregator);
        let counters = Arc::clone(&counters);
        let viewers = args.viewers;
        let mut done = done_rx.clone();
        background.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(TICK);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = done.changed() => break,
                }
                let waiting = counters.snapshot().waiting_ramp;
                aggregator.set_ramp_launched(viewers.saturating_sub(waiting));
                aggregator.tick(Instant::now());
            }
        }));
    }

    // Signals: the first SIGINT/SIGTERM stops gracefully, the second kills.
    let (cause_tx, mut cause_rx) = watch::channel(None::<StopCause>);
    {
        let stop = stop.clone();
        let cause_tx = cause_tx.clone();
        let log = log.clone();
        background.push(tokio::spawn(async move {
            let (mut int, mut term) = signals;
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                cause_tx.send_if_modified(|c| c.replace(StopCause::User).is_none());
                match stop.stop() {
                    StopLevel::Graceful => log.info(
                        "stopping",
                        &[(
                            "how",
                            "gracefully: SIGINT to every ffmpeg; Ctrl-C again to kill".to_owned(),
                        )],
                    ),
                    _ => log.info("stopping", &[("how", "now: SIGKILL".to_owned())]),
                }
            }
        }));
    }

    // The duration.
    if !args.duration.is_zero() {
        let stop = stop.clone();
        let cause_tx = cause_tx.clone();
        let duration = args.duration;
        background.push(tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            cause_tx.send_if_modified(|c| c.replace(StopCause::Duration).is_none());
            stop.stop();
        }));
    }

    // Watching: dashboard or plain status lines, until the swarm is done.
    let watcher = tokio::spawn(watch_run(
        Arc::clone(&aggregator),
        WatchOptions::from_args(
            &args,
            log.clone(),
            metrics.as_ref().map(MetricsServer::metrics_url),
            origin.as_ref().map(OriginTask::handle),
        ),
        stop.clone(),
        cause_tx.clone(),
        done_rx.clone(),
    ));

    swarm.wait().await;
    let _ = done_tx.send(true);
    let _ = watcher.await;
    for task in background {
        task.abort();
    }
    let snapshot = aggregator.tick(Instant::now());
    let stopped_by = cause_rx.borrow_and_update().unwrap_or(StopCause::User);
    let origin_metrics = origin.as_ref().map(|o| o.handle().load());
    if let Some(task) = origin {
        task.shutdown().await;
    }
    let metrics_url = metrics.as_ref().map(MetricsServer::metrics_url);
    if let Some(server) = metrics {
        let _ = server.shutdown().await;
    }
    Ok(Outcome {
        snapshot,
        stopped_by,
        origin_metrics,
        metrics_url,
    })
}

/// Serves `/metrics` from the published snapshots, unless `--metrics off`.
async fn start_metrics(
    args: &SwarmArgs,
    aggregator: &Arc<Aggregator>,
    origin: Option<OriginScraperHandle>,
    log: &Log,
) -> Result<Option<MetricsServer>, Failure> {
    let MetricsAddr::On(addr) = args.metrics else {
        return Ok(None);
    };
    if args.per_viewer_metrics && args.viewers > PER_VIEWER_WARN_ABOVE {
        log.warn(
            "per_client_metrics_costly",
            &[(
                "why",
                format!(
                    "{} viewers x ~7 series each: expect large scrapes; consider dropping --per-client-metrics",
                    args.viewers
                ),
            )],
        );
    }
    let options = ExporterOptions {
        variant: format!("{:?}", args.variant).to_lowercase(),
        per_viewer: args.per_viewer_metrics,
        origin,
        ..ExporterOptions::default()
    };
    let exporter = Exporter::new(Arc::clone(aggregator), options);
    let server = hls_swarm_metrics::serve(addr, exporter)
        .await
        .map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
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
        .map_err(|e| Failure::new(Exit::Config, format!("origin metrics: {e}")))?;
    log.info(
        "origin_metrics",
        &[(
            "every",
            humantime::format_duration(args.origin_metrics_interval).to_string(),
        )],
    );
    Ok(Some(scraper.spawn()))
}

/// Whether the swarm fetched at least one media segment without an HTTP error.
pub fn measured_something(snapshot: &Snapshot) -> bool {
    let c = &snapshot.totals.counters;
    c.get(Counter::SegmentRequests) > c.get(Counter::HttpErrorsSegment)
}

/// Prints the summary, writes the JSON, and chooses the exit code.
pub fn report(outcome: &Outcome, args: &SwarmArgs, check: bool) -> Result<Exit> {
    let summary = Summary::from_snapshot(&outcome.snapshot);
    println!("{}", summary.render_text());
    if let Some(origin) = &outcome.origin_metrics {
        println!("{}", origin_section(origin));
    }
    match outcome.stopped_by {
        StopCause::Duration => println!("Stopped: --duration elapsed."),
        StopCause::User => println!("Stopped: on request (Ctrl-C, SIGTERM or q)."),
    }
    if let Some(url) = &outcome.metrics_url {
        println!("Metrics were served at {url}");
    }
    let usage = SelfUsage::now();
    if let Some(u) = usage {
        println!(
            "hls-swarm itself (not its viewers): {:.1} s CPU, {:.1} MB peak RSS",
            u.cpu_s,
            u.peak_rss_bytes as f64 / 1e6
        );
    }
    if let Some(path) = &args.summary_json {
        let mut json: serde_json::Value =
            serde_json::from_str(&summary.to_json()).context("summary JSON")?;
        if let (Some(obj), Some(u)) = (json.as_object_mut(), usage) {
            obj.insert("self".into(), serde_json::to_value(u)?);
        }
        if let (Some(obj), Some(o)) = (json.as_object_mut(), &outcome.origin_metrics) {
            obj.insert(
                "origin".into(),
                serde_json::json!({
                    "cpu_percent": o.cpu_percent,
                    "memory_used_bytes": o.memory_used_bytes,
                    "net_rx_bytes_per_s": o.net_rx_bytes_per_s,
                    "net_tx_bytes_per_s": o.net_tx_bytes_per_s,
                    "nginx_connections_active": o.nginx_connections_active,
                    "nginx_requests_per_s": o.nginx_requests_per_s,
                }),
            );
        }
        std::fs::write(path, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("cannot write the summary to {}", path.display()))?;
        eprintln!("hls-swarm: summary written to {}", path.display());
    }
    let measured = measured_something(&outcome.snapshot);
    if check {
        return Ok(check_verdict(&outcome.snapshot, measured));
    }
    if !measured {
        eprintln!(
            "hls-swarm: the run measured nothing: no viewer fetched a media segment{}",
            last_error_hint(&outcome.snapshot)
        );
        return Ok(Exit::NothingMeasured);
    }
    Ok(Exit::Ok)
}

fn last_error_hint(snapshot: &Snapshot) -> String {
    snapshot
        .exits
        .iter()
        .find_map(|e| e.last_error.as_ref())
        .map(|e| format!(" (ffmpeg said: {e})"))
        .unwrap_or_default()
}

/// `--check`'s plain verdict.
fn check_verdict(snapshot: &Snapshot, measured: bool) -> Exit {
    let c = &snapshot.totals.counters;
    if measured {
        println!(
            "check: the stream plays: {} segments and {} playlists fetched in {:.0} s, mean speed {:.2}x",
            c.get(Counter::SegmentRequests),
            c.get(Counter::ManifestRequests),
            snapshot.elapsed.as_secs_f64(),
            snapshot.playback.speed_mean,
        );
        Exit::Ok
    } else {
        println!(
            "check: the stream does NOT play: no media segment was fetched{}",
            last_error_hint(snapshot)
        );
        Exit::NothingMeasured
    }
}

/// The origin's own figures at the end of the run, from its exporters.
fn origin_section(o: &OriginSnapshot) -> String {
    fn opt(v: Option<f64>, unit: &str, scale: f64) -> String {
        v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.1} {unit}", v / scale))
    }
    let mut out = String::from("Origin (from its exporters, at the end of the run)\n");
    out += &format!("  {:<22} {}\n", "cpu", opt(o.cpu_percent, "%", 1.0));
    let mem = match (o.memory_used_bytes, o.memory_total_bytes) {
        (Some(u), Some(t)) => format!("{:.1} of {:.1} GB", u as f64 / 1e9, t as f64 / 1e9),
        _ => "n/a".to_owned(),
    };
    out += &format!("  {:<22} {mem}\n", "memory used");
    out += &format!(
        "  {:<22} {}\n",
        "network in",
        opt(o.net_rx_bytes_per_s, "MB/s", 1e6)
    );
    out += &format!(
        "  {:<22} {}\n",
        "network out",
        opt(o.net_tx_bytes_per_s, "MB/s", 1e6)
    );
    out += &format!(
        "  {:<22} {}\n",
        "nginx connections",
        o.nginx_connections_active
            .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0}"))
    );
    out += &format!(
        "  {:<22} {}\n",
        "nginx requests",
        opt(o.nginx_requests_per_s, "req/s", 1.0)
    );
    if let Some(err) = o.error_text() {
        out += &format!("  {:<22} {err}\n", "scrape errors");
    }
    out
}

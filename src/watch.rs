//! Watching a run while it goes: plain status lines (the dashboard comes later in this file's life).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_stats::Counter;
use hls_swarm_supervise::StopHandle;
use tokio::sync::watch;

use crate::cli::{LogFormat, SwarmArgs};
use crate::log::Log;
use crate::run::StopCause;

/// How to watch.
pub struct WatchOptions {
    /// Status line interval.
    pub every: Duration,
    /// Text or JSON lines.
    pub format: LogFormat,
    /// Where our own warnings go.
    pub log: Log,
}

impl WatchOptions {
    /// From the run's flags.
    pub fn from_args(args: &SwarmArgs, log: Log) -> Self {
        WatchOptions {
            every: args.status_interval,
            format: args.log_format,
            log,
        }
    }
}

/// Prints a status line every `every` until `done` turns true.
pub async fn watch_run(
    aggregator: Arc<Aggregator>,
    options: WatchOptions,
    _stop: StopHandle,
    _cause: watch::Sender<Option<StopCause>>,
    mut done: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(options.every);
    every.tick().await;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = done.changed() => return,
        }
        let snapshot = aggregator.snapshot();
        let line = status_line(&snapshot, options.format);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// One status line.
pub fn status_line(s: &Snapshot, format: LogFormat) -> String {
    let c = &s.totals.counters;
    let (bytes, _) = s.totals.bytes();
    match format {
        LogFormat::Text => format!(
            "[{:>6.0}s] viewers {}/{} ({} restarting) | requests {} ({:.1}/s) | segments {} ({:.1}/s) | playlists {} | HTTP errors {} | stalled {} | {:.1} MB | lines dropped {}",
            s.elapsed.as_secs_f64(),
            s.viewers.active,
            s.viewers.target,
            s.viewers.restarting,
            c.total_requests(),
            s.rates.requests_per_s,
            c.get(Counter::SegmentRequests),
            s.rates.segment_per_s,
            c.get(Counter::ManifestRequests),
            c.get(Counter::HttpErrors),
            s.playback.stalled,
            bytes as f64 / 1e6,
            s.pipeline.lines_dropped(),
        ),
        LogFormat::Json => serde_json::json!({
            "msg": "status",
            "elapsed_s": s.elapsed.as_secs_f64(),
            "active": s.viewers.active,
            "target": s.viewers.target,
            "restarting": s.viewers.restarting,
            "requests": c.total_requests(),
            "requests_per_s": s.rates.requests_per_s,
            "segments": c.get(Counter::SegmentRequests),
            "segments_per_s": s.rates.segment_per_s,
            "manifests": c.get(Counter::ManifestRequests),
            "http_errors": c.get(Counter::HttpErrors),
            "stalled": s.playback.stalled,
            "bytes": bytes,
            "lines_dropped": s.pipeline.lines_dropped(),
        })
        .to_string(),
    }
}

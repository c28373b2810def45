//! The request tap of a run: whether it runs, starting it before the first viewer, counting
//! its records per viewer (into `hls_swarm_stats::TapStats`), and stopping it after the last.

use std::sync::Arc;
use std::time::Duration;

use hls_swarm_report::{Threshold, refuse_with_tap, refuse_without_tap};
use hls_swarm_stats::{TapRequest, TapStats};
use hls_swarm_supervise::{Capabilities, Shard, is_https};
use hls_swarm_tap::{Failure as TapFailure, RequestRecord, Tap, TapConfig, TapObserver};

use crate::cli::TapChoice;
use crate::exit::{Exit, Failure};
use crate::log::Log;

/// How long the tap lets requests in flight finish after the last viewer was reaped (none
/// should be left: a reaped ffmpeg has closed its connections).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Whether this run can go through the tap, from the flag and the URL alone (before ffmpeg is
/// probed): not with `--tap off`, nor for an https:// stream.
pub fn possible(choice: TapChoice, url: &str) -> bool {
    choice != TapChoice::Off && !is_https(url)
}

/// Refuses thresholds on the tap's figures when the run goes without the tap (exit 2, as any
/// threshold that cannot be checked).
pub fn refuse_thresholds(thresholds: &[Threshold], with_tap: bool) -> Result<(), Failure> {
    refuse_without_tap(thresholds, with_tap).map_err(|e| Failure::new(Exit::Usage, e.to_string()))
}

/// Refuses, once it is known whether the run goes through the tap, thresholds on the figures
/// it cannot have: the tap's without it, ffmpeg's own timing with it.
pub fn refuse_unmeasured(thresholds: &[Threshold], with_tap: bool) -> Result<(), Failure> {
    refuse_thresholds(thresholds, with_tap)?;
    refuse_with_tap(thresholds, with_tap).map_err(|e| Failure::new(Exit::Usage, e.to_string()))
}

/// Whether this run goes through the tap: `auto` is on for http:// and off for https://; `on`
/// for an https:// stream, or with an ffmpeg that has no `-http_proxy`, is refused.
pub fn wanted(choice: TapChoice, url: &str, caps: &Capabilities) -> Result<bool, Failure> {
    let https = is_https(url);
    match choice {
        TapChoice::Off => Ok(false),
        TapChoice::Auto => Ok(!https && caps.http_proxy),
        TapChoice::On if https => Err(Failure::new(
            Exit::Config,
            "--tap on times http:// streams only (an https:// stream's requests would pass \
             through it encrypted, untimed): use --tap off or --tap auto for this stream",
        )),
        TapChoice::On if !caps.http_proxy => Err(Failure::new(
            Exit::Config,
            "--tap on needs ffmpeg's -http_proxy option, which this ffmpeg does not list: use \
             --tap off, or another ffmpeg (--ffmpeg PATH)",
        )),
        TapChoice::On => Ok(true),
    }
}

/// A running tap and what it counts.
pub struct RunTap {
    tap: Tap,
    stats: Arc<TapStats>,
}

impl RunTap {
    /// Starts the tap for `url` on its own threads, counting this shard's viewers.
    pub fn start(url: &str, shard: Shard, viewers: u32, log: &Log) -> Result<RunTap, Failure> {
        let stats = Arc::new(TapStats::for_shard(
            viewers as usize,
            shard.index,
            shard.count,
        ));
        let sink = Arc::new(Sink {
            stats: Arc::clone(&stats),
        });
        let tap = Tap::start(TapConfig::new(url), sink).map_err(|e| {
            Failure::caused_by(
                Exit::Config,
                "cannot start the request tap (try --tap off)",
                e,
            )
        })?;
        log.info("request_tap", &[("proxy", tap.proxy_url())]);
        Ok(RunTap { tap, stats })
    }

    /// The `-http_proxy` URL the viewers are given.
    pub fn proxy_url(&self) -> String {
        self.tap.proxy_url()
    }

    /// What the tap counts, for the aggregator.
    pub fn stats(&self) -> &Arc<TapStats> {
        &self.stats
    }

    /// Stops the tap once every viewer is reaped; returns the CPU its threads used.
    pub async fn stop(self) -> Duration {
        let cpu = self.tap.cpu_time();
        self.tap.shutdown(SHUTDOWN_GRACE).await;
        cpu
    }
}

/// Hands each of the tap's records to the viewer's [`TapStats`].
struct Sink {
    stats: Arc<TapStats>,
}

impl TapObserver for Sink {
    fn on_request(&self, record: &RequestRecord) {
        let Some(status) = record.status else {
            // No response reached the viewer: the origin refused or dropped the connection,
            // and ffmpeg saw a closed connection, as it would have without the tap.
            self.stats
                .record_failure(record.failure == Some(TapFailure::Connect));
            return;
        };
        let request = TapRequest {
            kind: record.kind,
            status,
            body_bytes: record.body_bytes,
            ttfb: record.ttfb.unwrap_or_default(),
            download: record.download.unwrap_or_default(),
            upstream_connect: record.connect,
            truncated: record.truncated,
            media_duration: record.segment_duration,
        };
        self.stats.record(
            record.viewer.and_then(|id| self.stats.index_of(id)),
            &request,
        );
    }
}

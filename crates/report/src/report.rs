//! The [`Report`]: every section of the end-of-run report in one serde type, and the text
//! rendering that calls each section in turn.

use std::collections::BTreeMap;
use std::time::SystemTime;

use hls_swarm_aggregate::{Aggregator, Snapshot};
use serde::{Deserialize, Serialize};

use crate::sections::ffmpeg::FfmpegSummary;
use crate::sections::host::HostSummary;
use crate::sections::latency::LatencyFigure;
use crate::sections::origin::OriginFigures;
use crate::sections::pipeline::PipelineTotals;
use crate::sections::playback::{self, PlaybackTotals};
use crate::sections::requests::{self, ByteTotals, RequestTotals};
use crate::sections::run::{IdentityRows, RunIdentity, ShardId, rfc3339};
use crate::sections::self_usage::SelfUsage;
use crate::sections::tap::{self, LateSegments, TapSummary};
use crate::sections::thresholds::{self, ThresholdResult};
use crate::sections::timeseries::TimeSeries;
use crate::sections::variants::{self, VariantTotals};
use crate::sections::viewers::{self, ViewerTotals};
use crate::sections::{events, latency};
use crate::text::Text;

/// The schema name written in every report.
pub const SCHEMA: &str = "hls-swarm.summary.v2";

/// The schema before latency histograms and run identities: it cannot be merged.
pub(crate) const SCHEMA_V1: &str = "hls-swarm.summary.v1";

/// The end-of-run report: `serde_json::to_string(&report)` gives schema `hls-swarm.summary.v2`
/// (`docs/summary.v2.schema.json` describes every key and how [`crate::merge`] combines it), and
/// it deserializes back.
///
/// To add a section: a module under `sections/` with its figures (a `Serialize` +
/// `Deserialize` type), how they are read off the snapshot, how several merge and how they
/// render; then one field here, one line in [`Report::from_aggregator`] (or a `with_…` setter
/// for figures from outside the snapshot), one in [`crate::merge`], one in
/// [`Report::render_text`], and its keys in the JSON Schema.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The stream URL.
    pub url: String,
    /// The `--run-id` shared by every shard of the run, when known.
    pub run_id: Option<String>,
    /// Which shard this summary is, when the run was sharded (`None` for a merge).
    pub shard: Option<ShardId>,
    /// How many shard summaries this one is: 1 for a run, the number merged for a merge.
    pub shards: u32,
    /// Shards a merge went without (`--allow-missing`), by index; empty otherwise.
    pub missing_shards: Vec<u32>,
    /// Keys (`viewers.peak_active`, …) whose figure is an upper bound, not exact: in a merge,
    /// peaks summed over shards; empty for a run.
    pub upper_bounds: Vec<String>,
    /// When the run started (wall clock), when known.
    #[serde(with = "rfc3339")]
    pub started_at: Option<SystemTime>,
    /// When the run ended (wall clock), when known.
    #[serde(with = "rfc3339")]
    pub ended_at: Option<SystemTime>,
    /// How late after `--start-at` the run started, seconds, when it had one.
    pub start_late_s: Option<f64>,
    /// Target viewers.
    #[serde(rename = "clients")]
    pub target_viewers: u32,
    /// Run duration, seconds.
    pub duration_s: f64,
    /// Requests by kind.
    pub requests: RequestTotals,
    /// HTTP errors by status code (`other` for codes outside 400–599).
    pub http_errors: BTreeMap<String, u64>,
    /// Bytes.
    pub bytes: ByteTotals,
    /// Viewers.
    pub viewers: ViewerTotals,
    /// Playback.
    pub playback: PlaybackTotals,
    /// Latency figures by name (`tcp_connect`, `playlist_fetch`), ms, with their histograms.
    pub latency_ms: BTreeMap<String, LatencyFigure>,
    /// Other error events by counter name (`reconnects`, `segments_skipped`, …).
    pub events: BTreeMap<String, u64>,
    /// Per-variant totals.
    pub variants: Vec<VariantTotals>,
    /// Line transport.
    pub pipeline: PipelineTotals,
    /// What hls-swarm itself cost, when measured.
    #[serde(rename = "self", default, skip_serializing_if = "Option::is_none")]
    pub self_usage: Option<SelfUsage>,
    /// The origin's own figures, when its exporters were scraped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<OriginFigures>,
    /// The machine hls-swarm ran on, when it was sampled (absent in a replay and in summaries
    /// written before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostSummary>,
    /// What the request tap measured, when the run had one (then `requests`, `http_errors` and
    /// `bytes` are the tap's too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<TapSummary>,
    /// Segments that took longer to download than they play, when the request tap timed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_segments: Option<LateSegments>,
    /// The requests counted from ffmpeg's log, kept beside the tap's when the run had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_from_log: Option<RequestTotals>,
    /// The ffmpeg the viewers ran, when known (absent in a replay and in summaries written
    /// before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ffmpeg: Option<FfmpegSummary>,
    /// The run second by second, when it was recorded (absent in a replay and in summaries
    /// written before it was added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeseries: Option<TimeSeries>,
    /// The thresholds checked on this summary, each with its measured value and verdict; empty
    /// when none was given.
    #[serde(default)]
    pub thresholds: Vec<ThresholdResult>,
}

impl Report {
    /// The report of a run: `s` is its (final) snapshot, and `swarm` the aggregator that took
    /// it, whose full latency histograms the report carries (read now: call this after the
    /// final tick). The run's identity, hls-swarm's own cost and the origin's figures are added
    /// with [`Report::with_run`], [`Report::with_self_usage`] and [`Report::with_origin`].
    pub fn from_aggregator(swarm: &Aggregator, s: &Snapshot) -> Report {
        let log_requests = RequestTotals::from_snapshot(s);
        let (requests, http_errors, requests_from_log) = match &s.tap {
            Some(figures) => (
                tap::requests(figures, s),
                tap::http_errors(figures),
                Some(log_requests),
            ),
            None => (log_requests, requests::http_errors(s), None),
        };
        Report {
            schema: SCHEMA.to_owned(),
            url: s.run.url.clone(),
            run_id: None,
            shard: None,
            shards: 1,
            missing_shards: Vec::new(),
            upper_bounds: Vec::new(),
            started_at: None,
            ended_at: None,
            start_late_s: None,
            target_viewers: s.run.target_viewers,
            duration_s: s.elapsed.as_secs_f64(),
            requests,
            http_errors,
            bytes: ByteTotals::from_snapshot(s),
            viewers: ViewerTotals::from_snapshot(s),
            playback: PlaybackTotals::from_snapshot(s),
            latency_ms: latency::from_aggregator(swarm, s),
            events: events::from_snapshot(s),
            variants: variants::from_snapshot(s),
            pipeline: PipelineTotals::from_snapshot(s),
            self_usage: None,
            origin: None,
            host: HostSummary::from_snapshot(s),
            tap: s.tap.as_deref().map(TapSummary::from_figures),
            late_segments: s.tap.as_deref().map(tap::late_segments),
            requests_from_log,
            ffmpeg: None,
            timeseries: None,
            thresholds: Vec::new(),
        }
    }

    /// With the run's time series ([`crate::SeriesRecorder::finish`]).
    pub fn with_timeseries(mut self, series: Option<TimeSeries>) -> Report {
        self.timeseries = series;
        self
    }

    /// Whether a threshold failed (or stopped the run).
    pub fn thresholds_failed(&self) -> bool {
        self.thresholds.iter().any(|t| !t.passed)
    }

    /// With the run's identity: its run id, shard, start and end times and lateness.
    pub fn with_run(mut self, run: RunIdentity) -> Report {
        self.run_id = run.run_id;
        self.shard = run.shard;
        self.started_at = Some(run.started_at);
        self.ended_at = Some(run.ended_at);
        self.start_late_s = run.start_late.map(|d| d.as_secs_f64());
        self
    }

    /// With what hls-swarm itself cost.
    pub fn with_self_usage(mut self, usage: Option<SelfUsage>) -> Report {
        self.self_usage = usage;
        self
    }

    /// With the ffmpeg the viewers ran; when it stamped its log lines, the figures taken from
    /// its log say that they were timed to the millisecond ([`Report::with_log_stamps`]).
    pub fn with_ffmpeg(mut self, ffmpeg: FfmpegSummary) -> Report {
        if ffmpeg.log_stamps_ms {
            self = self.with_log_stamps();
        }
        self.ffmpeg = Some(ffmpeg);
        self
    }

    /// The figures taken from ffmpeg's log were timed by its millisecond `datetime` stamps (a
    /// live run of ffmpeg 6+, or a replay of a stamped capture): each says so, in `measures`
    /// and `clock_step_ms`.
    pub fn with_log_stamps(mut self) -> Report {
        latency::mark_log_stamped(&mut self.latency_ms);
        self
    }

    /// With the origin's own figures.
    pub fn with_origin(mut self, origin: Option<OriginFigures>) -> Report {
        self.origin = origin;
        self
    }

    /// Whether the figure at `key` (`viewers.peak_active`, …) is an upper bound, not exact.
    pub fn is_upper_bound(&self, key: &str) -> bool {
        self.upper_bounds.iter().any(|k| k == key)
    }

    /// The report as pretty JSON, a histogram's buckets one a line ([`crate::to_json_pretty`]).
    pub fn to_json(&self) -> String {
        crate::to_json_pretty(self)
    }

    /// The report as compact JSON on one line (no newline): what a log's last line carries,
    /// which [`Report::from_json`] reads back.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a report always serialises")
    }

    /// The report for humans: aligned, a unit on every number, one section after another.
    pub fn render_text(&self) -> String {
        let mut text = Text::default();
        self.render_header(&mut text);
        thresholds::render(&self.thresholds, &mut text);
        self.requests
            .render(&self.bytes, self.tap.is_some(), &mut text);
        requests::render_http_errors(&self.http_errors, &mut text);
        if let Some(tap) = &self.tap {
            tap.render(
                &self.requests,
                self.requests_from_log.as_ref(),
                self.late_segments.as_ref(),
                &mut text,
            );
        } else if self
            .url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            text.line(
                "  (no request tap for an https:// stream: requests are counted from ffmpeg's log, \
                 and no segment is timed)",
            );
        }
        events::render(&self.events, &mut text);
        (self.viewers).render(self.is_upper_bound(viewers::PEAK_ACTIVE), &mut text);
        (self.playback).render(self.is_upper_bound(playback::BELOW_REALTIME), &mut text);
        latency::render(&self.latency_ms, &mut text);
        variants::render(&self.variants, &mut text);
        self.pipeline.render(&mut text);
        if let Some(origin) = &self.origin {
            origin.render(&mut text);
        }
        if let Some(host) = &self.host {
            host.render(self.viewers.stalled, self.shards > 1, &mut text);
        }
        if let Some(usage) = &self.self_usage {
            usage.render(&mut text);
        }
        text.finish()
    }

    /// The title (and the merge it is), the dropped-lines warning when lines were dropped, what
    /// was run and which run it was.
    fn render_header(&self, text: &mut Text) {
        let identity = IdentityRows {
            run_id: self.run_id.as_deref(),
            shard: self.shard,
            shards: self.shards,
            missing_shards: &self.missing_shards,
            started_at: self.started_at,
            ended_at: self.ended_at,
            start_late_s: self.start_late_s,
        };
        let rule = "=".repeat(64);
        text.line(&format!(
            "{rule}\nhls-swarm summary{}\n{rule}",
            identity.title_suffix()
        ));
        self.pipeline.render_warning(text);
        text.row("url", &self.url);
        if let Some(ffmpeg) = &self.ffmpeg {
            ffmpeg.render(text);
        }
        identity.render(text);
        text.row("duration", &format!("{:.1} s", self.duration_s));
        text.row(
            "viewers (target)",
            &format!("{} viewers", self.target_viewers),
        );
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render_text())
    }
}

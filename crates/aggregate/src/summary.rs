//! The exit `Summary` (JSON schema `hls-swarm.summary.v1`) and its text rendering.

use crate::snapshot::{LatencySummary, Snapshot};
use hls_swarm_stats::{Counter, LatencyKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The schema name written in every summary.
pub const SCHEMA: &str = "hls-swarm.summary.v1";

/// Requests by kind, counted from the `request: GET …` lines (one per request on the wire).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequestTotals {
    /// Playlists (master and media, loads and reloads).
    pub manifest: u64,
    /// Media segments.
    pub segment: u64,
    /// Init sections.
    pub init: u64,
    /// Anything else.
    pub other: u64,
    /// All of them.
    pub total: u64,
    /// Requests per second over the whole run.
    pub per_s: f64,
}

/// Downloaded bytes and where the figure came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ByteTotals {
    /// Bytes from `source` (0 when `source` is `none`: unknown, not zero).
    pub total: u64,
    /// `segment-sizes`, `avio-statistics` or `none`.
    pub source: &'static str,
    /// Bytes per second over the whole run.
    pub per_s: f64,
    /// The AVIO-statistics figure, whatever the source.
    pub avio_statistics: u64,
    /// The segment-size figure, whatever the source.
    pub segment_sizes: u64,
}

/// One kind of exit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExitDetail {
    /// `exit code 1`, `signal 9`, `stopped by hls-swarm`, `spawn failed`.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The last error line those processes logged.
    pub last_error: Option<String>,
}

/// Viewer lifecycle.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ViewerTotals {
    /// Viewers that started at least one process.
    pub started: u64,
    /// Process restarts.
    pub restarts: u64,
    /// Most viewers running at once (at tick resolution).
    pub peak_active: u64,
    /// Viewers running at the end.
    pub active_at_end: u64,
    /// Viewers that were stalled (below 0.9× for more than 5 s) at one tick or more of the run.
    pub stalled: u64,
    /// Exits by reason.
    pub exit_reasons: BTreeMap<String, u64>,
    /// Exits by reason and last error line, most frequent first.
    pub exits: Vec<ExitDetail>,
}

/// Playback health at the end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlaybackTotals {
    /// Mean speed over the run (every viewer and tick that reported one), × real time.
    pub speed_mean: f64,
    /// The most viewers below 1.0× at one time during the run.
    pub below_realtime: u64,
    /// Largest drift any viewer had, ms.
    pub drift_max_ms: i64,
    /// Mean current drift of running viewers, ms.
    pub drift_mean_ms: f64,
}

/// One latency figure, ms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencyOut {
    /// What is measured.
    pub measures: &'static str,
    /// Samples.
    pub count: u64,
    /// Median, ms.
    pub p50: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Maximum, ms.
    pub max: f64,
    /// Mean, ms.
    pub mean: f64,
    /// Samples lost (a viewer's ring overflowed between ticks).
    pub lost: u64,
}

impl LatencyOut {
    fn from_summary(s: &LatencySummary) -> LatencyOut {
        LatencyOut {
            measures: s.kind.meaning(),
            count: s.count,
            p50: s.p50_ms,
            p95: s.p95_ms,
            p99: s.p99_ms,
            max: s.max_ms,
            mean: s.mean_ms,
            lost: s.lost,
        }
    }
}

/// One variant's totals.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VariantOut {
    /// Media playlist path.
    pub path: String,
    /// Playlist requests.
    pub manifest: u64,
    /// Segment requests.
    pub segment: u64,
    /// Init-section requests.
    pub init: u64,
    /// HTTP errors.
    pub http_errors: u64,
    /// Exact segment bytes (segment-size lookup only).
    pub segment_bytes: u64,
}

/// Line transport.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PipelineOut {
    /// Lines read, both streams.
    pub lines_read: u64,
    /// Lines dropped because a parser fell behind, both streams.
    pub lines_dropped: u64,
    /// Viewers that dropped any.
    pub viewers_with_drops: u64,
}

/// The end-of-run summary: `serde_json::to_string(&summary)` gives schema `hls-swarm.summary.v1`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The stream URL.
    pub url: String,
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
    /// Latency figures by name (`tcp_connect`, `playlist_fetch`), ms.
    pub latency_ms: BTreeMap<&'static str, LatencyOut>,
    /// Other error events by counter name (`reconnects`, `segments_skipped`, …).
    pub events: BTreeMap<&'static str, u64>,
    /// Per-variant totals.
    pub variants: Vec<VariantOut>,
    /// Line transport.
    pub pipeline: PipelineOut,
}

/// Counters reported under `events`.
const EVENT_COUNTERS: [Counter; 11] = [
    Counter::Reconnects,
    Counter::KeepAliveRetries,
    Counter::TcpConnects,
    Counter::TcpAttemptFailures,
    Counter::TcpConnectFailures,
    Counter::PlaylistReloadFailures,
    Counter::SegmentOpenFailures,
    Counter::SegmentsSkipped,
    Counter::SegmentsExpired,
    Counter::SequenceJumps,
    Counter::ErrorLines,
];

impl Summary {
    /// Builds the summary from a (final) snapshot.
    pub fn from_snapshot(s: &Snapshot) -> Summary {
        let c = &s.totals.counters;
        let secs = s.elapsed.as_secs_f64();
        let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        let (bytes, source) = s.totals.bytes();
        let mut exit_reasons = BTreeMap::new();
        for e in s.exits.iter() {
            *exit_reasons.entry(e.reason.to_string()).or_default() += e.count;
        }
        Summary {
            schema: SCHEMA,
            url: s.run.url.clone(),
            target_viewers: s.run.target_viewers,
            duration_s: secs,
            requests: RequestTotals {
                manifest: c.get(Counter::ManifestRequests),
                segment: c.get(Counter::SegmentRequests),
                init: c.get(Counter::InitRequests),
                other: c.get(Counter::OtherRequests),
                total: c.total_requests(),
                per_s: per_s(c.total_requests()),
            },
            http_errors: s
                .http_errors
                .iter()
                .map(|(status, n)| (status.to_string(), *n))
                .collect(),
            bytes: ByteTotals {
                total: bytes,
                source: source.as_str(),
                per_s: per_s(bytes),
                avio_statistics: s.totals.avio_bytes,
                segment_sizes: s.totals.segment_bytes,
            },
            viewers: ViewerTotals {
                started: s.viewers.started,
                restarts: s.viewers.restarts,
                peak_active: s.viewers.peak_active,
                active_at_end: s.viewers.active,
                stalled: s.playback.ever_stalled,
                exit_reasons,
                exits: s
                    .exits
                    .iter()
                    .map(|e| ExitDetail {
                        reason: e.reason.to_string(),
                        count: e.count,
                        last_error: e.last_error.as_deref().map(str::to_owned),
                    })
                    .collect(),
            },
            playback: PlaybackTotals {
                speed_mean: s.playback.run_speed_mean,
                below_realtime: s.playback.peak_below_realtime,
                drift_max_ms: s.playback.drift_max_ms,
                drift_mean_ms: s.playback.drift_mean_ms,
            },
            latency_ms: LatencyKind::ALL
                .iter()
                .map(|&k| (k.name(), LatencyOut::from_summary(s.latency.get(k))))
                .collect(),
            events: EVENT_COUNTERS
                .iter()
                .map(|&k| (k.name(), c.get(k)))
                .collect(),
            variants: s
                .variants
                .iter()
                .map(|v| VariantOut {
                    path: v.path.to_string(),
                    manifest: v.values.manifest_requests,
                    segment: v.values.segment_requests,
                    init: v.values.init_requests,
                    http_errors: v.values.http_errors,
                    segment_bytes: v.values.segment_bytes,
                })
                .collect(),
            pipeline: PipelineOut {
                lines_read: s.pipeline.lines_read(),
                lines_dropped: s.pipeline.lines_dropped(),
                viewers_with_drops: s.pipeline.viewers_with_drops,
            },
        }
    }

    /// The summary as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary always serialises")
    }

    /// The summary for humans: aligned, a unit on every number.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let rule = "=".repeat(64);
        let _ = writeln!(out, "{rule}\nhls-swarm summary\n{rule}");
        if self.pipeline.lines_dropped > 0 {
            let _ = writeln!(
                out,
                "WARNING: {} of {} ffmpeg output lines dropped ({} viewers): counts below are low",
                self.pipeline.lines_dropped,
                self.pipeline.lines_read,
                self.pipeline.viewers_with_drops
            );
        }
        row(&mut out, "url", &self.url);
        row(&mut out, "duration", &format!("{:.1} s", self.duration_s));
        row(
            &mut out,
            "viewers (target)",
            &format!("{} viewers", self.target_viewers),
        );

        section(&mut out, "Requests (one per request line ffmpeg sent)");
        let r = &self.requests;
        for (label, n) in [
            ("playlists", r.manifest),
            ("segments", r.segment),
            ("init sections", r.init),
            ("other", r.other),
        ] {
            row(&mut out, label, &format!("{n} req"));
        }
        row(
            &mut out,
            "total",
            &format!("{} req ({:.1} req/s)", r.total, r.per_s),
        );
        let b = &self.bytes;
        let bytes = if b.source == "none" {
            "unknown (no byte source: no AVIO statistics, no segment sizes)".to_owned()
        } else {
            format!(
                "{} ({}/s, from {})",
                human_bytes(b.total),
                human_bytes(b.per_s as u64),
                b.source
            )
        };
        row(&mut out, "downloaded", &bytes);

        section(&mut out, "HTTP errors");
        if self.http_errors.is_empty() {
            row(&mut out, "none", "0 errors");
        }
        for (code, n) in &self.http_errors {
            row(&mut out, &format!("HTTP {code}"), &format!("{n} errors"));
        }

        let events: Vec<(&str, u64)> = (self.events.iter())
            .filter(|&(name, n)| *n > 0 && *name != "tcp_connects")
            .map(|(&name, &n)| (name, n))
            .collect();
        if !events.is_empty() {
            section(&mut out, "Other events");
            for (name, n) in events {
                let meaning = EVENT_COUNTERS
                    .iter()
                    .find(|c| c.name() == name)
                    .map_or("", |c| c.meaning());
                row(
                    &mut out,
                    &name.replace('_', " "),
                    &format!("{n}  {meaning}"),
                );
            }
        }

        section(&mut out, "Viewers");
        let v = &self.viewers;
        row(&mut out, "started", &format!("{} viewers", v.started));
        row(
            &mut out,
            "peak running",
            &format!("{} viewers", v.peak_active),
        );
        row(
            &mut out,
            "running at end",
            &format!("{} viewers", v.active_at_end),
        );
        row(&mut out, "restarts", &format!("{} restarts", v.restarts));
        row(
            &mut out,
            "stalled",
            &format!(
                "{} viewers stalled at some point (<0.9x for >5 s)",
                v.stalled
            ),
        );
        for e in &v.exits {
            let why = e.last_error.as_deref().unwrap_or("(no error line)");
            row(&mut out, &e.reason, &format!("{} exits: {why}", e.count));
        }

        section(&mut out, "Playback (over the run)");
        let p = &self.playback;
        row(
            &mut out,
            "mean speed",
            &format!("{:.2}x real time", p.speed_mean),
        );
        row(
            &mut out,
            "below real time",
            &format!("{} viewers at most at once (<1.0x)", p.below_realtime),
        );
        row(&mut out, "mean drift", &drift(p.drift_mean_ms));
        row(&mut out, "max drift", &drift(p.drift_max_ms as f64));

        section(&mut out, "Latency (ms)");
        for (name, l) in &self.latency_ms {
            let _ = writeln!(out, "  {name}: {}", l.measures);
            if l.count == 0 {
                row(&mut out, "", "no samples");
                continue;
            }
            row(
                &mut out,
                "",
                &format!(
                    "p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} samples{})",
                    l.p50,
                    l.p95,
                    l.p99,
                    l.max,
                    l.count,
                    if l.lost > 0 {
                        format!(", {} lost", l.lost)
                    } else {
                        String::new()
                    }
                ),
            );
        }

        if !self.variants.is_empty() {
            section(&mut out, "Variants");
            for var in &self.variants {
                row(
                    &mut out,
                    &var.path,
                    &format!(
                        "{} playlist req, {} segment req, {} errors",
                        var.manifest, var.segment, var.http_errors
                    ),
                );
            }
        }
        section(&mut out, "Pipeline");
        row(
            &mut out,
            "lines read",
            &format!("{} lines", self.pipeline.lines_read),
        );
        row(
            &mut out,
            "lines dropped",
            &format!("{} lines", self.pipeline.lines_dropped),
        );
        out
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render_text())
    }
}

/// Drift in words: behind the wall clock, or ahead of it while a viewer reads ahead at its start.
fn drift(ms: f64) -> String {
    if ms < 0.0 {
        format!("{:.0} ms ahead", -ms)
    } else {
        format!("{ms:.0} ms behind")
    }
}

fn section(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {label:<22} {value}");
}

/// Decimal units (1 kB = 1000 B), two decimals.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

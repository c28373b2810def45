//! Plain mode (no terminal, or `--no-tui`): a one-line status, as text or JSON lines, and a ramp progress bar.

use crate::format::{bytes, clock, count, rate};
use crate::host_line;
use crate::input::DashboardInput;
use hls_swarm_stats::Counter;
use serde::Serialize;
use std::collections::BTreeMap;

/// The schema name in every JSON status line.
pub const STATUS_SCHEMA: &str = "hls-swarm.status.v1";

/// How [`status_line`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFormat {
    /// For people: `00:01:05  viewers 18/20  …`.
    #[default]
    Text,
    /// One JSON object per line ([`StatusRecord`], schema [`STATUS_SCHEMA`]).
    Json,
}

/// One JSON status line. Field names are stable: tools may parse them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusRecord {
    /// Always [`STATUS_SCHEMA`].
    pub schema: &'static str,
    /// Seconds since the run started.
    pub elapsed_s: f64,
    /// The run's planned length, seconds, if it has one.
    pub duration_s: Option<f64>,
    /// Viewers with a running ffmpeg.
    pub active: u64,
    /// The run's target.
    pub target: u32,
    /// Viewers the ramp has launched so far.
    pub launched: u64,
    /// Viewers waiting out a restart backoff.
    pub restarting: u64,
    /// Running viewers below 0.9x real time, or silent, for more than 5 s.
    pub stalled: u64,
    /// Requests of every kind since the start.
    pub requests: u64,
    /// Segment requests since the start.
    pub segments: u64,
    /// All requests per second ([`DashboardInput::rates`]).
    pub requests_per_s: f64,
    /// Segment requests per second ([`DashboardInput::rates`]).
    pub segments_per_s: f64,
    /// Downloaded bytes since the start (0 when `bytes_source` is `none`: unknown).
    pub bytes: u64,
    /// Bytes per second ([`DashboardInput::rates`]).
    pub bytes_per_s: f64,
    /// `segment-sizes`, `avio-statistics` or `none`.
    pub bytes_source: &'static str,
    /// HTTP errors by status code since the start (`other` outside 400–599).
    pub http_errors: BTreeMap<String, u64>,
    /// HTTP errors per second ([`DashboardInput::rates`]).
    pub http_errors_per_s: f64,
    /// ffmpeg output lines dropped because a parser fell behind (counts are low when > 0).
    pub lines_dropped: u64,
    /// The host's CPU busy between its last two samples, cores (`null` until known).
    pub host_cpu_busy_cores: Option<f64>,
    /// The host's CPU capacity, cores (`null` until sampled).
    pub host_cpu_capacity_cores: Option<f64>,
    /// The host's unreclaimable memory in use, bytes (`null` until known).
    pub host_memory_used_bytes: Option<u64>,
    /// The host's memory limit, bytes (`null` until sampled).
    pub host_memory_limit_bytes: Option<u64>,
    /// Whether the host is saturated (`null` until sampled): stalls may then be this
    /// machine's, not the origin's.
    pub host_saturated: Option<bool>,
}

impl StatusRecord {
    /// The record for one input.
    pub fn new(input: &DashboardInput) -> StatusRecord {
        let s = &input.snapshot;
        let (total_bytes, source) = s.bytes();
        let rates = input.rates();
        StatusRecord {
            schema: STATUS_SCHEMA,
            elapsed_s: s.elapsed.as_secs_f64(),
            duration_s: input.duration.map(|d| d.as_secs_f64()),
            active: s.viewers.active,
            target: s.viewers.target,
            launched: input.launched(),
            restarting: s.viewers.restarting,
            stalled: s.playback.stalled,
            requests: s.totals.counters.total_requests(),
            segments: s.totals.counters.get(Counter::SegmentRequests),
            requests_per_s: rates.requests_per_s,
            segments_per_s: rates.segment_per_s,
            bytes: total_bytes,
            bytes_per_s: rates.bytes_per_s,
            bytes_source: source.as_str(),
            http_errors: s
                .http_errors
                .iter()
                .map(|(code, n)| (code.to_string(), *n))
                .collect(),
            http_errors_per_s: rates.http_errors_per_s,
            lines_dropped: s.pipeline.lines_dropped(),
            host_cpu_busy_cores: s.host.and_then(|h| h.sample.cpu_busy_cores),
            host_cpu_capacity_cores: s.host.map(|h| h.sample.limits.cpu_cores),
            host_memory_used_bytes: s.host.and_then(|h| h.sample.memory_used_bytes),
            host_memory_limit_bytes: s.host.map(|h| h.sample.limits.memory_bytes),
            host_saturated: s.host.map(|h| h.saturated),
        }
    }
}

/// One status line (no trailing newline) for plain mode: elapsed, viewers, request, segment and
/// byte rates, HTTP errors by code, stalled viewers, dropped lines, and the host once sampled.
///
/// Text: `00:01:05  viewers 18/20 (1 restarting)  42.0 req/s  12.5 seg/s  1.20 MB/s  errors 404:3  stalled 0  dropped 0  host cpu 1.83/2.00 cores (92 %) mem 4.10 GB/24.7 GB (17 %) SATURATED`.
/// JSON: one [`StatusRecord`] object.
pub fn status_line(input: &DashboardInput, format: StatusFormat) -> String {
    let r = StatusRecord::new(input);
    match format {
        StatusFormat::Json => serde_json::to_string(&r).expect("a status record always serialises"),
        StatusFormat::Text => {
            let elapsed = match input.duration {
                Some(d) => format!("{}/{}", clock(input.snapshot.elapsed), clock(d)),
                None => clock(input.snapshot.elapsed),
            };
            let mut viewers = format!("viewers {}/{}", count(r.active), count(u64::from(r.target)));
            if r.restarting > 0 {
                viewers.push_str(&format!(" ({} restarting)", count(r.restarting)));
            }
            let throughput = if r.bytes_source == "none" {
                "bytes unknown".to_owned()
            } else {
                format!("{}/s", bytes(r.bytes_per_s))
            };
            let errors = if r.http_errors.is_empty() {
                "none".to_owned()
            } else {
                r.http_errors
                    .iter()
                    .map(|(code, n)| format!("{code}:{n}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let host = (input.snapshot.host.as_ref())
                .map(|h| format!("  {}", host_line::status(h)))
                .unwrap_or_default();
            format!(
                "{elapsed}  {viewers}  {} req/s  {} seg/s  {throughput}  errors {errors}  stalled {}  dropped {}{host}",
                rate(r.requests_per_s),
                rate(r.segments_per_s),
                count(r.stalled),
                count(r.lines_dropped),
            )
        }
    }
}

/// A ramp progress bar for plain mode: `[#########...........] 9/20 viewers launched`, with
/// `width` characters between the brackets. `launched` beyond `target` shows a full bar.
///
/// ```
/// assert_eq!(
///     hls_swarm_dashboard::ramp_progress_bar(5, 20, 20),
///     "[#####...............] 5/20 viewers launched"
/// );
/// ```
pub fn ramp_progress_bar(launched: u64, target: u64, width: usize) -> String {
    let filled = if target == 0 {
        width
    } else {
        // u128: `width * launched` cannot overflow.
        (width as u128 * u128::from(launched.min(target)) / u128::from(target)) as usize
    };
    format!(
        "[{}{}] {launched}/{target} viewers launched",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

//! The figures a threshold can be set on: each with its unit, its exact definition, what it
//! needs, how it is read off a summary, and how over a window of the time series.

use hls_swarm_aggregate::LatencyHistogram;

use crate::report::Report;
use crate::sections::timeseries::SeriesPoint;

/// A figure's unit, which also says what suffixes its limit may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share from 0 to 1; a limit may be written in % (`1%` = 0.01).
    Share,
    /// A count; a limit is a plain number.
    Count,
    /// Milliseconds; a limit may be written in `ms`, `s` or `us`.
    Ms,
    /// Seconds; a limit may be written in `s`, `ms` or `m`.
    Seconds,
    /// Times real time; a limit may end in `x`.
    Speed,
    /// Requests per second.
    PerSecond,
}

impl Unit {
    /// How the unit is written in `--help` and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Share => "share",
            Unit::Count => "count",
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::Speed => "x",
            Unit::PerSecond => "req/s",
        }
    }

    /// The multipliers of the suffixes a limit may carry, the bare number first.
    pub(crate) fn suffixes(self) -> &'static [(&'static str, f64)] {
        match self {
            Unit::Share => &[("", 1.0), ("%", 0.01)],
            Unit::Count => &[("", 1.0)],
            Unit::Ms => &[("", 1.0), ("ms", 1.0), ("us", 0.001), ("s", 1000.0)],
            Unit::Seconds => &[("", 1.0), ("s", 1.0), ("ms", 0.001), ("m", 60.0)],
            Unit::Speed => &[("", 1.0), ("x", 1.0)],
            Unit::PerSecond => &[("", 1.0)],
        }
    }
}

/// Why a figure cannot be had in this build or this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Available wherever a summary is.
    Nothing,
    /// The request tap: only a run that went through it (an http:// stream, `--tap auto` or
    /// `on`) has these figures.
    RequestTap,
    /// ffmpeg's own timing of its connects and playlists: only a run without the request tap
    /// has these figures (through the tap they would time ffmpeg's loopback to it, and its
    /// lines are read in batches), whose own timings replace them.
    NoTap,
}

/// A figure's value over some points of the time series; `None`: no data.
pub(crate) type OfWindow = fn(&[SeriesPoint]) -> Option<f64>;

/// A figure thresholds can be set on.
#[derive(Debug)]
pub struct Figure {
    /// Its name in an expression.
    pub name: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// What exactly it is.
    pub definition: &'static str,
    /// What it needs.
    pub needs: Needs,
    /// Its value in a summary; `None`: no data (it could exist, but got no sample).
    pub(crate) of_report: fn(&Report) -> Option<f64>,
    /// Its value over some points of the time series (`--abort-on-fail`); the outer `None`
    /// when it has no such form (it is checked on the final summary only).
    pub(crate) of_window: Option<OfWindow>,
}

/// Every figure, in the order `--help` lists them.
pub static FIGURES: &[Figure] = &[
    Figure {
        name: "http_error_rate",
        unit: Unit::Share,
        definition: "HTTP error responses (status 400-599) / all requests: from the request tap \
                     when it is on (the statuses it relayed / the requests it relayed), else from \
                     ffmpeg's log (`HTTP error NNN` lines / `request: GET` lines); no data \
                     without a request",
        needs: Needs::Nothing,
        of_report: |r| ratio(error_responses(r.http_errors.iter()), r.requests.total),
        of_window: Some(|w| {
            let errors = w
                .iter()
                .map(|p| error_responses(p.http_errors.iter()))
                .sum();
            ratio(errors, w.iter().map(|p| p.requests.total()).sum())
        }),
    },
    Figure {
        name: "http_errors",
        unit: Unit::Count,
        definition: "HTTP error responses (status 400-599): from the request tap when it is on, \
                     else from ffmpeg's `HTTP error NNN` lines",
        needs: Needs::Nothing,
        of_report: |r| Some(error_responses(r.http_errors.iter()) as f64),
        of_window: Some(|w| {
            Some(
                w.iter()
                    .map(|p| error_responses(p.http_errors.iter()))
                    .sum::<u64>() as f64,
            )
        }),
    },
    Figure {
        name: "stalled_viewers",
        unit: Unit::Count,
        definition: "viewers that were stalled (below 0.9x real time, or silent, for more than 5 s) at one \
                     tick or more (the summary's viewers.stalled); over a window, the most \
                     stalled at one tick",
        needs: Needs::Nothing,
        of_report: |r| Some(r.viewers.stalled as f64),
        of_window: Some(|w| w.iter().map(|p| p.viewers.stalled as f64).reduce(f64::max)),
    },
    Figure {
        name: "restarts",
        unit: Unit::Count,
        definition: "ffmpeg processes restarted after exiting (viewers.restarts)",
        needs: Needs::Nothing,
        of_report: |r| Some(r.viewers.restarts as f64),
        of_window: Some(|w| Some(w.iter().map(|p| p.restarts).sum::<u64>() as f64)),
    },
    Figure {
        name: "lines_dropped",
        unit: Unit::Count,
        definition: "ffmpeg output lines hls-swarm did not read (pipeline.lines_dropped); \
                     checked on the final summary only",
        needs: Needs::Nothing,
        of_report: |r| Some(r.pipeline.lines_dropped as f64),
        of_window: None,
    },
    Figure {
        name: "segments_skipped",
        unit: Unit::Count,
        definition: "segments ffmpeg gave up on after its retries (events.segments_skipped): \
                     data loss; checked on the final summary only",
        needs: Needs::Nothing,
        of_report: |r| r.events.get("segments_skipped").map(|&n| n as f64),
        of_window: None,
    },
    Figure {
        name: "playlist_fetch_p95",
        unit: Unit::Ms,
        definition: "95th percentile of playlist_fetch, an upper bound on a playlist's download \
                     (the GET to the next thing ffmpeg does with it), from ffmpeg's log: runs \
                     without the request tap only (with it, use playlist_ttfb_p95); no data \
                     without a sample",
        needs: Needs::NoTap,
        of_report: |r| latency(r, "playlist_fetch", 1),
        of_window: Some(|w| window_latency(w, "playlist_fetch", 1)),
    },
    Figure {
        name: "playlist_fetch_p99",
        unit: Unit::Ms,
        definition: "99th percentile of playlist_fetch (as playlist_fetch_p95)",
        needs: Needs::NoTap,
        of_report: |r| latency(r, "playlist_fetch", 2),
        of_window: Some(|w| window_latency(w, "playlist_fetch", 2)),
    },
    Figure {
        name: "tcp_connect_p95",
        unit: Unit::Ms,
        definition: "95th percentile of tcp_connect: connect start to connected on one socket, \
                     from ffmpeg's log: runs without the request tap only; no data without a \
                     sample",
        needs: Needs::NoTap,
        of_report: |r| latency(r, "tcp_connect", 1),
        of_window: Some(|w| window_latency(w, "tcp_connect", 1)),
    },
    Figure {
        name: "tcp_connect_p99",
        unit: Unit::Ms,
        definition: "99th percentile of tcp_connect (as tcp_connect_p95)",
        needs: Needs::NoTap,
        of_report: |r| latency(r, "tcp_connect", 2),
        of_window: Some(|w| window_latency(w, "tcp_connect", 2)),
    },
    Figure {
        name: "speed_mean",
        unit: Unit::Speed,
        definition: "mean playback speed of every (viewer, tick) that reported one, x real time \
                     (playback.speed_mean); no data without a sample",
        needs: Needs::Nothing,
        of_report: |r| (r.playback.speed_samples > 0).then_some(r.playback.speed_mean),
        of_window: Some(|w| {
            let n: u64 = w.iter().map(|p| p.playback.samples).sum();
            let sum: f64 = (w.iter())
                .map(|p| p.playback.mean.unwrap_or(0.0) * p.playback.samples as f64)
                .sum();
            (n > 0).then(|| sum / n as f64)
        }),
    },
    Figure {
        name: "requests_per_s",
        unit: Unit::PerSecond,
        definition: "requests sent per second over the run (requests.per_s); no data for a run \
                     of no time",
        needs: Needs::Nothing,
        of_report: |r| (r.duration_s > 0.0).then_some(r.requests.per_s),
        of_window: Some(|w| {
            let secs: f64 = w.iter().map(|p| p.span_s).sum();
            let n: u64 = w.iter().map(|p| p.requests.total()).sum();
            (secs > 0.0).then(|| n as f64 / secs)
        }),
    },
    Figure {
        name: "host_saturated_s",
        unit: Unit::Seconds,
        definition: "seconds this machine was saturated (CPU >= 90 % of its capacity or memory \
                     >= 95 % of its limit; host.saturated_s); no data when it was not sampled",
        needs: Needs::Nothing,
        of_report: |r| r.host.as_ref().map(|h| h.saturated_s),
        of_window: Some(|w| {
            let hosts: Vec<f64> = w
                .iter()
                .filter_map(|p| p.host.map(|h| h.saturated_s))
                .collect();
            (!hosts.is_empty()).then(|| hosts.iter().sum())
        }),
    },
    Figure {
        name: "segment_download_p95",
        unit: Unit::Ms,
        definition: "95th percentile of a media segment's download time (request sent to the \
                     origin to last body byte relayed; latency_ms.segment_download.p95), timed by \
                     the request tap; segments cut off are left out; no data without a segment",
        needs: Needs::RequestTap,
        of_report: |r| latency(r, "segment_download", 1),
        of_window: Some(|w| window_latency(w, "segment_download", 1)),
    },
    Figure {
        name: "segment_ttfb_p95",
        unit: Unit::Ms,
        definition: "95th percentile of a media segment's time to first byte (request sent to \
                     the origin to the response's first byte; latency_ms.segment_ttfb.p95), timed \
                     by the request tap; no data without a segment",
        needs: Needs::RequestTap,
        of_report: |r| latency(r, "segment_ttfb", 1),
        of_window: Some(|w| window_latency(w, "segment_ttfb", 1)),
    },
    Figure {
        name: "playlist_ttfb_p95",
        unit: Unit::Ms,
        definition: "95th percentile of a playlist's time to first byte \
                     (latency_ms.playlist_ttfb.p95), timed by the request tap; no data without a \
                     playlist",
        needs: Needs::RequestTap,
        of_report: |r| latency(r, "playlist_ttfb", 1),
        of_window: Some(|w| window_latency(w, "playlist_ttfb", 1)),
    },
    Figure {
        name: "late_segment_rate",
        unit: Unit::Share,
        definition: "the request tap's late_segments.share: segments whose download took longer \
                     than they play (their #EXTINF) / segments downloaded whole with a known \
                     duration; no data before such a segment; checked on the final summary",
        needs: Needs::RequestTap,
        of_report: |r| r.late_segments.and_then(|l| l.share),
        of_window: None,
    },
];

/// The figure called `name`.
pub fn figure(name: &str) -> Option<&'static Figure> {
    FIGURES.iter().find(|f| f.name == name)
}

/// HTTP error responses of status 400–599 among counts by status (`other` is outside).
fn error_responses<'a>(by_status: impl Iterator<Item = (&'a String, &'a u64)>) -> u64 {
    (by_status)
        .filter(|(status, _)| {
            status
                .parse::<u16>()
                .is_ok_and(|c| (400..=599).contains(&c))
        })
        .map(|(_, n)| n)
        .sum()
}

fn ratio(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// Percentile `q` (0: p50, 1: p95, 2: p99) of a summary's latency figure, ms.
fn latency(r: &Report, name: &str, q: usize) -> Option<f64> {
    let l = r.latency_ms.get(name).filter(|l| l.count > 0)?;
    Some([l.p50, l.p95, l.p99][q])
}

/// Percentile `q` of the samples of a latency figure that arrived within the points, ms.
fn window_latency(w: &[SeriesPoint], name: &str, q: usize) -> Option<f64> {
    let mut hist = LatencyHistogram::new();
    for l in w.iter().filter_map(|p| p.latency_ms.get(name)?.as_ref()) {
        hist.add(&LatencyHistogram::from_pairs(
            l.histogram.iter(),
            u128::from(l.sum_us),
        ));
    }
    (hist.count() > 0).then(|| hist.quantiles_us()[q] as f64 / 1000.0)
}

//! The report's charts, each built from the summary's time series: what it plots, in what
//! unit, and the line that says what it measures.

use std::collections::BTreeSet;

use hls_swarm_report::{SeriesPoint, TimeSeries};

use crate::chart::{Chart, Series};
use crate::format::Scale;

/// A point's middle, where its value is drawn.
fn mid(p: &SeriesPoint) -> f64 {
    p.t_s + p.span_s / 2.0
}

/// One value per point, drawn at the point's middle.
fn line(ts: &TimeSeries, name: &str, f: impl Fn(&SeriesPoint) -> Option<f64>) -> Series {
    Series::new(name, ts.points.iter().map(|p| (mid(p), f(p))).collect())
}

/// Per second over the point; none for a point of no time.
fn per_s(p: &SeriesPoint, n: u64) -> Option<f64> {
    (p.span_s > 0.0).then(|| n as f64 / p.span_s)
}

/// Every chart of the series, in the report's order; a chart with nothing to plot in this run
/// (no origin scraped, no segment sizes) is left out, and [`missing`] says why.
pub(crate) fn charts(ts: &TimeSeries, merged: bool) -> Vec<Chart> {
    let res = ts.resolution_s;
    let per = if res == 1 {
        "each second".to_owned()
    } else {
        format!("each {res} s (the series was coarsened)")
    };
    let peaks = if merged {
        " In a merge, the sum of each shard's peak (an upper bound)."
    } else {
        ""
    };
    let tapped = through_the_tap(ts);
    let (requests_are, bytes_are) = if tapped {
        (
            "HTTP requests the request tap relayed with an answer (what the origin logs)",
            "Response body bytes the request tap relayed, per second, {per}: every body \
             (playlists too), counted as it passed, so the line is live and exact."
                .replace("{per}", &per),
        )
    } else {
        (
            "HTTP requests ffmpeg sent (one per request line in its log: what the origin logs)",
            format!(
                "Bytes of the media segments fetched, per second, {per}: their exact sizes \
                 from --segment-sizes-url (playlists not included). A segment counts once the \
                 next request on its connection starts without an error, so the line lags the \
                 downloads by about a segment, and at the stop the segments still pending count \
                 at once."
            ),
        )
    };
    let mut out = vec![
        Chart {
            id: "viewers",
            title: "Viewers and stalls".to_owned(),
            scale: Scale::Viewers,
            caption: format!(
                "The most viewers with a running ffmpeg, stalled (below 0.9x real time, or silent, for \
                 more than 5 s) and waiting to restart at one 500 ms tick, {per}; the target \
                 and how many the ramp had launched.{peaks}"
            ),
            series: vec![
                line(ts, "running", |p| Some(p.viewers.running as f64)),
                line(ts, "stalled", |p| Some(p.viewers.stalled as f64)),
                line(ts, "restarting", |p| Some(p.viewers.restarting as f64)),
                line(ts, "target", |p| Some(f64::from(p.viewers.target))).dashed(),
                line(ts, "launched", |p| Some(f64::from(p.viewers.launched))).dashed(),
            ],
        },
        Chart {
            id: "requests",
            title: "Requests per second".to_owned(),
            scale: Scale::PerSecond("requests/s"),
            caption: format!("{requests_are}, by kind, per second, {per}."),
            series: vec![
                line(ts, "all", |p| per_s(p, p.requests.total())),
                line(ts, "segments", |p| per_s(p, p.requests.segment)),
                line(ts, "playlists", |p| per_s(p, p.requests.manifest)),
            ],
        },
        errors_chart(ts, &per),
        Chart {
            id: "throughput",
            title: "Throughput".to_owned(),
            scale: Scale::BytesPerSecond,
            caption: bytes_are,
            series: vec![line(
                ts,
                if tapped {
                    "body bytes"
                } else {
                    "segment bytes"
                },
                |p| p.bytes.and_then(|b| per_s(p, b)),
            )],
        },
        latency_chart(ts, &per),
        Chart {
            id: "playback",
            title: "Playback speed".to_owned(),
            scale: Scale::Speed,
            caption: format!(
                "Mean playback speed of the running viewers (every viewer and 500 ms tick that \
                 reported one), x real time, {per}; below 1.0 a viewer falls behind the live \
                 edge."
            ),
            series: vec![
                line(ts, "mean speed", |p| p.playback.mean),
                line(ts, "real time", |p| (p.playback.samples > 0).then_some(1.0)).dashed(),
            ],
        },
        Chart {
            id: "host",
            title: "This machine (hls-swarm's host)".to_owned(),
            scale: Scale::Percent("% of capacity"),
            caption: format!(
                "CPU busy (mean of the samples) and memory used (the most of any sample) on the \
                 machine hls-swarm ran on, as % of its capacity (cgroup limits count), {per}; \
                 at 90 % CPU or 95 % memory it is saturated and its viewers' stalls may be its \
                 own.{}",
                if merged {
                    " In a merge, the busiest shard's."
                } else {
                    ""
                }
            ),
            series: vec![
                line(ts, "cpu", |p| p.host.and_then(|h| h.cpu_percent)),
                line(ts, "memory", |p| p.host.and_then(|h| h.memory_percent)),
            ],
        },
        Chart {
            id: "origin",
            title: "The origin (from its exporters)".to_owned(),
            scale: Scale::Percent("% CPU"),
            caption: format!(
                "The origin's CPU busy over all its CPUs, from its node_exporter, the latest \
                 reading by each point's end, {per}."
            ),
            series: vec![line(ts, "origin cpu", |p| {
                p.origin.as_ref().and_then(|o| o.cpu_percent)
            })],
        },
    ];
    out.retain(Chart::has_data);
    out
}

/// HTTP errors per second, one line per status.
fn errors_chart(ts: &TimeSeries, per: &str) -> Chart {
    let statuses: BTreeSet<&String> = ts
        .points
        .iter()
        .flat_map(|p| p.http_errors.keys())
        .collect();
    // With one status, its line is the whole: "all" would only hide it.
    let mut series = Vec::new();
    if statuses.len() != 1 {
        series.push(line(ts, "all", |p| per_s(p, p.http_error_count())));
    }
    for status in statuses {
        series.push(line(ts, &format!("HTTP {status}"), |p| {
            per_s(p, p.http_errors.get(status).copied().unwrap_or(0))
        }));
    }
    Chart {
        id: "errors",
        title: "HTTP errors per second".to_owned(),
        scale: Scale::PerSecond("errors/s"),
        caption: format!(
            "HTTP error responses by status, per second, {per}: the statuses the request tap \
             relayed when it was on, else ffmpeg's `HTTP error NNN` lines."
        ),
        series,
    }
}

/// Whether the run went through the request tap: its timings are in the series.
fn through_the_tap(ts: &TimeSeries) -> bool {
    (ts.points.iter()).any(|p| {
        p.latency_ms
            .get("segment_download")
            .is_some_and(Option::is_some)
    })
}

/// Latency percentiles of the samples that arrived in each point.
fn latency_chart(ts: &TimeSeries, per: &str) -> Chart {
    let figure = |name: &'static str, q: usize| {
        move |p: &SeriesPoint| {
            let l = p.latency_ms.get(name)?.as_ref()?;
            Some([l.p50, l.p95, l.p99][q])
        }
    };
    // With the request tap, its timings: what the origin's answers took.
    if through_the_tap(ts) {
        return Chart {
            id: "latency",
            title: "Segment and playlist times (request tap)".to_owned(),
            scale: Scale::Ms,
            caption: format!(
                "Percentiles of the requests that ended {per}, timed by the request tap: \
                 segment_download is a segment's request sent to the origin to its last body \
                 byte relayed (a segment downloading longer than it plays is late), \
                 segment_ttfb to its first byte, playlist_download a playlist's whole answer. \
                 A gap: no request ended in that interval."
            ),
            series: vec![
                line(ts, "segment_download p50", figure("segment_download", 0)),
                line(ts, "segment_download p95", figure("segment_download", 1)),
                line(ts, "segment_download p99", figure("segment_download", 2)),
                line(ts, "segment_ttfb p95", figure("segment_ttfb", 1)),
                line(ts, "playlist_download p95", figure("playlist_download", 1)),
            ],
        };
    }
    Chart {
        id: "latency",
        title: "Latency percentiles".to_owned(),
        scale: Scale::Ms,
        caption: format!(
            "Percentiles of the samples that arrived {per}: playlist_fetch is an upper bound on \
             a playlist's download (the GET to the next thing ffmpeg does with it); tcp_connect \
             is connect start to connected. A gap: no sample in that interval."
        ),
        series: vec![
            line(ts, "playlist_fetch p50", figure("playlist_fetch", 0)),
            line(ts, "playlist_fetch p95", figure("playlist_fetch", 1)),
            line(ts, "playlist_fetch p99", figure("playlist_fetch", 2)),
            line(ts, "tcp_connect p95", figure("tcp_connect", 1)),
        ],
    }
}

/// Why a chart is not in the report: the charts [`charts`] leaves out, each with the reason.
pub(crate) fn missing(kept: &[Chart]) -> Vec<&'static str> {
    let has = |id: &str| kept.iter().any(|c| c.id == id);
    let mut out = Vec::new();
    if !has("throughput") {
        out.push(
            "Throughput: no byte figure over time (the run had no --segment-sizes-url; AVIO \
             statistics arrive only when a viewer stops, so they cannot say when bytes came).",
        );
    }
    if !has("latency") {
        out.push("Latency percentiles: no latency sample arrived.");
    }
    if !has("playback") {
        out.push("Playback speed: no viewer reported a speed.");
    }
    if !has("host") {
        out.push("This machine: not sampled.");
    }
    if !has("origin") {
        out.push("The origin: not scraped (--origin-metrics, --origin-metrics-host).");
    }
    out
}

//! The latency figures (ffmpeg's log's and the request tap's) as Prometheus histograms, each
//! with its maximum and its lost samples.

use std::fmt::Error;

use hls_swarm_aggregate::{FigureKind, LATENCY_BUCKET_BOUNDS_US, LatencySummary};
use hls_swarm_stats::{LatencyKind, TapTiming};

use crate::encode::Families;

/// Upper bounds (seconds) of the latency histograms: the aggregate's
/// [`LATENCY_BUCKET_BOUNDS_US`] (1 ms to 30 s), as Prometheus writes them.
pub const LATENCY_BUCKETS_SECONDS: [f64; LATENCY_BUCKET_BOUNDS_US.len()] = {
    let mut seconds = [0.0; LATENCY_BUCKET_BOUNDS_US.len()];
    let mut i = 0;
    while i < seconds.len() {
        seconds[i] = LATENCY_BUCKET_BOUNDS_US[i] as f64 / 1e6;
        i += 1;
    }
    seconds
};

pub(crate) fn encode_latency(
    out: &mut Families<'_>,
    summary: &LatencySummary,
) -> Result<(), Error> {
    let (name, help, max_name, lost_name) = match summary.kind {
        FigureKind::Log(LatencyKind::TcpConnect) => (
            "hls_swarm_tcp_connect_seconds",
            "TCP connect time: connection attempt started to connected, same ffmpeg tcp context.",
            "hls_swarm_tcp_connect_max_seconds",
            "hls_swarm_tcp_connect_samples_lost",
        ),
        FigureKind::Log(LatencyKind::PlaylistFetch) => (
            "hls_swarm_playlist_fetch_seconds",
            "Playlist fetch, an upper bound: playlist GET sent to the demuxer's next step needing its body.",
            "hls_swarm_playlist_fetch_max_seconds",
            "hls_swarm_playlist_fetch_samples_lost",
        ),
        FigureKind::Tap(TapTiming::SegmentTtfb) => (
            "hls_swarm_segment_ttfb_seconds",
            "Request tap: segment request sent to the origin to the response's first byte.",
            "hls_swarm_segment_ttfb_max_seconds",
            "hls_swarm_segment_ttfb_samples_lost",
        ),
        FigureKind::Tap(TapTiming::SegmentDownload) => (
            "hls_swarm_segment_download_seconds",
            "Request tap: segment request sent to the origin to the body's last byte relayed.",
            "hls_swarm_segment_download_max_seconds",
            "hls_swarm_segment_download_samples_lost",
        ),
        FigureKind::Tap(TapTiming::PlaylistTtfb) => (
            "hls_swarm_playlist_ttfb_seconds",
            "Request tap: playlist request sent to the origin to the response's first byte.",
            "hls_swarm_playlist_ttfb_max_seconds",
            "hls_swarm_playlist_ttfb_samples_lost",
        ),
        FigureKind::Tap(TapTiming::PlaylistDownload) => (
            "hls_swarm_playlist_download_seconds",
            "Request tap: playlist request sent to the origin to the body's last byte relayed.",
            "hls_swarm_playlist_download_max_seconds",
            "hls_swarm_playlist_download_samples_lost",
        ),
        FigureKind::Tap(TapTiming::UpstreamConnect) => (
            "hls_swarm_upstream_connect_seconds",
            "Request tap: TCP connect of a new connection from the tap to the origin.",
            "hls_swarm_upstream_connect_max_seconds",
            "hls_swarm_upstream_connect_samples_lost",
        ),
    };
    let sum_s = summary.sum_us as f64 / 1e6;
    out.histogram(
        name,
        help,
        &LATENCY_BUCKETS_SECONDS,
        &summary.buckets,
        summary.count,
        sum_s,
    )?;
    out.gauge_opt(
        max_name,
        "Largest sample so far (at the histogram's ~1% resolution).",
        (summary.count > 0).then_some(summary.max_ms / 1000.0),
    )?;
    out.counter(
        lost_name,
        "Samples lost because a viewer's sample ring was full between two aggregation ticks.",
        summary.lost,
    )
}

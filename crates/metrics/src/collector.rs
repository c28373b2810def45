//! `SwarmCollector`: turns the latest `Snapshot` into metric families at scrape time.

use crate::encode::Families;
use crate::latency_families::encode_latency;
use crate::options::ExporterOptions;
use crate::source::MetricsSource;
use crate::{host_families, origin_families, per_viewer, tap_families};
use hls_swarm_aggregate::{SPEED_BUCKET_BOUNDS, Snapshot};
use hls_swarm_stats::{Counter, ExitReason, LatencyKind};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use std::collections::BTreeMap;
use std::fmt::Error;
use std::sync::Arc;
use std::time::Instant;

/// The collector registered in the exporter's registry. It owns no metric state: every scrape
/// loads the latest snapshot (one `ArcSwap` load, lock-free) and encodes from it.
pub(crate) struct SwarmCollector {
    pub(crate) source: Arc<dyn MetricsSource>,
    pub(crate) options: ExporterOptions,
}

impl std::fmt::Debug for SwarmCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwarmCollector")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Collector for SwarmCollector {
    fn encode(&self, encoder: DescriptorEncoder) -> Result<(), Error> {
        let snapshot = self.source.snapshot();
        let mut out = Families::new(encoder);
        encode_snapshot(&mut out, &snapshot, &self.options)?;
        if let Some(origin) = &self.options.origin {
            origin_families::encode(&mut out, &origin.load())?;
        }
        if self.options.per_viewer {
            let mut rows = self.source.viewer_rows();
            rows.sort_unstable_by_key(|r| r.id);
            per_viewer::encode(&mut out, &rows)?;
        }
        Ok(())
    }
}

/// The metric name (without `_total`) and help of a plain swarm counter, or `None` for counters
/// exported in a labelled family instead. Exhaustive on purpose: a new `Counter` must be named here.
fn counter_metric(counter: Counter) -> Option<(&'static str, &'static str)> {
    Some(match counter {
        Counter::ManifestRequests => (
            "hls_swarm_manifest_requests",
            "Playlist requests sent (master and media, loads and reloads), one per request line ffmpeg logged.",
        ),
        Counter::SegmentRequests => ("hls_swarm_segment_requests", "Media segment requests sent."),
        Counter::InitRequests => (
            "hls_swarm_init_requests",
            "fMP4 init-section requests sent.",
        ),
        Counter::OtherRequests => (
            "hls_swarm_other_requests",
            "Requests that are neither playlist, segment nor init section (upstream: unknown_requests_total).",
        ),
        Counter::HlsSegmentRequests => (
            "hls_swarm_hls_segment_requests",
            "Segments the HLS demuxer asked for (HLS request for url), retries not included.",
        ),
        Counter::HttpErrors
        | Counter::HttpErrorsManifest
        | Counter::HttpErrorsSegment
        | Counter::HttpErrorsInit
        | Counter::HttpErrorsOther => return None,
        Counter::Reconnects => (
            "hls_swarm_reconnections",
            "Reconnects ffmpeg scheduled (Will reconnect at ...).",
        ),
        Counter::KeepAliveRetries => (
            "hls_swarm_keepalive_retries",
            "Keep-alive requests that failed and were retried on a new connection.",
        ),
        Counter::TcpConnects => ("hls_swarm_tcp_connects", "TCP connections established."),
        Counter::TcpAttemptFailures => (
            "hls_swarm_tcp_attempt_failures",
            "Failed connect attempts to one address of a host (the connect may still succeed on another).",
        ),
        Counter::TcpConnectFailures => (
            "hls_swarm_tcp_connect_failures",
            "TCP connects that failed on every address.",
        ),
        Counter::PlaylistReloadFailures => (
            "hls_swarm_playlist_reload_failures",
            "Playlist reloads that failed.",
        ),
        Counter::SegmentOpenFailures => (
            "hls_swarm_segment_open_failures",
            "Segments that could not be opened.",
        ),
        Counter::SegmentsSkipped => (
            "hls_swarm_segments_skipped",
            "Segments given up after too many failures: data the viewer never played.",
        ),
        Counter::SegmentsExpired => (
            "hls_swarm_segments_expired",
            "Segments skipped because they expired from the playlist before the viewer got to them.",
        ),
        Counter::SequenceChanges => (
            "hls_swarm_sequence_changes",
            "Media sequence changes seen on playlist reloads.",
        ),
        Counter::SequenceJumps => (
            "hls_swarm_sequence_jumps",
            "Media sequence changes by more than one segment between two reloads.",
        ),
        Counter::LinesCut => (
            "hls_swarm_lines_cut",
            "ffmpeg output lines longer than the line limit, cut there (their tail dropped), counted when a process ends.",
        ),
        Counter::ErrorLines => (
            "hls_swarm_error_lines",
            "ffmpeg lines at error level or worse that no other counter explains.",
        ),
    })
}

/// Every swarm-wide family.
pub(crate) fn encode_snapshot(
    out: &mut Families<'_>,
    s: &Snapshot,
    options: &ExporterOptions,
) -> Result<(), Error> {
    encode_run(out, s, options)?;
    encode_requests(out, s)?;
    encode_viewers(out, s)?;
    encode_playback(out, s)?;
    for summary in LatencyKind::ALL.iter().filter_map(|&k| s.log_latency(k)) {
        encode_latency(out, summary)?;
    }
    encode_variants(out, s)?;
    encode_pipeline(out, s)?;
    tap_families::encode(out, s.tap.as_deref())?;
    host_families::encode(out, s.host.as_ref())
}

fn encode_run(
    out: &mut Families<'_>,
    s: &Snapshot,
    options: &ExporterOptions,
) -> Result<(), Error> {
    let info = [
        ("version", options.version.as_str()),
        ("stream_url", s.run.url.as_str()),
        ("variant", options.variant.as_str()),
    ];
    out.gauge_family(
        "hls_swarm_info",
        "Run information; always 1.",
        [(info, 1i64)],
    )?;
    out.gauge(
        "hls_swarm_target_clients",
        "Viewers the run aims for.",
        u64::from(s.viewers.target),
    )?;
    out.gauge(
        "hls_swarm_ramp_launched_clients",
        "Viewers the ramp has launched so far.",
        u64::from(s.viewers.ramp_launched),
    )?;
    let progress = if s.viewers.target == 0 {
        1.0
    } else {
        (f64::from(s.viewers.ramp_launched) / f64::from(s.viewers.target)).min(1.0)
    };
    out.gauge(
        "hls_swarm_ramp_progress",
        "Ramp progress, 0 to 1: launched / target.",
        progress,
    )?;
    out.gauge(
        "hls_swarm_test_elapsed_seconds",
        "Time since the run started, as of the latest snapshot.",
        s.elapsed.as_secs_f64(),
    )?;
    out.gauge(
        "hls_swarm_snapshot_age_seconds",
        "Age of the snapshot this scrape reports (the aggregator publishes every ~500 ms).",
        Instant::now()
            .saturating_duration_since(s.taken)
            .as_secs_f64(),
    )
}

fn encode_requests(out: &mut Families<'_>, s: &Snapshot) -> Result<(), Error> {
    for counter in Counter::ALL {
        if let (Some((name, help)), Some(n)) = (counter_metric(counter), s.log_counter(counter)) {
            out.counter(name, help, n)?;
        }
    }
    out.counter_family(
        "hls_swarm_http_errors",
        "HTTP error responses by status code (other = outside 400-599).",
        s.http_errors
            .iter()
            .map(|(status, n)| ([("status_code", status.to_string())], *n)),
    )?;
    out.counter_family(
        "hls_swarm_http_errors_by_request",
        "HTTP error responses by the kind of request they answered.",
        [
            ("manifest", Counter::HttpErrorsManifest),
            ("segment", Counter::HttpErrorsSegment),
            ("init", Counter::HttpErrorsInit),
            ("other", Counter::HttpErrorsOther),
        ]
        .map(|(kind, counter)| ([("request", kind)], s.totals.counters.get(counter))),
    )?;
    let t = &s.totals;
    let mut bytes = Vec::new();
    if t.viewers_bytes_from_segment_sizes > 0 || t.segment_bytes > 0 {
        bytes.push(([("source", "segment_sizes")], t.segment_bytes));
    }
    if t.viewers_bytes_from_avio > 0 || t.avio_bytes > 0 {
        bytes.push(([("source", "avio_statistics")], t.avio_bytes));
    }
    out.counter_family(
        "hls_swarm_bytes_downloaded",
        "Bytes downloaded, by how they were measured (the same bytes two ways: do not sum across source).",
        bytes,
    )?;
    let r = &s.rates;
    out.gauge(
        "hls_swarm_manifest_requests_per_second",
        "Playlist requests per second over the last aggregation interval (prefer rate() on the counter).",
        r.manifest_per_s,
    )?;
    out.gauge(
        "hls_swarm_segment_requests_per_second",
        "Segment requests per second over the last aggregation interval (prefer rate() on the counter).",
        r.segment_per_s,
    )?;
    out.gauge(
        "hls_swarm_throughput_bytes_per_second",
        "Downloaded bytes per second over the last aggregation interval, from the preferred byte source.",
        r.bytes_per_s,
    )
}

fn exit_category(reason: ExitReason) -> &'static str {
    match reason {
        ExitReason::Code(0) => "success",
        ExitReason::Code(_) => "error",
        ExitReason::Signal(_) => "signal",
        ExitReason::Stopped => "stopped",
        ExitReason::SpawnFailed => "spawn_failed",
        ExitReason::StreamEnded => "stream_ended",
    }
}

fn encode_viewers(out: &mut Families<'_>, s: &Snapshot) -> Result<(), Error> {
    let v = &s.viewers;
    for (name, help, value) in [
        (
            "hls_swarm_active_clients",
            "Viewers with a running ffmpeg.",
            v.active,
        ),
        (
            "hls_swarm_restarting_clients",
            "Viewers waiting out a backoff before a restart.",
            v.restarting,
        ),
        (
            "hls_swarm_stopped_clients",
            "Viewers finished for good.",
            v.stopped,
        ),
        (
            "hls_swarm_registered_clients",
            "Viewers currently registered with the aggregator.",
            v.registered,
        ),
        (
            "hls_swarm_peak_active_clients",
            "Most viewers running at once so far (at aggregation-tick resolution).",
            v.peak_active,
        ),
    ] {
        out.gauge(name, help, value)?;
    }
    out.counter(
        "hls_swarm_client_starts",
        "Viewers that started at least one ffmpeg process.",
        v.started,
    )?;
    out.counter(
        "hls_swarm_client_restarts",
        "ffmpeg process restarts: every start after a viewer's first.",
        v.restarts,
    )?;
    let mut exits: BTreeMap<ExitReason, u64> = BTreeMap::new();
    for e in s.exits.iter() {
        *exits.entry(e.reason).or_default() += e.count;
    }
    out.counter_family(
        "hls_swarm_client_exits",
        "ffmpeg process exits by category (success, error, signal, stopped, spawn_failed) and exact reason.",
        exits.into_iter().map(|(reason, n)| {
            ([("category", exit_category(reason).to_owned()), ("reason", reason.to_string())], n)
        }),
    )
}

fn encode_playback(out: &mut Families<'_>, s: &Snapshot) -> Result<(), Error> {
    let p = &s.playback;
    out.gauge(
        "hls_swarm_clients_with_speed",
        "Running viewers that reported a playback speed.",
        p.with_speed,
    )?;
    out.gauge(
        "hls_swarm_clients_above_realtime",
        "Running viewers playing at 1.0x real time or faster.",
        p.with_speed.saturating_sub(p.below_realtime),
    )?;
    out.gauge(
        "hls_swarm_clients_below_realtime",
        "Running viewers playing below 1.0x real time.",
        p.below_realtime,
    )?;
    out.gauge(
        "hls_swarm_stalled_clients",
        "Running viewers below 0.9x, or silent, for more than 5 s.",
        p.stalled,
    )?;
    let b = SPEED_BUCKET_BOUNDS;
    let ranges = [
        format!("0-{}", b[0]),
        format!("{}-{}", b[0], b[1]),
        format!("{}-{}", b[1], b[2]),
        format!("{}-{}", b[2], b[3]),
        format!("{}+", b[3]),
    ];
    out.gauge_family(
        "hls_swarm_clients_by_speed",
        "Running viewers by playback speed range (x real time, lower bound inclusive).",
        ranges
            .into_iter()
            .zip(p.speed_buckets)
            .map(|(range, n)| ([("speed", range)], n)),
    )?;
    out.gauge_opt(
        "hls_swarm_average_speed",
        "Mean playback speed of running viewers, x real time.",
        (p.with_speed > 0).then_some(p.speed_mean),
    )?;
    out.gauge(
        "hls_swarm_average_drift_seconds",
        "Mean current drift (wall clock minus media time) of running viewers.",
        p.drift_mean_ms / 1000.0,
    )?;
    out.gauge(
        "hls_swarm_max_drift_seconds",
        "Largest current drift among running viewers.",
        p.drift_current_max_ms as f64 / 1000.0,
    )?;
    out.gauge(
        "hls_swarm_peak_drift_seconds",
        "Largest drift any viewer had so far.",
        p.drift_max_ms as f64 / 1000.0,
    )
}

/// What a variant family counts, read from a variant's values.
type VariantPick = fn(&hls_swarm_stats::VariantValues) -> u64;

fn encode_variants(out: &mut Families<'_>, s: &Snapshot) -> Result<(), Error> {
    let rows = &s.variants;
    let family = |pick: VariantPick| {
        rows.iter()
            .map(move |r| ([("variant", r.path.as_ref())], pick(&r.values)))
    };
    let counters: [(&str, &str, VariantPick); 6] = [
        (
            "hls_swarm_variant_manifest_requests",
            "Media playlist requests, by variant (media playlist path).",
            |v| v.manifest_requests,
        ),
        (
            "hls_swarm_variant_segment_requests",
            "Segment requests, by variant.",
            |v| v.segment_requests,
        ),
        (
            "hls_swarm_variant_init_requests",
            "Init-section requests, by variant.",
            |v| v.init_requests,
        ),
        (
            "hls_swarm_variant_other_requests",
            "Other requests under the variant's directory, by variant.",
            |v| v.other_requests,
        ),
        (
            "hls_swarm_variant_http_errors",
            "HTTP errors answering the variant's requests, by variant.",
            |v| v.http_errors,
        ),
        (
            "hls_swarm_variant_segment_bytes",
            "Exact segment bytes from the segment-size lookup, by variant.",
            |v| v.segment_bytes,
        ),
    ];
    for (name, help, pick) in counters {
        out.counter_family(name, help, family(pick))?;
    }
    Ok(())
}

fn encode_pipeline(out: &mut Families<'_>, s: &Snapshot) -> Result<(), Error> {
    let p = &s.pipeline;
    out.counter_family(
        "hls_swarm_stats_lines_read",
        "ffmpeg output lines read, by stream (stderr debug log, progress blocks).",
        [
            ([("stream", "stderr")], p.stderr.read),
            ([("stream", "progress")], p.progress.read),
        ],
    )?;
    out.counter_family(
        "hls_swarm_stats_lines_dropped",
        "ffmpeg output lines dropped because a parser fell behind, by stream: counts are low by at least this.",
        [([("stream", "stderr")], p.stderr.dropped), ([("stream", "progress")], p.progress.dropped)],
    )?;
    out.gauge(
        "hls_swarm_stats_clients_degraded",
        "Viewers that dropped at least one output line.",
        p.viewers_with_drops,
    )
}

//! Optional per-viewer families (`--per-client-metrics`), labelled `client_id`.

use crate::encode::Families;
use hls_swarm_aggregate::ViewerRow;
use std::fmt::Error;

/// Above this many viewers the binary warns that per-viewer metrics make large scrapes
/// (every viewer adds about seven series).
pub const PER_VIEWER_WARN_ABOVE: u32 = 200;

/// A per-viewer counter family: its name, its help, and the value a viewer's row gives it.
type CounterFamily = (&'static str, &'static str, fn(&ViewerRow) -> u64);

fn label(row: &ViewerRow) -> [(&'static str, u32); 1] {
    [("client_id", row.id)]
}

/// `rows` are read at scrape time (not at the last tick), sorted by id.
pub(crate) fn encode(out: &mut Families<'_>, rows: &[ViewerRow]) -> Result<(), Error> {
    out.gauge_family(
        "hls_swarm_client_speed",
        "Last playback speed of a viewer, x real time (absent until it reports one).",
        rows.iter().filter_map(|r| Some((label(r), r.speed?))),
    )?;
    out.gauge_family(
        "hls_swarm_client_drift_seconds",
        "Current drift of a viewer: wall clock minus media time since its process started.",
        rows.iter()
            .filter_map(|r| Some((label(r), r.drift_ms? as f64 / 1000.0))),
    )?;
    out.gauge_family(
        "hls_swarm_client_stalled",
        "1 if the viewer is below 0.9x, or silent, for more than 5 s, else 0.",
        rows.iter().map(|r| (label(r), i64::from(r.stalled))),
    )?;
    let counters: [CounterFamily; 4] = [
        (
            "hls_swarm_client_bytes",
            "Bytes a viewer downloaded over all its processes: every body byte the request tap relayed for it, or without the tap its own best byte source.",
            |r| r.bytes,
        ),
        (
            "hls_swarm_client_requests",
            "Requests of any kind a viewer sent (the request tap's count when the run has it, else ffmpeg's log's).",
            |r| r.requests,
        ),
        (
            "hls_swarm_client_http_errors",
            "HTTP errors (400-599) a viewer received, from the same source as its requests.",
            |r| r.http_errors,
        ),
        (
            "hls_swarm_client_process_restarts",
            "ffmpeg restarts of a viewer.",
            |r| r.restarts,
        ),
    ];
    for (name, help, value) in counters {
        out.counter_family(name, help, rows.iter().map(|r| (label(r), value(r))))?;
    }
    Ok(())
}

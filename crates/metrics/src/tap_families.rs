//! The request tap's figures as `hls_swarm_tap_*` families and its timing histograms.

use std::fmt::Error;

use hls_swarm_aggregate::TapFigures;
use hls_swarm_parse::RequestKind;
use hls_swarm_stats::{TAP_KINDS, TapTiming};

use crate::encode::Families;
use crate::latency_families::encode_latency;

fn kind_label(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Manifest => "manifest",
        RequestKind::Segment => "segment",
        RequestKind::Init => "init",
        RequestKind::Other => "other",
    }
}

/// The tap's series; none when the run has no tap (`--tap off`, https://).
pub(crate) fn encode(out: &mut Families<'_>, tap: Option<&TapFigures>) -> Result<(), Error> {
    let Some(t) = tap else { return Ok(()) };
    let c = &t.counts;
    out.counter_family(
        "hls_swarm_tap_requests",
        "Requests the request tap relayed with a response, by kind (what the origin logs).",
        TAP_KINDS.map(|k| ([("kind", kind_label(k))], c.requests_of(k))),
    )?;
    out.counter_family(
        "hls_swarm_tap_body_bytes",
        "Response body bytes the request tap relayed to the viewers, by kind.",
        TAP_KINDS.map(|k| ([("kind", kind_label(k))], c.bytes_of(k))),
    )?;
    out.counter_family(
        "hls_swarm_tap_responses",
        "Responses the request tap relayed, by status code (0: outside 100-599).",
        t.statuses
            .iter()
            .map(|(code, n)| ([("status_code", code.to_string())], *n)),
    )?;
    out.counter(
        "hls_swarm_tap_truncated",
        "Responses whose body was cut off (origin closed mid-body, viewer left, run stopped).",
        c.truncated,
    )?;
    out.counter(
        "hls_swarm_tap_segments_timed",
        "Segments downloaded whole whose #EXTINF duration the tap knew.",
        c.segments_timed,
    )?;
    out.counter(
        "hls_swarm_late_segments",
        "Segments whose download took longer than the segment plays (of hls_swarm_tap_segments_timed).",
        c.late_segments,
    )?;
    out.counter(
        "hls_swarm_tap_upstream_connect_failures",
        "Upstream connections the tap could not open (the viewer's connection was closed without a response).",
        t.connect_failures,
    )?;
    out.counter(
        "hls_swarm_tap_no_response",
        "Requests the origin closed before a response head (the viewer's connection was closed without a response).",
        t.no_response,
    )?;
    for timing in TapTiming::ALL {
        encode_latency(out, t.timing(timing))?;
    }
    Ok(())
}

//! What the request tap measured that ffmpeg's log cannot say: every status, bytes by kind,
//! truncated bodies, late segments and connection reuse; with the tap on, the report's
//! requests, HTTP errors and bytes come from it too, and the log's own counts are kept beside.

use std::collections::BTreeMap;

use hls_swarm_aggregate::{Snapshot, TapFigures};
use hls_swarm_parse::RequestKind;
use serde::{Deserialize, Serialize};

use super::per_s;
use super::requests::RequestTotals;
use crate::text::{Text, human_bytes};

/// Response body bytes by what the request fetched.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct BytesByKind {
    /// Playlists.
    pub manifest: u64,
    /// Media segments.
    pub segment: u64,
    /// Init sections.
    pub init: u64,
    /// Anything else.
    pub other: u64,
}

/// Segments whose download took longer than they play: a real player would have rebuffered.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct LateSegments {
    /// Late segments.
    pub count: u64,
    /// Segments downloaded whole whose duration the tap knew (from the `#EXTINF` of the media
    /// playlist it relayed): what `share` is of.
    pub segments_timed: u64,
    /// `count / segments_timed`; `None` when no segment was timed.
    pub share: Option<f64>,
}

impl LateSegments {
    fn new(count: u64, segments_timed: u64) -> LateSegments {
        LateSegments {
            count,
            segments_timed,
            share: (segments_timed > 0).then(|| count as f64 / segments_timed as f64),
        }
    }

    /// Several shards' late segments: the counts add and the share is recomputed.
    pub(crate) fn merge(parts: &[&LateSegments]) -> LateSegments {
        LateSegments::new(
            parts.iter().map(|l| l.count).sum(),
            parts.iter().map(|l| l.segments_timed).sum(),
        )
    }
}

/// The request tap's own section of the report.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TapSummary {
    /// Responses by status code, every status (0: a code outside 100–599).
    pub statuses: BTreeMap<String, u64>,
    /// Response body bytes by kind (their sum is `bytes.total`).
    pub bytes_by_kind: BytesByKind,
    /// Responses whose body was cut off (the origin closed mid-body, the viewer left, or the
    /// run stopped): in the counts and bytes, left out of the timings.
    pub truncated: u64,
    /// Requests that went over an upstream connection already open.
    pub reused_connections: u64,
    /// Upstream connections the tap could not open: the viewer's connection was closed without
    /// a response, as the origin's refusal would have.
    pub upstream_connect_failures: u64,
    /// Requests the origin closed (or answered with something that is not HTTP) before a
    /// response head: the viewer's connection was closed without a response.
    pub no_response: u64,
}

impl TapSummary {
    pub(crate) fn from_figures(tap: &TapFigures) -> TapSummary {
        let c = &tap.counts;
        TapSummary {
            statuses: (tap.statuses.iter())
                .map(|(code, n)| (code.to_string(), *n))
                .collect(),
            bytes_by_kind: BytesByKind {
                manifest: c.bytes_of(RequestKind::Manifest),
                segment: c.bytes_of(RequestKind::Segment),
                init: c.bytes_of(RequestKind::Init),
                other: c.bytes_of(RequestKind::Other),
            },
            truncated: c.truncated,
            reused_connections: tap.reused,
            upstream_connect_failures: tap.connect_failures,
            no_response: tap.no_response,
        }
    }

    /// Several shards' sections: every count adds.
    pub(crate) fn merge(parts: &[&TapSummary]) -> TapSummary {
        let sum = |f: fn(&TapSummary) -> u64| parts.iter().map(|t| f(t)).sum::<u64>();
        TapSummary {
            statuses: super::sum_maps(parts.iter().map(|t| &t.statuses)),
            bytes_by_kind: BytesByKind {
                manifest: sum(|t| t.bytes_by_kind.manifest),
                segment: sum(|t| t.bytes_by_kind.segment),
                init: sum(|t| t.bytes_by_kind.init),
                other: sum(|t| t.bytes_by_kind.other),
            },
            truncated: sum(|t| t.truncated),
            reused_connections: sum(|t| t.reused_connections),
            upstream_connect_failures: sum(|t| t.upstream_connect_failures),
            no_response: sum(|t| t.no_response),
        }
    }

    /// The "Request tap" section: what the log-derived counts were beside the tap's, then what
    /// only the tap knows.
    pub(crate) fn render(
        &self,
        requests: &RequestTotals,
        from_log: Option<&RequestTotals>,
        late: Option<&LateSegments>,
        text: &mut Text,
    ) {
        text.section("Request tap (every request timed between the viewers and the origin)");
        if let Some(log) = from_log {
            let difference = i128::from(requests.total) - i128::from(log.total);
            text.row(
                "requests in the log",
                &format!(
                    "{} req ({difference:+} against the tap: requests in flight at the stop, or lost)",
                    log.total
                ),
            );
        }
        let statuses: Vec<String> = (self.statuses.iter())
            .map(|(code, n)| format!("{code}: {n}"))
            .collect();
        text.row("statuses", &statuses.join(", "));
        let b = &self.bytes_by_kind;
        text.row(
            "bytes by kind",
            &format!(
                "segments {}, playlists {}, init {}, other {}",
                human_bytes(b.segment),
                human_bytes(b.manifest),
                human_bytes(b.init),
                human_bytes(b.other)
            ),
        );
        match late {
            Some(LateSegments {
                count,
                segments_timed,
                share: Some(share),
            }) => text.row(
                "late segments",
                &format!(
                    "{count} of {segments_timed} ({:.2} %): downloads that took longer than the segment plays",
                    share * 100.0
                ),
            ),
            _ => text.row("late segments", "unknown (no segment with a known duration)"),
        }
        text.row(
            "truncated bodies",
            &format!(
                "{}: responses cut off before their last byte (by the origin, or by the stop), left out of the timings",
                self.truncated
            ),
        );
        text.row(
            "connections",
            &format!(
                "{} requests reused one, {} upstream connects failed, {} requests got no response",
                self.reused_connections, self.upstream_connect_failures, self.no_response
            ),
        );
    }
}

/// The request totals of the tap.
pub(crate) fn requests(tap: &TapFigures, s: &Snapshot) -> RequestTotals {
    let c = &tap.counts;
    RequestTotals {
        manifest: c.requests_of(RequestKind::Manifest),
        segment: c.requests_of(RequestKind::Segment),
        init: c.requests_of(RequestKind::Init),
        other: c.requests_of(RequestKind::Other),
        total: c.total_requests(),
        per_s: per_s(c.total_requests(), s.elapsed.as_secs_f64()),
    }
}

/// HTTP errors by status (400–599) as the tap relayed them.
pub(crate) fn http_errors(tap: &TapFigures) -> BTreeMap<String, u64> {
    (tap.statuses.iter())
        .filter(|(code, _)| (400..=599).contains(code))
        .map(|(code, n)| (code.to_string(), *n))
        .collect()
}

/// Late segments as the tap counted them.
pub(crate) fn late_segments(tap: &TapFigures) -> LateSegments {
    LateSegments::new(tap.counts.late_segments, tap.counts.segments_timed)
}

//! Requests by kind, HTTP errors by status, and the bytes downloaded with their source.

use std::collections::BTreeMap;

use hls_swarm_aggregate::Snapshot;
use hls_swarm_stats::{BytesSource, Counter};
use serde::{Deserialize, Serialize};

use super::per_s;
use crate::text::{Text, human_bytes};

/// Requests by kind: every request the request tap relayed with an answer, or without the tap
/// the `request: GET …` lines of ffmpeg's log (one per request on the wire).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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

impl RequestTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> RequestTotals {
        let c = &s.totals.counters;
        RequestTotals {
            manifest: c.get(Counter::ManifestRequests),
            segment: c.get(Counter::SegmentRequests),
            init: c.get(Counter::InitRequests),
            other: c.get(Counter::OtherRequests),
            total: c.total_requests(),
            per_s: per_s(c.total_requests(), s.elapsed.as_secs_f64()),
        }
    }

    /// The requests of several shards: every count adds; the rate is over `duration_s`, the
    /// merged run's.
    pub(crate) fn merge(parts: &[&RequestTotals], duration_s: f64) -> RequestTotals {
        let sum = |f: fn(&RequestTotals) -> u64| parts.iter().map(|r| f(r)).sum::<u64>();
        let total = sum(|r| r.total);
        RequestTotals {
            manifest: sum(|r| r.manifest),
            segment: sum(|r| r.segment),
            init: sum(|r| r.init),
            other: sum(|r| r.other),
            total,
            per_s: per_s(total, duration_s),
        }
    }

    /// The "Requests" section, counted by the request tap or from ffmpeg's log; the downloaded
    /// bytes close it.
    pub(crate) fn render(&self, bytes: &ByteTotals, from_tap: bool, text: &mut Text) {
        text.section(if from_tap {
            "Requests (every request the request tap relayed)"
        } else {
            "Requests (one per request line ffmpeg sent)"
        });
        for (label, n) in [
            ("playlists", self.manifest),
            ("segments", self.segment),
            ("init sections", self.init),
            ("other", self.other),
        ] {
            text.row(label, &format!("{n} req"));
        }
        text.row(
            "total",
            &format!("{} req ({:.1} req/s)", self.total, self.per_s),
        );
        bytes.render(text);
    }
}

/// Downloaded bytes and where the figure came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ByteTotals {
    /// Bytes from `source` (0 when `source` is `none`: unknown, not zero).
    pub total: u64,
    /// `segment-sizes`, `avio-statistics` or `none`.
    pub source: String,
    /// Bytes per second over the whole run.
    pub per_s: f64,
    /// The AVIO-statistics figure, whatever the source.
    pub avio_statistics: u64,
    /// The segment-size figure, whatever the source.
    pub segment_sizes: u64,
    /// Every response body byte the request tap relayed, when the run had one (then
    /// `source` is `tap` and `total` is this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tap: Option<u64>,
}

impl ByteTotals {
    pub(crate) fn from_snapshot(s: &Snapshot) -> ByteTotals {
        let (bytes, source) = s.bytes();
        ByteTotals {
            total: bytes,
            source: source.as_str().to_owned(),
            per_s: per_s(bytes, s.elapsed.as_secs_f64()),
            avio_statistics: s.totals.avio_bytes,
            segment_sizes: s.totals.segment_bytes,
            tap: s.tap.as_ref().map(|tap| tap.counts.total_bytes()),
        }
    }

    /// The bytes of several shards, chosen as one run chooses among its viewers: the figures
    /// add; the source is the tap's when every shard had the tap, else the best any shard had
    /// (`segment-sizes`, then `avio-statistics`, then `none`), and the total is that source's
    /// sum; the rate is over `duration_s`, the merged run's.
    pub(crate) fn merge(parts: &[&ByteTotals], duration_s: f64) -> ByteTotals {
        let avio_statistics = parts.iter().map(|b| b.avio_statistics).sum();
        let segment_sizes = parts.iter().map(|b| b.segment_sizes).sum();
        let tap: Option<u64> = parts.iter().map(|b| b.tap).sum();
        let had = |source: BytesSource| parts.iter().any(|b| b.source == source.as_str());
        let (total, source) = if let Some(tap) = tap {
            (tap, BytesSource::Tap)
        } else if had(BytesSource::SegmentSizes) {
            (segment_sizes, BytesSource::SegmentSizes)
        } else if had(BytesSource::AvioStatistics) {
            (avio_statistics, BytesSource::AvioStatistics)
        } else {
            (0, BytesSource::None)
        };
        ByteTotals {
            total,
            source: source.as_str().to_owned(),
            per_s: per_s(total, duration_s),
            avio_statistics,
            segment_sizes,
            tap,
        }
    }

    fn render(&self, text: &mut Text) {
        let bytes = if self.source == "none" {
            "unknown (no byte source: no AVIO statistics, no segment sizes)".to_owned()
        } else {
            format!(
                "{} ({}/s, from {})",
                human_bytes(self.total),
                human_bytes(self.per_s as u64),
                self.source
            )
        };
        text.row("downloaded", &bytes);
    }
}

/// HTTP errors by status code (`other` for codes outside 400–599).
pub(crate) fn http_errors(s: &Snapshot) -> BTreeMap<String, u64> {
    (s.http_errors.iter())
        .map(|(status, n)| (status.to_string(), *n))
        .collect()
}

/// The "HTTP errors" section.
pub(crate) fn render_http_errors(errors: &BTreeMap<String, u64>, text: &mut Text) {
    text.section("HTTP errors");
    if errors.is_empty() {
        text.row("none", "0 errors");
    }
    for (code, n) in errors {
        text.row(&format!("HTTP {code}"), &format!("{n} errors"));
    }
}

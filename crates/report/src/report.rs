//! The [`Report`]: every section of the end-of-run report in one serde type, and the text
//! rendering that calls each section in turn.

use std::collections::BTreeMap;

use hls_swarm_aggregate::Snapshot;
use serde::Serialize;

use crate::sections::latency::LatencyFigure;
use crate::sections::origin::OriginFigures;
use crate::sections::pipeline::PipelineTotals;
use crate::sections::playback::PlaybackTotals;
use crate::sections::requests::{self, ByteTotals, RequestTotals};
use crate::sections::self_usage::SelfUsage;
use crate::sections::variants::{self, VariantTotals};
use crate::sections::viewers::ViewerTotals;
use crate::sections::{events, latency};
use crate::text::Text;

/// The schema name written in every report.
pub const SCHEMA: &str = "hls-swarm.summary.v1";

/// The end-of-run report: `serde_json::to_string(&report)` gives schema `hls-swarm.summary.v1`.
///
/// To add a section: a module under `sections/` with its figures (a `Serialize` type), how
/// they are read off the snapshot and how they render; then one field here, one line in
/// [`Report::from_snapshot`] (or a `with_…` setter for figures from outside the snapshot) and
/// one line in [`Report::render_text`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
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
    pub latency_ms: BTreeMap<&'static str, LatencyFigure>,
    /// Other error events by counter name (`reconnects`, `segments_skipped`, …).
    pub events: BTreeMap<&'static str, u64>,
    /// Per-variant totals.
    pub variants: Vec<VariantTotals>,
    /// Line transport.
    pub pipeline: PipelineTotals,
    /// What hls-swarm itself cost, when measured.
    #[serde(rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_usage: Option<SelfUsage>,
    /// The origin's own figures, when its exporters were scraped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<OriginFigures>,
}

impl Report {
    /// The report of a (final) snapshot; hls-swarm's own cost and the origin's figures are
    /// added with [`Report::with_self_usage`] and [`Report::with_origin`].
    pub fn from_snapshot(s: &Snapshot) -> Report {
        Report {
            schema: SCHEMA,
            url: s.run.url.clone(),
            target_viewers: s.run.target_viewers,
            duration_s: s.elapsed.as_secs_f64(),
            requests: RequestTotals::from_snapshot(s),
            http_errors: requests::http_errors(s),
            bytes: ByteTotals::from_snapshot(s),
            viewers: ViewerTotals::from_snapshot(s),
            playback: PlaybackTotals::from_snapshot(s),
            latency_ms: latency::from_snapshot(s),
            events: events::from_snapshot(s),
            variants: variants::from_snapshot(s),
            pipeline: PipelineTotals::from_snapshot(s),
            self_usage: None,
            origin: None,
        }
    }

    /// With what hls-swarm itself cost.
    pub fn with_self_usage(mut self, usage: Option<SelfUsage>) -> Report {
        self.self_usage = usage;
        self
    }

    /// With the origin's own figures.
    pub fn with_origin(mut self, origin: Option<OriginFigures>) -> Report {
        self.origin = origin;
        self
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    /// The report for humans: aligned, a unit on every number, one section after another.
    pub fn render_text(&self) -> String {
        let mut text = Text::default();
        self.render_header(&mut text);
        self.requests.render(&self.bytes, &mut text);
        requests::render_http_errors(&self.http_errors, &mut text);
        events::render(&self.events, &mut text);
        self.viewers.render(&mut text);
        self.playback.render(&mut text);
        latency::render(&self.latency_ms, &mut text);
        variants::render(&self.variants, &mut text);
        self.pipeline.render(&mut text);
        if let Some(origin) = &self.origin {
            origin.render(&mut text);
        }
        if let Some(usage) = &self.self_usage {
            usage.render(&mut text);
        }
        text.finish()
    }

    /// The title, the dropped-lines warning when lines were dropped, and what was run.
    fn render_header(&self, text: &mut Text) {
        let rule = "=".repeat(64);
        text.line(&format!("{rule}\nhls-swarm summary\n{rule}"));
        self.pipeline.render_warning(text);
        text.row("url", &self.url);
        text.row("duration", &format!("{:.1} s", self.duration_s));
        text.row(
            "viewers (target)",
            &format!("{} viewers", self.target_viewers),
        );
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render_text())
    }
}

//! The offline HTML report of an hls-swarm summary ([`hls_swarm_report::Report`]): one
//! self-contained file that opens without a network. At the top, the run's outcome (the
//! thresholds' verdict, viewers held, stalls, errors) and its configuration; then the
//! thresholds with their measured values; then charts of the run over time, drawn from the
//! summary's `timeseries` as inline SVG by this crate (no script at all, no font, style or
//! image fetched: the page's Content-Security-Policy forbids both), each with axes, units, run
//! time in mm:ss and a line saying what it measures; then the summary's tables, and the text
//! summary itself.
//!
//! ```
//! use hls_swarm_aggregate::Aggregator;
//! use hls_swarm_report::{Report, SeriesRecorder};
//! use hls_swarm_stats::Counter;
//! use std::time::{Duration, Instant};
//!
//! let t0 = Instant::now();
//! let swarm = Aggregator::new("http://origin/master.m3u8", 1, t0);
//! let viewer = swarm.register(0);
//! let mut recorder = SeriesRecorder::new();
//! for tick in 1..=8u64 {
//!     viewer.add(Counter::SegmentRequests, 2);
//!     recorder.observe(&swarm.tick(t0 + Duration::from_millis(500 * tick)), &swarm, None);
//! }
//! let last = swarm.tick(t0 + Duration::from_millis(4100));
//! let series = recorder.finish(&last, &swarm, None);
//! let report = Report::from_aggregator(&swarm, &last)
//!     .with_timeseries(Some(series))
//!     .with_thresholds(&["requests_per_s>1".parse().unwrap()]);
//!
//! let html = hls_swarm_html::render_html(&report);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("PASSED all 1 thresholds"));
//! assert!(html.contains("<figure class=\"chart\" id=\"chart-requests\">"));
//! assert!(html.contains("data-series=\"segments\" data-points=\"4\""));
//! assert!(html.contains(">0:04</text>"), "run time in m:ss on the time axis");
//! assert!(!html.contains("<script"));
//! ```
#![deny(missing_docs)]

mod chart;
mod charts;
mod escape;
mod format;
mod page;
mod tables;

use std::fmt::Write as _;

use hls_swarm_report::Report;

use crate::escape::escape;

/// The report as one HTML page: outcome and configuration, thresholds, charts over time, the
/// summary's tables and the text summary.
pub fn render_html(report: &Report) -> String {
    let title = format!("hls-swarm report: {}", report.url);
    let mut out = page::head(&title);
    let _ = write!(
        out,
        "<h1>hls-swarm report</h1>\n<p class=\"note\">{}</p>\n",
        escape(&report.url)
    );
    out.push_str(&page::outcome(report));
    out.push_str("<h2>Configuration</h2>\n");
    out.push_str(&page::configuration(report));
    out.push_str("<h2>Thresholds</h2>\n");
    out.push_str(&page::thresholds(report));
    out.push_str("<h2>Over time</h2>\n");
    match &report.timeseries {
        Some(ts) if !ts.points.is_empty() => {
            let end = ts.points.last().map_or(0.0, |p| p.end_s());
            let charts = charts::charts(ts, report.shards > 1);
            for chart in &charts {
                out.push_str(&chart.to_html(end));
            }
            for why in charts::missing(&charts) {
                let _ = writeln!(out, "<p class=\"note\">Not charted: {}</p>", escape(why));
            }
        }
        _ => out.push_str(
            "<p class=\"note\">This summary has no time series (a replay, or a summary written \
             before hls-swarm recorded one): no charts.</p>\n",
        ),
    }
    out.push_str(&tables::summary_tables(report));
    let _ = write!(
        out,
        "<h2>The text summary</h2>\n<pre>{}</pre>\n</body>\n</html>\n",
        escape(&report.render_text())
    );
    out
}

#[cfg(test)]
mod tests;

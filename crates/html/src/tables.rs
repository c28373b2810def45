//! The summary's tables, section by section as the text summary has them, and the small table
//! builder they share.

use std::fmt::Write as _;

use hls_swarm_report::Report;

use crate::escape::escape;
use crate::format::bytes_per_s;

/// An HTML table: a header row and rows of escaped cells; cells that are numbers align right.
pub(crate) struct Table {
    html: String,
}

impl Table {
    /// A table with these column heads (none shown when they are all empty).
    pub(crate) fn new(heads: &[&str]) -> Table {
        let mut html = "<table>".to_owned();
        if heads.iter().any(|h| !h.is_empty()) {
            html.push_str("<tr>");
            for h in heads {
                let _ = write!(html, "<th>{}</th>", escape(h));
            }
            html.push_str("</tr>");
        }
        Table { html }
    }

    /// A row.
    pub(crate) fn row(&mut self, cells: &[&str]) {
        self.row_class("", cells);
    }

    /// A row with a class (`good`, `bad`).
    pub(crate) fn row_class(&mut self, class: &str, cells: &[&str]) {
        if class.is_empty() {
            self.html.push_str("<tr>");
        } else {
            let _ = write!(self.html, "<tr class=\"{class}\">");
        }
        for c in cells {
            let numeric = c.parse::<f64>().is_ok();
            let _ = write!(
                self.html,
                "<td{}>{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                escape(c)
            );
        }
        self.html.push_str("</tr>");
    }

    /// The table's HTML.
    pub(crate) fn into_html(mut self) -> String {
        self.html.push_str("</table>\n");
        self.html
    }
}

/// Items joined by commas, or `none`.
pub(crate) fn show(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// Every table of the summary, each under its heading.
pub(crate) fn summary_tables(r: &Report) -> String {
    let mut out = String::new();
    let mut section = |title: &str, table: Table| {
        let _ = write!(out, "<h2>{}</h2>\n{}", escape(title), table.into_html());
    };
    let q = &r.requests;
    let mut t = Table::new(&["requests (one per request line ffmpeg sent)", "count"]);
    for (label, n) in [
        ("playlists", q.manifest),
        ("segments", q.segment),
        ("init sections", q.init),
        ("other", q.other),
        ("total", q.total),
    ] {
        t.row(&[label, &n.to_string()]);
    }
    t.row(&["per second", &format!("{:.1}", q.per_s)]);
    let bytes = if r.bytes.source == "none" {
        "unknown (no byte source)".to_owned()
    } else {
        format!(
            "{} bytes ({}, from {})",
            r.bytes.total,
            bytes_per_s(r.bytes.per_s),
            r.bytes.source
        )
    };
    t.row(&["downloaded", &bytes]);
    section("Requests", t);

    let mut t = Table::new(&["status", "responses"]);
    for (status, n) in &r.http_errors {
        t.row(&[&format!("HTTP {status}"), &n.to_string()]);
    }
    if r.http_errors.is_empty() {
        t.row(&["none", "0"]);
    }
    section("HTTP errors", t);

    let mut t = Table::new(&["event", "count"]);
    for (name, n) in &r.events {
        t.row(&[name, &n.to_string()]);
    }
    section("Events", t);

    let v = &r.viewers;
    let mut t = Table::new(&["viewers", ""]);
    t.row(&["started", &v.started.to_string()]);
    let peak = if r.is_upper_bound("viewers.peak_active") {
        format!("at most {} (the sum of each shard's peak)", v.peak_active)
    } else {
        v.peak_active.to_string()
    };
    t.row(&["peak running", &peak]);
    t.row(&["running at end", &v.active_at_end.to_string()]);
    t.row(&["restarts", &v.restarts.to_string()]);
    t.row(&[
        "stalled at some point (<0.9x or silent for >5 s)",
        &v.stalled.to_string(),
    ]);
    for e in &v.exits {
        let count = match &e.last_error {
            Some(why) => format!("{} ({why})", e.count),
            None => e.count.to_string(),
        };
        t.row(&[&format!("exits: {}", e.reason), &count]);
    }
    if let Some(ffmpeg) = &r.ffmpeg {
        t.row(&["ffmpeg", &ffmpeg.describe()]);
    }
    section("Viewers", t);

    let p = &r.playback;
    let mut t = Table::new(&["playback (over the run)", ""]);
    t.row(&["mean speed", &format!("{:.2}x real time", p.speed_mean)]);
    t.row(&[
        "most below real time at once",
        &p.below_realtime.to_string(),
    ]);
    t.row(&["mean drift", &format!("{:.0} ms", p.drift_mean_ms)]);
    t.row(&["max drift", &format!("{} ms", p.drift_max_ms)]);
    section("Playback", t);

    let mut t = Table::new(&[
        "figure",
        "what it measures",
        "samples",
        "p50",
        "p95",
        "p99",
        "max",
    ]);
    for (name, l) in &r.latency_ms {
        let ms = |v: f64| {
            if l.count == 0 {
                "-".to_owned()
            } else {
                format!("{v:.2} ms")
            }
        };
        t.row(&[
            name,
            &l.measures,
            &l.count.to_string(),
            &ms(l.p50),
            &ms(l.p95),
            &ms(l.p99),
            &ms(l.max),
        ]);
    }
    section("Latency", t);

    if !r.variants.is_empty() {
        let mut t = Table::new(&[
            "variant",
            "playlists",
            "segments",
            "HTTP errors",
            "segment bytes",
        ]);
        for variant in &r.variants {
            t.row(&[
                &variant.path,
                &variant.manifest.to_string(),
                &variant.segment.to_string(),
                &variant.http_errors.to_string(),
                &variant.segment_bytes.to_string(),
            ]);
        }
        section("Variants", t);
    }
    out.push_str(&host_and_others(r));
    out
}

/// The host, the origin, the pipeline and hls-swarm's own cost.
fn host_and_others(r: &Report) -> String {
    let mut out = String::new();
    let mut section = |title: &str, table: Table| {
        let _ = write!(out, "<h2>{}</h2>\n{}", escape(title), table.into_html());
    };
    if let Some(h) = &r.host {
        let mut t = Table::new(&["this machine", ""]);
        let c = &h.capacity;
        t.row(&[
            "capacity",
            &format!(
                "{:.2} cores ({}), {} bytes of memory ({})",
                c.cpu_cores, c.cpu_source, c.memory_bytes, c.memory_source
            ),
        ]);
        let pct = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0} %"));
        t.row(&["peak cpu", &pct(h.peak_cpu_percent)]);
        t.row(&["peak memory", &pct(h.peak_memory_percent)]);
        t.row(&["saturated", &format!("{:.1} s", h.saturated_s)]);
        t.row(&["ramp held", &format!("{:.1} s", h.ramp_held_s)]);
        t.row(&[
            "stalls that began while saturated",
            &h.stall_onsets_while_saturated.to_string(),
        ]);
        section("Host (the machine hls-swarm ran on)", t);
    }
    if let Some(o) = &r.origin {
        let mut t = Table::new(&["origin (at the end of the run)", ""]);
        let opt =
            |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v:.1} {unit}"));
        t.row(&["cpu", &opt(o.cpu_percent, "%")]);
        t.row(&["nginx requests", &opt(o.nginx_requests_per_s, "req/s")]);
        t.row(&["network out", &opt(o.net_tx_bytes_per_s, "bytes/s")]);
        section("Origin", t);
    }
    let mut t = Table::new(&["pipeline", "lines"]);
    t.row(&["read", &r.pipeline.lines_read.to_string()]);
    t.row(&["dropped", &r.pipeline.lines_dropped.to_string()]);
    section("Pipeline", t);
    if let Some(u) = &r.self_usage {
        let mut t = Table::new(&["hls-swarm itself", ""]);
        t.row(&["cpu", &format!("{:.1} s", u.cpu_s)]);
        t.row(&["peak rss", &format!("{} bytes", u.peak_rss_bytes)]);
        section("hls-swarm itself (not its viewers)", t);
    }
    out
}

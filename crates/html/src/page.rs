//! The page around the charts: the head (style, and a policy that forbids every fetch and every
//! script), the outcome and configuration at the top, and the thresholds.

use std::fmt::Write as _;

use hls_swarm_report::Report;

use crate::escape::escape;
use crate::format::run_time;
use crate::tables::{Table, show};

/// The style sheet: plain, printable, no web font.
const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
margin:0 auto;max-width:1000px;padding:16px 24px;color:#222;background:#fff}\
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}\
h3{font-size:15px;margin:0 0 4px}\
.verdict{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:bold;color:#fff}\
.pass{background:#2e7d32}.fail{background:#c62828}.none{background:#607d8b}\
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}\
.card{border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:120px}\
.card b{display:block;font-size:20px}.card span{color:#555;font-size:12px}\
table{border-collapse:collapse;margin:6px 0 14px;font-variant-numeric:tabular-nums}\
th,td{border-bottom:1px solid #eee;padding:3px 10px;text-align:left;vertical-align:top}\
td.n{text-align:right}th{background:#f6f6f6}\
tr.bad td{color:#c62828;font-weight:bold}tr.good td:last-child{color:#2e7d32;font-weight:bold}\
figure.chart{margin:18px 0;page-break-inside:avoid}\
figure.chart svg{width:100%;height:auto;display:block}\
.grid line{stroke:#e6e6e6;stroke-width:1}.axis line{stroke:#444;stroke-width:1}\
svg text{font-size:12px;fill:#444}.ytick{text-anchor:end}.xtick,.xlabel,.ylabel{text-anchor:middle}\
path.line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}\
.legend{list-style:none;padding:0;margin:2px 0;display:flex;flex-wrap:wrap;gap:14px;font-size:13px}\
.swatch{display:inline-block;width:18px;height:4px;margin-right:5px;vertical-align:middle}\
.swatch.dashed{height:2px;border-top:2px dashed #fff}\
figcaption{color:#555;font-size:13px}.note{color:#555}\
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px}";

/// The page's head: nothing may be fetched and no script may run (the policy says so to the
/// browser, which also stops anything a summary's strings could smuggle in).
pub(crate) fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\n<meta name=\"viewport\" content=\"width=device-width, \
         initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}

/// The outcome: the thresholds' verdict and the figures that say how the run went.
pub(crate) fn outcome(r: &Report) -> String {
    let mut out = String::new();
    let (class, verdict) = match (r.thresholds.is_empty(), r.thresholds_failed()) {
        (true, _) => ("none", "no thresholds".to_owned()),
        (false, true) => {
            let failed = r.thresholds.iter().filter(|t| !t.passed).count();
            (
                "fail",
                format!("FAILED {failed} of {} thresholds", r.thresholds.len()),
            )
        }
        (false, false) => (
            "pass",
            format!("PASSED all {} thresholds", r.thresholds.len()),
        ),
    };
    let _ = write!(
        out,
        "<p><span class=\"verdict {class}\" id=\"verdict\">{verdict}</span></p>\n<div class=\"cards\">"
    );
    let peak = if r.is_upper_bound("viewers.peak_active") {
        format!("at most {}", r.viewers.peak_active)
    } else {
        r.viewers.peak_active.to_string()
    };
    let errors: u64 = r.http_errors.values().sum();
    for (value, label) in [
        (
            format!("{peak} / {}", r.target_viewers),
            "viewers held (peak running / target)",
        ),
        (
            r.viewers.active_at_end.to_string(),
            "viewers running at the end",
        ),
        (
            r.viewers.stalled.to_string(),
            "viewers stalled at some point",
        ),
        (errors.to_string(), "HTTP errors"),
        (r.requests.total.to_string(), "requests"),
        (r.viewers.restarts.to_string(), "restarts"),
        (run_time(r.duration_s), "run time (mm:ss)"),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            escape(&value),
            escape(label)
        );
    }
    out.push_str("</div>\n");
    out
}

/// The configuration and identity of the run.
pub(crate) fn configuration(r: &Report) -> String {
    let mut t = Table::new(&["", ""]);
    t.row(&["stream", &r.url]);
    t.row(&["target viewers", &r.target_viewers.to_string()]);
    t.row(&["duration", &format!("{:.1} s", r.duration_s)]);
    if let Some(id) = &r.run_id {
        t.row(&["run id", id]);
    }
    if let Some(shard) = r.shard {
        t.row(&["shard", &format!("{shard} (shards count from 0)")]);
    }
    if r.shards > 1 || !r.missing_shards.is_empty() {
        let missing: Vec<String> = r.missing_shards.iter().map(u32::to_string).collect();
        t.row(&[
            "merge of",
            &format!("{} shards (missing: {})", r.shards, show(&missing)),
        ]);
    }
    let when = |t: Option<std::time::SystemTime>| t.map(rfc3339);
    t.row(&[
        "started",
        &when(r.started_at).unwrap_or_else(|| "unknown".to_owned()),
    ]);
    t.row(&[
        "ended",
        &when(r.ended_at).unwrap_or_else(|| "unknown".to_owned()),
    ]);
    if let Some(ts) = &r.timeseries {
        t.row(&[
            "time series",
            &format!(
                "{} points of {} s{}",
                ts.points.len(),
                ts.resolution_s,
                if ts.coarsened > 0 {
                    format!(
                        " (coarsened {} times: every two neighbouring points merged)",
                        ts.coarsened
                    )
                } else {
                    String::new()
                }
            ),
        ]);
    }
    t.into_html()
}

/// A wall-clock time as RFC 3339 UTC, as the summary writes it.
fn rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(t.max(std::time::UNIX_EPOCH)).to_string()
}

/// The thresholds: expression, measured value, verdict.
pub(crate) fn thresholds(r: &Report) -> String {
    if r.thresholds.is_empty() {
        return "<p class=\"note\">No thresholds were given (--threshold).</p>\n".to_owned();
    }
    let mut t = Table::new(&["threshold", "measured", "verdict"]);
    for th in &r.thresholds {
        let value = th.measured();
        let mut verdict = if th.passed { "PASS" } else { "FAIL" }.to_owned();
        if let Some(b) = &th.aborted_run {
            let over = th.show(b.value);
            verdict.push_str(&format!(
                " (stopped the run: {over} from {} to {})",
                run_time(b.from_s),
                run_time(b.to_s)
            ));
        }
        t.row_class(
            if th.passed { "good" } else { "bad" },
            &[&th.expr, &value, &verdict],
        );
    }
    t.into_html()
}

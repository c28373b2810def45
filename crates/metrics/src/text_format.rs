//! OpenMetrics text (as prometheus-client writes it) to Prometheus text format 0.0.4.
//!
//! The two differ, for what prometheus-client emits, only in the family name of counters
//! (`# TYPE x counter` with samples `x_total` versus `# TYPE x_total counter`), in `# UNIT` lines
//! and in the final `# EOF`. Samples are copied unchanged.

/// Rewrites an OpenMetrics exposition as text 0.0.4.
pub(crate) fn from_openmetrics(om: &str) -> String {
    let mut out = String::with_capacity(om.len() + om.len() / 32);
    // A `# HELP` line is held until its `# TYPE` line says whether the family is a counter.
    let mut held_help: Option<(&str, &str)> = None;
    for line in om.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            flush_help(&mut out, held_help.take(), "");
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            held_help = Some((name, help));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            let suffix = if kind == "counter" && !name.ends_with("_total") {
                "_total"
            } else {
                ""
            };
            match held_help.take() {
                Some(h) if h.0 == name => flush_help(&mut out, Some(h), suffix),
                other => flush_help(&mut out, other, ""),
            }
            out.push_str("# TYPE ");
            out.push_str(name);
            out.push_str(suffix);
            out.push(' ');
            out.push_str(kind);
            out.push('\n');
            continue;
        }
        flush_help(&mut out, held_help.take(), "");
        out.push_str(line);
        out.push('\n');
    }
    flush_help(&mut out, held_help, "");
    out
}

fn flush_help(out: &mut String, help: Option<(&str, &str)>, suffix: &str) {
    if let Some((name, text)) = help {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push_str(suffix);
        out.push(' ');
        out.push_str(text);
        out.push('\n');
    }
}

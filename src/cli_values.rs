//! The value parsers of hls-swarm's flags: durations, times, addresses, names and numbers,
//! each refusing a bad value with what to write instead.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use hls_swarm_report::{FIGURES, Needs, Threshold};

/// Parses `--start-at`: RFC 3339 (`2026-12-02T17:30:00Z`, `…+02:00`), or Unix seconds
/// (fractions allowed).
pub fn parse_start_at(s: &str) -> Result<SystemTime, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return Err(format!("{s:?} is not a time: Unix seconds are at least 0"));
        }
        return Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs));
    }
    DateTime::parse_from_rfc3339(s)
        .map(SystemTime::from)
        .map_err(|e| {
            format!("{s:?} is not a time ({e}): write RFC 3339, like 2030-01-01T12:00:00Z or 2030-01-01T14:00:00+02:00, or Unix seconds")
        })
}

/// Where `/metrics` listens, or nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAddr {
    /// Do not serve metrics.
    Off,
    /// Listen on this address.
    On(SocketAddr),
}

pub fn parse_metrics_addr(s: &str) -> Result<MetricsAddr, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(MetricsAddr::Off);
    }
    s.parse()
        .map(MetricsAddr::On)
        .map_err(|e| format!("{e}: write an address like 127.0.0.1:17091, or off"))
}

/// A point in time as `--start-at` reads it ([`parse_start_at`]), in UTC.
pub fn parse_rfc3339_or_unix(s: &str) -> Result<DateTime<Utc>, String> {
    parse_start_at(s).map(DateTime::<Utc>::from)
}

/// Accepts a Kubernetes object name or namespace: a DNS-1123 label (RFC 1123).
pub fn parse_dns_label(s: &str) -> Result<String, String> {
    let valid = (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if valid {
        Ok(s.to_owned())
    } else {
        Err("must be 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit".to_owned())
    }
}

/// Accepts a container image reference: not empty, no spaces or control characters.
pub fn parse_image(s: &str) -> Result<String, String> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("write an image reference like registry.example/hls-swarm:0.1.0".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// Parses `30s`, `5m`, `1h30m`, `200ms`, or `0`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}: write durations like 30s, 5m, 1h30m or 200ms"))
}

pub fn parse_nonzero_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".to_owned()),
        d => Ok(d),
    }
}

pub fn parse_positive_f64(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err("must be a number above 0".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses `--threshold NAME OP VALUE` against the figures this build has.
pub fn parse_threshold(s: &str) -> Result<Threshold, String> {
    s.parse()
        .map_err(|e: hls_swarm_report::ThresholdError| e.to_string())
}

/// `--threshold`'s long help: the syntax, then every figure with its unit and definition.
pub fn threshold_help() -> String {
    let mut help = "A pass/fail check, NAME OP VALUE: OP is one of < <= > >= ==; VALUE is a \
                    number in the figure's unit, or with a suffix (1% for a share, 500ms or 2s \
                    for a time). Repeatable. A failed threshold (or one whose figure got no \
                    sample: \"no data\") makes hls-swarm exit 7, after everything is printed and \
                    written. Examples: http_error_rate<0.01, stalled_viewers==0, restarts<=5, \
                    segment_download_p95<2s.\n\nFigures (unit: definition):"
        .to_owned();
    for f in FIGURES {
        let needs = match f.needs {
            Needs::Nothing => "",
            Needs::RequestTap => {
                " [the request tap's: refused for a run without it, --tap off or https://]"
            }
            Needs::NoTap => " [ffmpeg's log's: refused for a run through the request tap]",
        };
        help.push_str(&format!(
            "\n  {} ({}): {}{needs}",
            f.name,
            f.unit.as_str(),
            f.definition
        ));
    }
    help
}

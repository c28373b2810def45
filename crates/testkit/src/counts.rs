//! What hls-swarm counted beside what the origin logged, compared strictly.
//!
//! The origin writes one access-log line for every request it answered, so its log is the
//! ground truth, and the only difference allowed is what was in flight when the viewers were
//! stopped. ffmpeg sends one request at a time (it reads a response's headers before it sends
//! the next request), so each viewer has at most one request in flight:
//!
//! - **Requests** (and segment bytes): ffmpeg prints `request: GET …` before it sends the
//!   request, so a request the origin had not answered yet when its viewer stopped is counted
//!   by hls-swarm and absent from the log. hls-swarm counts at least what the log holds, and at
//!   most one request (one segment's bytes) per viewer more.
//! - **Errors**: ffmpeg prints `HTTP error 404` only after the origin answered, so an error the
//!   origin sent just before the viewer stopped may be in the log only. hls-swarm counts at most
//!   what the log holds, and at most one error per viewer less.

use std::collections::{BTreeMap, BTreeSet};

/// What an origin's access log says a set of viewers requested.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogCounts {
    /// Playlist requests (`*.m3u8`), whatever the answer.
    pub manifest: u64,
    /// Segment requests (`*.ts`), whatever the answer.
    pub segment: u64,
    /// Requests answered 400 or above, by status (`"404"`, as in the summary's `http_errors`).
    pub errors_by_code: BTreeMap<String, u64>,
    /// Body bytes of the segments answered with a 2xx.
    pub segment_2xx_bytes: u64,
    /// Body bytes of every answer with a 2xx (playlists and segments).
    pub body_2xx_bytes: u64,
    /// Paths of the segments answered with 400 or above, in log order.
    pub failed_segments: Vec<String>,
}

impl LogCounts {
    /// Counts one log line: the request's path (a query is ignored), the status answered, the
    /// body bytes sent.
    pub fn add(&mut self, path: &str, status: u16, body_bytes: u64) {
        let path = path.split('?').next().unwrap_or_default();
        let ok = (200..300).contains(&status);
        if path.ends_with(".m3u8") {
            self.manifest += 1;
        } else if path.ends_with(".ts") {
            self.segment += 1;
            if ok {
                self.segment_2xx_bytes += body_bytes;
            } else if status >= 400 {
                self.failed_segments.push(path.to_owned());
            }
        }
        if ok {
            self.body_2xx_bytes += body_bytes;
        }
        if status >= 400 {
            *self.errors_by_code.entry(status.to_string()).or_default() += 1;
        }
    }

    /// Requests answered with `code`.
    pub fn errors(&self, code: &str) -> u64 {
        self.errors_by_code.get(code).copied().unwrap_or(0)
    }
}

impl<'a> FromIterator<(&'a str, u16, u64)> for LogCounts {
    /// Counts `(path, status, body_bytes)` lines.
    fn from_iter<I: IntoIterator<Item = (&'a str, u16, u64)>>(lines: I) -> Self {
        let mut counts = LogCounts::default();
        for (path, status, body_bytes) in lines {
            counts.add(path, status, body_bytes);
        }
        counts
    }
}

/// What hls-swarm's summary says the same viewers did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    /// `requests.manifest`.
    pub manifest: u64,
    /// `requests.segment`.
    pub segment: u64,
    /// `http_errors`, by status.
    pub errors_by_code: BTreeMap<String, u64>,
    /// `bytes.total`.
    pub bytes: u64,
}

impl Counted {
    /// Errors counted with `code`.
    pub fn errors(&self, code: &str) -> u64 {
        self.errors_by_code.get(code).copied().unwrap_or(0)
    }
}

/// Asserts that `counted` agrees with `log` for `viewers` viewers, up to what was in flight at
/// the stop (see the [module](self) documentation): requests at or above the log by at most
/// `viewers` in all, errors at or below it by at most `viewers` in all.
pub fn assert_counts_match_log(counted: &Counted, log: &LogCounts, viewers: u64) {
    eprintln!(
        "hls-swarm counted {} playlists, {} segments, errors {:?}; the origin logged {}, {}, {:?}",
        counted.manifest,
        counted.segment,
        counted.errors_by_code,
        log.manifest,
        log.segment,
        log.errors_by_code
    );
    let context = || format!("\nhls-swarm counted {counted:?}\nthe origin logged {log:?}");
    let mut extra_requests = 0;
    for (kind, ours, logged) in [
        ("playlist", counted.manifest, log.manifest),
        ("segment", counted.segment, log.segment),
    ] {
        assert!(
            ours >= logged,
            "{kind} requests: hls-swarm counted {ours}, fewer than the {logged} in the origin's log{}",
            context()
        );
        extra_requests += ours - logged;
    }
    assert!(
        extra_requests <= viewers,
        "requests: hls-swarm counted {extra_requests} more than the origin's log, more than one \
         in flight for each of the {viewers} viewers{}",
        context()
    );
    let codes: BTreeSet<&String> = counted
        .errors_by_code
        .keys()
        .chain(log.errors_by_code.keys())
        .collect();
    let mut missed_errors = 0;
    for code in codes {
        let (ours, logged) = (counted.errors(code), log.errors(code));
        assert!(
            ours <= logged,
            "HTTP {code}: hls-swarm counted {ours}, more than the {logged} the origin answered{}",
            context()
        );
        missed_errors += logged - ours;
    }
    assert!(
        missed_errors <= viewers,
        "errors: hls-swarm missed {missed_errors} that the origin answered, more than one for \
         each of the {viewers} viewers{}",
        context()
    );
}

/// Asserts that the segment bytes hls-swarm counted (from the origin's listing of segment
/// sizes) are the body bytes of the segments the origin answered with a 2xx, plus at most one
/// segment of `largest_segment` bytes per viewer in flight at the stop. A segment answered
/// with an error counts no bytes: with [`LogCounts::failed_segments`] worth more than
/// `viewers × largest_segment`, counting them would fail this check.
pub fn assert_segment_bytes_match_log(
    counted: &Counted,
    log: &LogCounts,
    viewers: u64,
    largest_segment: u64,
) {
    let (ours, logged) = (counted.bytes, log.segment_2xx_bytes);
    eprintln!("segment bytes: hls-swarm {ours}, origin log {logged} (2xx)");
    assert!(
        ours >= logged,
        "segment bytes: hls-swarm counted {ours}, less than the {logged} the origin sent with a 2xx"
    );
    let in_flight = viewers * largest_segment;
    assert!(
        ours - logged <= in_flight,
        "segment bytes: hls-swarm counted {ours}, {} more than the {logged} the origin sent with \
         a 2xx, more than one segment of at most {largest_segment} bytes for each of the \
         {viewers} viewers",
        ours - logged
    );
}

#[cfg(test)]
mod tests;

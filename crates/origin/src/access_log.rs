//! The access log (one line per request, the project's ground truth) and the in-memory counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::AccessLog;
use crate::error::OriginError;

/// Where log lines go, opened.
#[derive(Debug)]
pub(crate) enum LogSink {
    File(Mutex<File>),
    Stdout,
    None,
}

impl LogSink {
    pub(crate) fn open(cfg: &AccessLog) -> Result<Self, OriginError> {
        Ok(match cfg {
            AccessLog::File(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| OriginError::AccessLog {
                        path: path.clone(),
                        source,
                    })?;
                Self::File(Mutex::new(file))
            }
            AccessLog::Stdout => Self::Stdout,
            AccessLog::None => Self::None,
        })
    }

    /// Writes one whole line with a single unbuffered `write`, so a reader never sees a
    /// partial line and nothing waits in a buffer at shutdown.
    pub(crate) fn write_line(&self, line: &str) {
        match self {
            Self::File(file) => {
                let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
                let _ = file.write_all(line.as_bytes());
            }
            // Stdout is line-buffered by std: the newline flushes it.
            Self::Stdout => {
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            Self::None => {}
        }
    }
}

/// Formats one access-log line, newline included:
/// `1795238441.571 200 111484 "/v0/seg00332.ts" "hls-swarm/client-3"`.
pub(crate) fn format_line(
    time: SystemTime,
    status: u16,
    body_bytes: u64,
    path_and_query: &str,
    user_agent: Option<&[u8]>,
) -> String {
    let ms = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let mut line = String::with_capacity(64 + path_and_query.len());
    let _ = write!(
        line,
        "{}.{:03} {status} {body_bytes} \"",
        ms / 1000,
        ms % 1000
    );
    escape_into(&mut line, path_and_query.as_bytes());
    line.push_str("\" \"");
    match user_agent {
        Some(ua) => escape_into(&mut line, ua),
        None => line.push('-'),
    }
    line.push_str("\"\n");
    line
}

/// nginx-style escaping: `"`, `\` and bytes outside printable ASCII become `\xHH`.
fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            let _ = write!(out, "\\x{b:02X}");
        } else {
            out.push(b as char);
        }
    }
}

/// One parsed access-log line.
///
/// ```
/// use hls_swarm_origin::AccessLogEntry;
///
/// let e = AccessLogEntry::parse(r#"1795238441.571 200 111484 "/v0/seg00332.ts" "hls-swarm/client-3""#).unwrap();
/// assert_eq!((e.unix_ms, e.status, e.body_bytes), (1_795_238_441_571, 200, 111_484));
/// assert_eq!((e.path.as_str(), e.user_agent.as_str()), ("/v0/seg00332.ts", "hls-swarm/client-3"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLogEntry {
    /// When the response was ready, milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// The status answered (499: the client hung up before the answer was ready).
    pub status: u16,
    /// Body bytes answered (0 for `HEAD`).
    pub body_bytes: u64,
    /// Path and query as requested, escaped as written.
    pub path: String,
    /// The `User-Agent` header, escaped as written; `-` when absent.
    pub user_agent: String,
}

impl AccessLogEntry {
    /// Parses one line written by the origin (with or without its newline).
    pub fn parse(line: &str) -> Option<Self> {
        let line = line.trim_end_matches(['\n', '\r']);
        let (time, rest) = line.split_once(' ')?;
        let (status, rest) = rest.split_once(' ')?;
        let (bytes, rest) = rest.split_once(' ')?;
        let (secs, millis) = time.split_once('.')?;
        let unix_ms = secs.parse::<u64>().ok()? * 1000 + millis.parse::<u64>().ok()?;
        // Quotes inside the fields are escaped, so `" "` only separates them.
        let quoted = rest.strip_prefix('"')?.strip_suffix('"')?;
        let (path, user_agent) = quoted.split_once("\" \"")?;
        Some(Self {
            unix_ms,
            status: status.parse().ok()?,
            body_bytes: bytes.parse().ok()?,
            path: path.to_owned(),
            user_agent: user_agent.to_owned(),
        })
    }
}

/// A snapshot of the origin's request counters (see [`OriginHandle::stats`](crate::OriginHandle::stats)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OriginStats {
    /// Requests answered (one per access-log line).
    pub requests: u64,
    /// Body bytes answered, summed.
    pub body_bytes: u64,
    /// Requests by status answered.
    pub by_status: BTreeMap<u16, u64>,
    /// Successful answers whose body a fault changed, by fault: `rate`, `cut`, `short`, `empty`
    /// (counted when the answer starts; their log lines are counted above like any other).
    pub body_faults: BTreeMap<&'static str, u64>,
}

impl OriginStats {
    /// Requests answered with `status`.
    pub fn status_count(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Answers whose body fault `kind` changed.
    pub fn body_fault_count(&self, kind: &str) -> u64 {
        self.body_faults.get(kind).copied().unwrap_or(0)
    }

    pub(crate) fn record_body_fault(&mut self, kind: &'static str) {
        *self.body_faults.entry(kind).or_insert(0) += 1;
    }

    pub(crate) fn record(&mut self, status: u16, body_bytes: u64) {
        self.requests += 1;
        self.body_bytes += body_bytes;
        *self.by_status.entry(status).or_insert(0) += 1;
    }
}

#[cfg(test)]
mod tests;

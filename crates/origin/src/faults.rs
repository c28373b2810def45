//! Injected faults: an error status, added latency, or a broken body (rate-limited, cut, short,
//! empty) for a path pattern at a rate, decided by a seeded hash.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// What a firing [`FaultRule`] does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status (and a short text body) instead of the real response.
    Status(u16),
    /// Wait this long before answering (the answer itself is unchanged).
    Delay(Duration),
    /// Change the body of a successful (2xx) `GET` answer; see [`BodyFault`].
    Body(BodyFault),
}

/// What a firing body fault does to a successful (2xx) answer to a `GET`; error answers and
/// `HEAD` are left alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFault {
    /// Send the body at most this many bytes per second, like nginx's `limit_rate`: a chunk
    /// of a twentieth of a second's worth (at most 64 KiB) at a time, never ahead of the rate.
    Rate(u64),
    /// Send the headers (the full `Content-Length`) and the first half of the body, then close
    /// the connection: the client sees the body end early.
    Cut,
    /// Answer a complete, valid response whose body is the first half of the file, as if the
    /// file on disk were cut short: `Content-Length` (and a range's `Content-Range`) match it.
    Short,
    /// Answer `200` with an empty body, also to a range request, as nginx answers for a
    /// 0-byte file.
    Empty,
}

/// One fault: for requests whose path matches `pattern`, apply `action` with probability `rate`.
///
/// `pattern` is a glob over the request path without the query string: `*` matches any run
/// of characters (including `/`), `?` one character, everything else itself; the whole
/// path must match (`/v0/seg*.ts`, `*.m3u8`, `/master.m3u8`).
///
/// **Determinism.** Whether rule `r` fires for the `k`-th request (counting from 0) that the
/// origin has seen for a given path is a pure function of `(seed, r, path, k)`, see
/// [`decide`]. Requests for different paths never influence each other, so a run in which
/// each viewer asks for each path in turn gets the same decisions whatever the thread
/// scheduling; only when several clients race for the *same* path is it undetermined which
/// of them is the `k`-th. Rates 0 and 1 are exact.
///
/// The command-line form (see [`FromStr`]), with `RATE` in `[0, 1]` (default 1):
///
/// | form | what a firing rule does |
/// |---|---|
/// | `STATUS:PATTERN[:RATE]` | answers `STATUS` (100–599) with a short text body |
/// | `delay:PATTERN:DURATION[:RATE]` | waits `DURATION` (`300ms`, `2s`, `1.5s`) before answering |
/// | `rate:PATTERN:BYTES_PER_SECOND[:RATE]` | sends the body at that rate ([`BodyFault::Rate`]; `200000`, `200k` = 200 × 1024, `1m` = 1024²) |
/// | `cut:PATTERN[:RATE]` | sends half the body, then closes the connection ([`BodyFault::Cut`]) |
/// | `short:PATTERN[:RATE]` | answers a complete response with half the body ([`BodyFault::Short`]) |
/// | `empty:PATTERN[:RATE]` | answers 200 with an empty body ([`BodyFault::Empty`]) |
///
/// ```
/// use hls_swarm_origin::{BodyFault, FaultAction, FaultRule};
/// use std::time::Duration;
///
/// let rule: FaultRule = "404:/v0/seg*.ts:0.2".parse().unwrap();
/// assert_eq!(rule.action, FaultAction::Status(404));
/// assert!(rule.matches("/v0/seg00017.ts"));
/// let slow: FaultRule = "delay:/v1/*:300ms".parse().unwrap();
/// assert_eq!(slow.action, FaultAction::Delay(Duration::from_millis(300)));
/// assert_eq!(slow.rate, 1.0);
/// let cut: FaultRule = "cut:/v0/seg*.ts:0.3".parse().unwrap();
/// assert_eq!(cut.action, FaultAction::Body(BodyFault::Cut));
/// let limited: FaultRule = "rate:*.ts:200k".parse().unwrap();
/// assert_eq!(limited.action, FaultAction::Body(BodyFault::Rate(200 * 1024)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    /// Glob over the request path.
    pub pattern: String,
    /// What happens when the rule fires.
    pub action: FaultAction,
    /// Probability in `[0, 1]` that a matching request is affected.
    pub rate: f64,
}

impl BodyFault {
    /// The fault's name in the command-line form: `rate`, `cut`, `short`, `empty`.
    pub fn name(self) -> &'static str {
        match self {
            BodyFault::Rate(_) => "rate",
            BodyFault::Cut => "cut",
            BodyFault::Short => "short",
            BodyFault::Empty => "empty",
        }
    }
}

impl FaultRule {
    /// A rule answering `status` for `pattern` at `rate`.
    pub fn status(pattern: impl Into<String>, status: u16, rate: f64) -> Self {
        Self {
            pattern: pattern.into(),
            action: FaultAction::Status(status),
            rate,
        }
    }

    /// A rule delaying every request matching `pattern` by `delay`.
    pub fn delay(pattern: impl Into<String>, delay: Duration) -> Self {
        Self {
            pattern: pattern.into(),
            action: FaultAction::Delay(delay),
            rate: 1.0,
        }
    }

    /// A rule applying `fault` to the body of every request matching `pattern` at `rate`.
    pub fn body(pattern: impl Into<String>, fault: BodyFault, rate: f64) -> Self {
        Self {
            pattern: pattern.into(),
            action: FaultAction::Body(fault),
            rate,
        }
    }

    /// Whether `path` (without query) matches this rule's pattern.
    pub fn matches(&self, path: &str) -> bool {
        glob_match(self.pattern.as_bytes(), path.as_bytes())
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            FaultAction::Status(s) => write!(f, "{s}:{}:{}", self.pattern, self.rate),
            FaultAction::Delay(d) => {
                write!(
                    f,
                    "delay:{}:{}ms:{}",
                    self.pattern,
                    d.as_millis(),
                    self.rate
                )
            }
            FaultAction::Body(BodyFault::Rate(bps)) => {
                write!(f, "rate:{}:{bps}:{}", self.pattern, self.rate)
            }
            FaultAction::Body(fault) => {
                write!(f, "{}:{}:{}", fault.name(), self.pattern, self.rate)
            }
        }
    }
}

/// Why a `--fault` string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad fault rule {input:?}: {reason}; expected STATUS:PATTERN[:RATE], delay:PATTERN:DURATION[:RATE], rate:PATTERN:BYTES_PER_SECOND[:RATE], or cut, short or empty:PATTERN[:RATE], e.g. 404:/v0/seg*.ts:0.2, delay:/v1/*:300ms, rate:*.ts:200k or cut:/v0/seg*.ts:0.3"
)]
pub struct ParseFaultError {
    /// The string given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for FaultRule {
    type Err = ParseFaultError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseFaultError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (kind, rest) = input.split_once(':').ok_or_else(|| err("missing ':'"))?;
        let kind = kind.to_ascii_lowercase();
        let (pattern, action, rate) = match kind.as_str() {
            "delay" => {
                let (pattern, delay, rate) = with_param(rest, parse_duration)
                    .map_err(|r| err(&r.replace("VALUE", "a duration")))?;
                (pattern, FaultAction::Delay(delay), rate)
            }
            "rate" => {
                let (pattern, bps, rate) = with_param(rest, parse_byte_rate).map_err(|r| {
                    err(&r.replace("VALUE", "a positive number of bytes per second"))
                })?;
                (pattern, FaultAction::Body(BodyFault::Rate(bps)), rate)
            }
            "cut" | "short" | "empty" => {
                let fault = match kind.as_str() {
                    "cut" => BodyFault::Cut,
                    "short" => BodyFault::Short,
                    _ => BodyFault::Empty,
                };
                let (pattern, rate) = trailing_rate(rest);
                (pattern, FaultAction::Body(fault), rate)
            }
            _ => {
                let status: u16 = kind.parse().map_err(|_| {
                    err("the kind must be an HTTP status, 'delay', 'rate', 'cut', 'short' or 'empty'")
                })?;
                if !(100..=599).contains(&status) {
                    return Err(err("the status must be between 100 and 599"));
                }
                let (pattern, rate) = trailing_rate(rest);
                (pattern, FaultAction::Status(status), rate)
            }
        };
        if !(0.0..=1.0).contains(&rate) {
            return Err(err("the rate must be between 0 and 1"));
        }
        if pattern.is_empty() {
            return Err(err("empty path pattern"));
        }
        Ok(Self {
            pattern: pattern.to_owned(),
            action,
            rate,
        })
    }
}

/// `PATTERN[:RATE]`: a last field that parses as a number is the rate (default 1).
fn trailing_rate(rest: &str) -> (&str, f64) {
    match rest.rsplit_once(':') {
        Some((head, tail)) => match tail.parse::<f64>() {
            Ok(rate) => (head, rate),
            Err(_) => (rest, 1.0),
        },
        None => (rest, 1.0),
    }
}

/// `PATTERN:VALUE[:RATE]`, `VALUE` read by `parse`: `PATTERN:VALUE:RATE` when the last field
/// is a number and the one before it a value, else `PATTERN:VALUE` with rate 1. The error
/// says `VALUE` where the caller names what it expects.
fn with_param<T>(rest: &str, parse: fn(&str) -> Option<T>) -> Result<(&str, T, f64), String> {
    if let Some((head, tail)) = rest.rsplit_once(':')
        && let Ok(rate) = tail.parse::<f64>()
        && let Some((pattern, value)) = head.rsplit_once(':')
        && let Some(value) = parse(value)
    {
        return Ok((pattern, value, rate));
    }
    let (pattern, value) = rest
        .rsplit_once(':')
        .ok_or_else(|| "it needs VALUE after the pattern".to_owned())?;
    let value = parse(value).ok_or_else(|| format!("{value:?} is not VALUE"))?;
    Ok((pattern, value, 1.0))
}

/// Parses `200000`, `200k` (× 1024) or `2m` (× 1024²), as nginx's `limit_rate` does; not 0.
fn parse_byte_rate(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, scale) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024),
        b'm' | b'M' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    let n: u64 = num.parse().ok()?;
    n.checked_mul(scale).filter(|&bps| bps > 0)
}

/// Parses `300ms`, `2s`, `1.5s`, `250us`.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    let v: f64 = num.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| Duration::from_secs_f64(v * scale))
}

/// Whole-string glob match with `*` and `?`.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    // Position of the last `*` and the input index it is currently stretched to.
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// What the faults decided for one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultDecision {
    /// The status to answer instead of the real one (the first firing status rule).
    pub status: Option<u16>,
    /// Total added latency (all firing delay rules, summed).
    pub delay: Duration,
    /// What happens to the body of a successful answer (the first firing body rule).
    pub body: Option<BodyFault>,
}

/// The decision for the `nth` request (from 0) for `path`, given `rules` and `seed`.
///
/// Pure: the same arguments always give the same decision. The origin calls it with a
/// per-path request counter.
pub fn decide(rules: &[FaultRule], seed: u64, path: &str, nth: u64) -> FaultDecision {
    let mut decision = FaultDecision::default();
    let path_hash = fnv1a(path.as_bytes());
    for (idx, rule) in rules.iter().enumerate() {
        if !rule.matches(path) || !fires(seed, idx as u64, path_hash, nth, rule.rate) {
            continue;
        }
        match rule.action {
            FaultAction::Status(s) => {
                decision.status.get_or_insert(s);
            }
            FaultAction::Delay(d) => decision.delay += d,
            FaultAction::Body(fault) => {
                decision.body.get_or_insert(fault);
            }
        }
    }
    decision
}

fn fires(seed: u64, rule_idx: u64, path_hash: u64, nth: u64, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    let x = mix(seed ^ mix(path_hash ^ mix(nth ^ mix(rule_idx.wrapping_add(1)))));
    // Top 53 bits as a uniform float in [0, 1).
    let u = (x >> 11) as f64 / (1u64 << 53) as f64;
    u < rate
}

/// FNV-1a, 64 bit: stable across Rust versions and platforms (unlike `DefaultHasher`).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// splitmix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Paths counted before the per-path counters are reset (bounds memory in long runs).
const MAX_COUNTED_PATHS: usize = 100_000;

/// The origin's fault state: rules, seed and per-path request counters.
#[derive(Debug)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
    seed: u64,
    counters: Mutex<HashMap<Box<str>, u64>>,
}

impl Faults {
    pub(crate) fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        Self {
            rules,
            seed,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts this request for `path` and decides its fault. No rules, no cost.
    pub(crate) fn next(&self, path: &str) -> FaultDecision {
        if !self.rules.iter().any(|r| r.matches(path)) {
            return FaultDecision::default();
        }
        let nth = {
            let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            if counters.len() >= MAX_COUNTED_PATHS && !counters.contains_key(path) {
                counters.clear();
            }
            let n = counters.entry(path.into()).or_insert(0);
            let nth = *n;
            *n += 1;
            nth
        };
        decide(&self.rules, self.seed, path, nth)
    }
}

#[cfg(test)]
mod tests;
